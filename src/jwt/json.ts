/**
 * The JSON layer under every JWT reader (decode, the claim rules, the `?decode=true` view): JSON
 * objects, base64url segments as Go's RawURLEncoding reads them, and the claim layout version.
 * @module
 */

export type JsonObject = Record<string, unknown>

export function isRecord(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

const BASE64URL = /^[A-Za-z0-9_-]*$/

/** A segment's bytes, or null where Go's RawURLEncoding refuses it (padding, other alphabets, dangling bits). */
export function base64urlBytes(segment: string): Buffer | null {
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) return null
  return Buffer.from(segment, 'base64url')
}

/** A segment's JSON text and value, or the step that failed. */
export function segmentJson(segment: string): { text: string; value: unknown } | { failed: 'base64url' | 'json' } {
  const bytes = base64urlBytes(segment)
  if (bytes === null) return { failed: 'base64url' }
  const text = bytes.toString('utf8')
  try {
    return { text, value: JSON.parse(text) }
  } catch {
    return { failed: 'json' }
  }
}

/** Go's `loadClaims`: a top-level `type` means the v1 layout. */
export function isV1Layout(claims: JsonObject): boolean {
  return typeof claims.type === 'string' && claims.type !== ''
}

/** The claim version as Go's `loadClaims` reads it: 1 for the v1 layout, else `nats.version` as found (0 when absent). */
export function claimVersion(claims: JsonObject): unknown {
  if (isV1Layout(claims)) return 1
  return isRecord(claims.nats) ? (claims.nats.version ?? 0) : 0
}
