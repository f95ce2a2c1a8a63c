/**
 * Shapes of decoded NATS JWTs. Only the fields this server reads are typed; everything else is
 * kept as parsed JSON so nothing is lost when a JWT is re-served or decoded for display.
 * @module
 */

export type JwtHeader = {
  typ: string
  alg: string
}

/** Fields common to every NATS JWT payload (v1 keeps `type` at the top level). */
export type ClaimsData = {
  jti?: string
  iat?: number
  exp?: number
  nbf?: number
  iss?: string
  sub?: string
  name?: string
  aud?: string
  type?: string
  nats?: Record<string, unknown>
  [field: string]: unknown
}

export type DecodedJwt = {
  /** The token exactly as decoded (surrounding whitespace removed). */
  token: string
  header: JwtHeader
  claims: ClaimsData
  /** The payload's JSON text, for what parsing hides (number literals, key spelling). */
  payloadJson: string
  /** 1 when the payload has a top-level `type` (v1 layout), else `nats.version` (0 counts as 2). */
  version: number
  /** The claim type: top-level `type` for v1, `nats.type` for v2. */
  kind: string
  /** What the signature covers: `header.payload` for v2, the payload segment alone for v1. */
  signingInput: Buffer
  signature: Buffer
}

/** What the server keeps about an account JWT besides its bytes, read once on write. */
export type AccountJwtMeta = {
  pubkey: string
  jti: string
  iat: number
  /** 0 when the JWT does not expire. */
  exp: number
  issuer: string
  name: string
}

/** An account JWT as stored, with the metadata read from it when it was accepted. */
export type StoredAccount = AccountJwtMeta & {
  /** The JWT exactly as stored and served (no surrounding whitespace). */
  jwt: string
}
