/**
 * What the cross-account checks and the account list need of a stored account JWT, read once
 * when it is stored or loaded: small enough to keep for every account in memory (the JWT itself
 * stays in the store).
 * @module
 */
import { decodeJwt } from '../jwt/decode.js'
import { isRecord, type JsonObject } from '../jwt/json.js'
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

const str = (o: JsonObject, key: string): string => (typeof o[key] === 'string' ? (o[key] as string) : '')
const num = (o: JsonObject, key: string): number => (typeof o[key] === 'number' ? (o[key] as number) : 0)
const list = (o: JsonObject, key: string): unknown[] => (Array.isArray(o[key]) ? (o[key] as unknown[]) : [])
const records = (o: JsonObject, key: string): JsonObject[] => list(o, key).filter(isRecord)
const kindOf = (o: JsonObject): ExportKind => (o.type === 'service' ? 'service' : 'stream')

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
function featuresOf(nats: JsonObject): FeatureUse[] {
  const used: FeatureUse[] = []
  const authorization = isRecord(nats.authorization) ? nats.authorization : {}
  if (list(authorization, 'auth_users').length > 0) used.push({ field: 'authorization', version: '2.10.0' })
  if (isRecord(nats.trace) && str(nats.trace, 'dest') !== '') used.push({ field: 'trace', version: '2.11.0' })
  if (str(nats, 'cluster_traffic') !== '') used.push({ field: 'cluster_traffic', version: '2.11.0' })
  if (records(nats, 'imports').some((i) => i.allow_trace === true)) used.push({ field: 'imports[].allow_trace', version: '2.11.0' })
  if (records(nats, 'exports').some((e) => e.allow_trace === true)) used.push({ field: 'exports[].allow_trace', version: '2.11.0' })
  const scoped = records(nats, 'signing_keys')
  if (scoped.some((k) => isRecord(k.template) && k.template.proxy_required === true)) {
    used.push({ field: 'signing_keys[].template.proxy_required', version: '2.12.0' })
  }
  return used
}

/** Reads an account JWT (stored, so already verified); a JWT that does not decode yields bare facts. */
export function factsOf(account: StoredAccount): AccountFacts {
  const base = {
    pubkey: account.pubkey,
    name: account.name,
    issuer: account.issuer,
    iat: account.iat,
    exp: account.exp,
    jti: account.jti,
  }
  let nats: JsonObject
  try {
    const { claims } = decodeJwt(account.jwt)
    nats = isRecord(claims.nats) ? claims.nats : {}
  } catch {
    return { ...base, imports: NONE, exports: NONE, signingKeys: NONE, allowedAccounts: NONE, features: NONE }
  }
  const imports = records(nats, 'imports').map((i): ImportFacts => {
    const token = str(i, 'token')
    return { account: str(i, 'account'), subject: str(i, 'subject'), kind: kindOf(i), token: token === '' ? null : tokenFacts(token) }
  })
  const exports = records(nats, 'exports').map((e): ExportFacts => ({ subject: str(e, 'subject'), kind: kindOf(e), tokenRequired: e.token_req === true }))
  const signingKeys = list(nats, 'signing_keys').flatMap((k) => (typeof k === 'string' ? [k] : isRecord(k) ? [str(k, 'key')] : []))
  const authorization = isRecord(nats.authorization) ? nats.authorization : {}
  const allowedAccounts = list(authorization, 'allowed_accounts').filter((a): a is string => typeof a === 'string')
  const features = featuresOf(nats)
  const orNone = <T>(items: T[]): readonly T[] => (items.length === 0 ? NONE : items)
  return {
    ...base,
    imports: orNone(imports),
    exports: orNone(exports),
    signingKeys: orNone(signingKeys),
    allowedAccounts: orNone(allowedAccounts),
    features: orNone(features),
  }
}
