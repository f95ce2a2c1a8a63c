/**
 * The body of `GET /jwt/v1/help`: the Go server's `jwtAPIHelp` constant, byte for byte (3250
 * bytes). Lines 4, 52, 53 and 54 (counting the leading empty line) end with a space, `noticy` is
 * Go's typo and the activation endpoints it documents no longer exist: all kept on purpose.
 * @module
 */

export const HELP_TEXT = `
# NATS Account Server JWT API HELP

This document describes the various URL paths that encompass the HTTP API for working 
with JWTs on the NATS Account Server

## GET /jwt/v1/help

Returns this page.

## GET /jwt/v1/operator

If the server is configured with an operator JWT path, this URL will return the Operator JWT loaded at startup to find the trusted keys.

## GET /jwt/v1/accounts/<pubkey>

Retrieve an account JWT by the public key. The result is either an error or the encoded JWT.

The response contains cache control headers, and uses the JTI as the ETag.

The response has content type application/jwt and may cause a download in a browser.

The JWT is not validated for expiration or revocation. [see check below]

A 304 is returned if the request contains the appropriate If-None-Match header.

A status 404 is returned if the JWT is not found.

Four optional query parameters are supported:

  * check - can be set to "true" which will tell the server to return 404 if the JWT is expired
  * text - can be set to "true" to change the content type to text/plain
  * decode - can be set to "true" to display the JSON for the JWT header and body
  * noticy - can be set to "true" to trigger a notification event if NATS is configured

## POST /jwt/v1/accounts/<pubkey> (optional)

Update, or store, an account JWT. The JWT Subject should match the pubkey.

The JWT must be signed by the operator specified in the server's configuration.

A status 400 is returned if there is a problem with the JWT or the server is in read-only mode. In rare
cases a status 500 may be returned if there was an issue saving the JWT.

If the JWT is self signed and the account server is enabled to do so, the JWT may be signed.
Optionally a status of 202 can be returned, signifying that signing happens out of band.

## GET /jwt/v1/activations/<hash>

Retrieve an activation token by its hash.

The hash is calculated by creating a string with jwtIssuer.jwtSubject.<subject> and 
constructing the sha-256 hash and base32 encoding that. Where <subject> is the exported 
subject, minus any wildcards, so foo.* becomes foo. The one special case is that if the 
export starts with "*" or is ">" the <subject> will be set to "_".

Three optional query parameters are supported:

  * text - can be set to "true" to change the content type to text/plain
  * decode - can be set to "true" to display the JSON for the JWT header and body
  * notify - can be set to "true" to trigger a notification event if NATS is configured

The response contains cache control headers, and uses the JTI as the ETag.

A 304 is returned if the request contains the appropriate If-None-Match header.

## POST /jwt/v1/activations

Post a new activation token a JWT.

The body of the POST should be a valid activation token, with an account subject and issuer.

Activation tokens are stored by their hash, so two tokens with the same hash will overwrite each other,
however this should only happen if the accounts and subjects match which requires either the
same export or a matching one.

A status 400 is returned if there is a problem with the JWT or saving it. In rare
cases a status 500 may be returned if there was an issue saving the JWT. Otherwise
a status 200 is returned.
`
