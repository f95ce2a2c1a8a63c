/**
 * Ed25519 signature verification on node:crypto (~100× faster than the tweetnacl code in
 * @nats-io/nkeys). Public keys are parsed once per signer and kept.
 * @module
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import { AccountServerError, ErrorCode } from '../errors.js'
import { publicKeyProblem, rawPublicKey } from './nkeys.js'
import type { DecodedJwt } from './types.js'

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32 raw key bytes follow it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const MAX_CACHED_SIGNERS = 10_000

const signers = new Map<string, KeyObject>()

function signerKey(nkey: string): KeyObject {
  let key = signers.get(nkey)
  if (key === undefined) {
    const der = Buffer.concat([ED25519_SPKI_PREFIX, rawPublicKey(nkey)])
    key = createPublicKey({ key: der, format: 'der', type: 'spki' })
    // Signers are operator keys and their signing keys: a handful. The bound only matters for
    // self-signed uploads, which are each signed by a different account key.
    if (signers.size >= MAX_CACHED_SIGNERS) signers.clear()
    signers.set(nkey, key)
  }
  return key
}

/**
 * Checks the JWT's signature against the public key in its `iss` claim.
 * @throws AccountServerError ERR_JWT_SIGNATURE when `iss` is not a public key or the check fails
 */
export function verifySignature(decoded: DecodedJwt): void {
  const issuer = decoded.claims.iss
  if (typeof issuer !== 'string' || issuer === '') {
    throw new AccountServerError(ErrorCode.JwtSignature, 'the JWT has no issuer (iss)')
  }
  const problem = publicKeyProblem(issuer)
  if (problem !== null) {
    throw new AccountServerError(ErrorCode.JwtSignature, `issuer "${issuer}" is not a public nkey: ${problem}`)
  }
  const ok =
    decoded.signature.length === 64 &&
    verify(null, decoded.signingInput, signerKey(issuer), decoded.signature)
  if (!ok) throw new AccountServerError(ErrorCode.JwtSignature, 'signature does not verify')
}
