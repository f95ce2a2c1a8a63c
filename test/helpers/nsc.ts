/**
 * Account JWTs minted as nsc (nats-io/jwt v2) mints them, for the "same second" cases: the `jti`
 * is base32 (no padding) of SHA-512/256 over the JSON of the registered claims only (`aud, exp,
 * jti (empty), iat, iss, name, nbf, sub`, Go's field order, empty ones left out), so two
 * versions issued in the same second with other `nats` claims share `jti` and `iat`
 * (v2/claims.go `doEncode` and `hash`). Checked against the Go-made fixtures.
 * @module
 */
import { createHash } from 'node:crypto'
import { mintAccount, UNLIMITED, type Signer } from './mint.js'

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

function base32NoPadding(bytes: Uint8Array): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff
    bits += 8
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return bits > 0 ? out + BASE32[(value << (5 - bits)) & 31] : out
}

/** Go's `encoding/json` string: JSON.stringify plus its HTML-safe escapes. */
function goJsonString(text: string): string {
  return JSON.stringify(text).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

export type RegisteredClaims = { aud?: string; exp?: number; iat: number; iss: string; name?: string; nbf?: number; sub: string }

/** The `jti` nats-io/jwt v2 gives a JWT with these registered claims. */
export function natsJti(claims: RegisteredClaims): string {
  const fields: [string, string | number | undefined][] = [
    ['aud', claims.aud],
    ['exp', claims.exp],
    ['iat', claims.iat],
    ['iss', claims.iss],
    ['name', claims.name],
    ['nbf', claims.nbf],
    ['sub', claims.sub],
  ]
  const json = fields
    .filter(([, value]) => value !== undefined && value !== '' && value !== 0)
    .map(([key, value]) => `"${key}":${typeof value === 'string' ? goJsonString(value) : String(value)}`)
    .join(',')
  return base32NoPadding(createHash('sha512-256').update(`{${json}}`).digest())
}

/** An account JWT as `nsc add account` / `nsc edit account` write it at `iat`. */
export function nscAccount(
  subject: string,
  signer: Signer,
  options: { name: string; iat: number; limits?: Record<string, unknown> },
): string {
  const { name, iat } = options
  return mintAccount(subject, signer, {
    iat,
    name,
    jti: natsJti({ iat, iss: signer.publicKey, name, sub: subject }),
    nats: { limits: { ...UNLIMITED, ...options.limits } },
  })
}

/**
 * `nsc add account A` then `nsc edit account A --conns 5` within one second: the same `jti`
 * and `iat`, other limits.
 */
export function sameSecondEdit(
  subject: string,
  signer: Signer,
  options: { name?: string; iat?: number } = {},
): { added: string; edited: string } {
  const iat = options.iat ?? Math.floor(Date.now() / 1000)
  const name = options.name ?? 'A'
  return {
    added: nscAccount(subject, signer, { name, iat }),
    edited: nscAccount(subject, signer, { name, iat, limits: { conn: 5 } }),
  }
}
