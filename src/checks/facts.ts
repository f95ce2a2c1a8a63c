/**
 * What the cross-account checks and the account list need of a stored account JWT, read once
 * when it is stored or loaded: small enough to keep for every account in memory (the JWT itself
 * stays in the store).
 * @module
 */
import { decodeJwt } from '../jwt/decode.js'
import { isRecord, segmentJson, type JsonObject } from '../jwt/json.js'
import type { StoredAccount } from '../jwt/types.js'

export type ExportKind = 'stream' | 'service'

/** An import's activation token, as far as the checks read it (signatures were checked on push). */
export type TokenFacts = {
  /** The account the token was issued for. */
  subject: string
  /** The key that signed it: the exporter, or one of its signing keys. */
  issuer: string
  /** Set when a signing key signed it: the exporting account it speaks for. */
  issuerAccount: string
  /** 0 when it does not expire. */
  exp: number
}

export type ImportFacts = {
  account: string
  subject: string
  kind: ExportKind
  /** null: no token; 'unreadable': a token that does not decode. */
  token: TokenFacts | 'unreadable' | null
}

export type ExportFacts = { subject: string; kind: ExportKind; tokenRequired: boolean }

/** A claim field some nats-server versions ignore, and the version that applies it. */
export type FeatureUse = { field: string; version: string }

export type AccountFacts = {
  pubkey: string
  name: string
  issuer: string
  iat: number
  /** 0 when the JWT does not expire. */
  exp: number
  jti: string
  imports: readonly ImportFacts[]
  exports: readonly ExportFacts[]
  /** The account's own signing keys (plain and scoped): they may sign its activation tokens. */
  signingKeys: readonly string[]
  /** `authorization.allowed_accounts` of an auth-callout account ('*' included as written). */
  allowedAccounts: readonly string[]
  features: readonly FeatureUse[]
}

const NONE: readonly never[] = Object.freeze([])
const NONE_RECORDS: JsonObject[] = []

const str = (o: JsonObject, key: string): string => (typeof o[key] === 'string' ? (o[key] as string) : '')
const num = (o: JsonObject, key: string): number => (typeof o[key] === 'number' ? (o[key] as number) : 0)
const list = (o: JsonObject, key: string): unknown[] => (Array.isArray(o[key]) ? (o[key] as unknown[]) : [])
const records = (o: JsonObject, key: string): JsonObject[] => (Array.isArray(o[key]) ? (o[key] as unknown[]).filter(isRecord) : NONE_RECORDS)
const kindOf = (o: JsonObject): ExportKind => (o.type === 'service' ? 'service' : 'stream')
/** Most accounts import and export nothing: they share one empty list. */
const orNone = <T>(items: T[]): readonly T[] => (items.length === 0 ? NONE : items)

function tokenFacts(token: string): TokenFacts | 'unreadable' {
  try {
    const { claims } = decodeJwt(token)
    const nats = isRecord(claims.nats) ? claims.nats : {}
    return {
      subject: str(claims, 'sub'),
      issuer: str(claims, 'iss'),
      issuerAccount: str(nats, 'issuer_account') || str(claims, 'issuer_account'),
      exp: num(claims, 'exp'),
    }
  } catch {
    return 'unreadable'
  }
}

/**
 * Fields that older nats-servers load without applying them (field-notes.md §1): a JWT that uses
 * them behaves differently on those servers.
 */
function featuresOf(nats: JsonObject, imports: JsonObject[], exports: JsonObject[], authorization: JsonObject): readonly FeatureUse[] {
  let used: FeatureUse[] | undefined
  const use = (field: string, version: string) => (used ??= []).push({ field, version })
  if (list(authorization, 'auth_users').length > 0) use('authorization', '2.10.0')
  if (isRecord(nats.trace) && str(nats.trace, 'dest') !== '') use('trace', '2.11.0')
  if (str(nats, 'cluster_traffic') !== '') use('cluster_traffic', '2.11.0')
  if (imports.some((i) => i.allow_trace === true)) use('imports[].allow_trace', '2.11.0')
  if (exports.some((e) => e.allow_trace === true)) use('exports[].allow_trace', '2.11.0')
  if (records(nats, 'signing_keys').some((k) => isRecord(k.template) && k.template.proxy_required === true)) {
    use('signing_keys[].template.proxy_required', '2.12.0')
  }
  return used ?? NONE
}

/** Issuers shared by the facts of many accounts (an operator has a few signing keys). */
const issuers = new Map<string, string>()
const MAX_ISSUERS = 1024

/** One string for each issuer, instead of a copy per account. */
function sharedIssuer(issuer: string): string {
  const shared = issuers.get(issuer)
  if (shared !== undefined) return shared
  if (issuers.size < MAX_ISSUERS) issuers.set(issuer, issuer)
  return issuer
}

/** Reads an account JWT (stored, so already verified); a JWT that does not decode yields bare facts. */
export function factsOf(account: StoredAccount): AccountFacts {
  // The payload alone: a stored JWT was decoded and verified whole when it was accepted.
  const payload = segmentJson(account.jwt.split('.')[1] ?? '')
  const claims = 'value' in payload && isRecord(payload.value) ? payload.value : {}
  const nats = isRecord(claims.nats) ? claims.nats : {}
  const rawImports = records(nats, 'imports')
  const rawExports = records(nats, 'exports')
  const authorization = isRecord(nats.authorization) ? nats.authorization : {}
  // One literal, no spread of the common fields: in Node 20's V8 a spread gives every object a
  // hidden class of its own (~350 bytes per account; docs/design-measurements.md).
  return {
    pubkey: account.pubkey,
    name: account.name,
    issuer: sharedIssuer(account.issuer),
    iat: account.iat,
    exp: account.exp,
    jti: account.jti,
    imports: orNone(
      rawImports.map((i): ImportFacts => {
        const token = str(i, 'token')
        return { account: str(i, 'account'), subject: str(i, 'subject'), kind: kindOf(i), token: token === '' ? null : tokenFacts(token) }
      }),
    ),
    exports: orNone(rawExports.map((e): ExportFacts => ({ subject: str(e, 'subject'), kind: kindOf(e), tokenRequired: e.token_req === true }))),
    signingKeys: orNone(list(nats, 'signing_keys').flatMap((k) => (typeof k === 'string' ? [k] : isRecord(k) ? [str(k, 'key')] : []))),
    allowedAccounts: orNone(list(authorization, 'allowed_accounts').filter((a): a is string => typeof a === 'string')),
    features: featuresOf(nats, rawImports, rawExports, authorization),
  }
}
