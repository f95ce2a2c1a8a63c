/**
 * The cross-account checks: what no single JWT shows, because it depends on the other stored
 * accounts, the operator, the clock or the nats-servers running. Findings never block a push.
 * @module
 */
import { isContainedIn } from '../jwt/claims/subjects.js'
import { isTrustedIssuer, type OperatorTrust } from '../jwt/trust.js'
import type { AccountFacts, ImportFacts } from './facts.js'

export type Severity = 'error' | 'warning'

/** Every finding code, with its severity: the codes are stable (scripts, alerts and gauges use them). */
export const FINDING_CODES = {
  /** An import names an exporting account that is not stored. */
  'import-exporter-missing': 'error',
  /** The exporting account does not export the imported subject (of that kind). */
  'import-not-exported': 'error',
  /** The export requires an activation token and the import has none. */
  'import-token-missing': 'error',
  /** The import's activation token has expired. */
  'import-token-expired': 'error',
  /** The token was issued for another account, or signed by a key that is not the exporter's. */
  'import-token-wrong-account': 'error',
  /** An auth-callout account allows an account that is not stored. */
  'auth-allowed-account-missing': 'warning',
  /** An auth-callout account allows an account whose JWT has expired. */
  'auth-allowed-account-expired': 'error',
  /** An auth-callout account allows every account ("*"). */
  'auth-allowed-any': 'warning',
  /** Signed by a key that is not (or no longer) the operator's identity or signing key. */
  'issuer-not-trusted': 'error',
  /** Expires within the configured window (7 days by default). */
  'account-expiring': 'warning',
  /** Expired, and still stored. */
  'account-expired': 'error',
  /** Uses a field that a nats-server of the fleet is too old to apply. */
  'feature-needs-newer-server': 'warning',
} as const satisfies Record<string, Severity>

export type FindingCode = keyof typeof FINDING_CODES

export type Finding = {
  code: FindingCode
  severity: Severity
  /** The account the finding is about. */
  account: string
  name: string
  /** The other account involved (exporter, allowed account), when there is one. */
  other?: string
  subject?: string
  /** The JWT field concerned. */
  field?: string
  message: string
}

/** A nats-server as far as the version check reads it. */
export type ServerVersion = { name: string; version: string }

export type CheckContext = {
  nowSeconds: number
  /** `account-expiring` fires for accounts expiring within this many seconds. */
  expiringWithinSeconds: number
  /** The configured operator; null skips the issuer check. */
  trust: OperatorTrust | null
  /** The nats-servers seen (empty without NATS). */
  servers: readonly ServerVersion[]
}

export type Lookup = (pubkey: string) => AccountFacts | undefined

export function named(facts: { pubkey: string; name: string }): string {
  return facts.name === '' ? facts.pubkey : `"${facts.name}" (${facts.pubkey})`
}

function finding(code: FindingCode, facts: AccountFacts, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: FINDING_CODES[code], account: facts.pubkey, name: facts.name, ...extra, message }
}

function describeImport(facts: AccountFacts, i: ImportFacts): string {
  return `account ${named(facts)} imports ${i.kind} "${i.subject}" from`
}

function importFindings(facts: AccountFacts, i: ImportFacts, lookup: Lookup): Finding[] {
  const extra = { other: i.account, subject: i.subject, field: 'imports' }
  const exporter = lookup(i.account)
  if (exporter === undefined) {
    return [finding('import-exporter-missing', facts, `${describeImport(facts, i)} ${i.account}, which is not stored`, extra)]
  }
  const matches = exporter.exports.filter((e) => e.kind === i.kind && isContainedIn(i.subject, e.subject))
  if (matches.length === 0) {
    return [finding('import-not-exported', facts, `${describeImport(facts, i)} ${named(exporter)}, which does not export it`, extra)]
  }
  const token = i.token
  if (token === null) {
    if (matches.every((e) => e.tokenRequired)) {
      return [finding('import-token-missing', facts, `${describeImport(facts, i)} ${named(exporter)}, whose export requires an activation token, and the import has none`, extra)]
    }
    return []
  }
  if (token === 'unreadable') {
    return [finding('import-token-wrong-account', facts, `${describeImport(facts, i)} ${named(exporter)} with an activation token that does not decode`, extra)]
  }
  if (token.subject !== facts.pubkey) {
    return [finding('import-token-wrong-account', facts, `${describeImport(facts, i)} ${named(exporter)} with an activation token issued for another account, ${token.subject}`, extra)]
  }
  const signedByExporter = token.issuer === exporter.pubkey || (token.issuerAccount === exporter.pubkey && exporter.signingKeys.includes(token.issuer))
  if (!signedByExporter) {
    return [finding('import-token-wrong-account', facts, `${describeImport(facts, i)} ${named(exporter)} with an activation token signed by ${token.issuer}, which is not that account nor one of its signing keys`, extra)]
  }
  return []
}

/**
 * Findings that depend on the other stored accounts only: kept per account, and recomputed when
 * the account or one it depends on changes.
 */
export function crossFindings(facts: AccountFacts, lookup: Lookup): Finding[] {
  const found = facts.imports.flatMap((i) => importFindings(facts, i, lookup))
  for (const allowed of facts.allowedAccounts) {
    const extra = { other: allowed, field: 'authorization.allowed_accounts' }
    if (allowed === '*') {
      found.push(finding('auth-allowed-any', facts, `auth-callout account ${named(facts)} allows "*": its callout may place users in any account of the operator`, extra))
    } else if (lookup(allowed) === undefined) {
      found.push(finding('auth-allowed-account-missing', facts, `auth-callout account ${named(facts)} allows account ${allowed}, which is not stored`, extra))
    }
  }
  return found
}

/** 2.10.7 → [2, 10, 7]; a pre-release or build suffix is ignored. */
function versionParts(version: string): number[] {
  return version
    .replace(/^v/, '')
    .split(/[-+]/)[0]!
    .split('.')
    .map((part) => Number.parseInt(part, 10) || 0)
}

export function isOlderVersion(version: string, than: string): boolean {
  const [a, b] = [versionParts(version), versionParts(than)]
  for (let i = 0; i < 3; i++) {
    const [x, y] = [a[i] ?? 0, b[i] ?? 0]
    if (x !== y) return x < y
  }
  return false
}

const at = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')

/** Findings that depend on the clock, the operator or the fleet: computed when asked, never stored. */
export function timedFindings(facts: AccountFacts, lookup: Lookup, context: CheckContext): Finding[] {
  const found: Finding[] = []
  const now = context.nowSeconds
  if (facts.exp > 0 && facts.exp <= now) {
    found.push(finding('account-expired', facts, `account ${named(facts)} expired at ${at(facts.exp)} and is still stored: nats-servers refuse it`, { field: 'exp' }))
  } else if (facts.exp > 0 && facts.exp - now <= context.expiringWithinSeconds) {
    found.push(finding('account-expiring', facts, `account ${named(facts)} expires at ${at(facts.exp)}, in ${Math.ceil((facts.exp - now) / 3600)} h`, { field: 'exp' }))
  }
  const { trust } = context
  if (trust !== null && !isTrustedIssuer(trust, facts.issuer)) {
    const why = facts.issuer === trust.key ? `the identity key of operator ${trust.name}, which requires signing keys (strict_signing_key_usage)` : `not operator ${trust.name} (${trust.key}) nor one of its signing keys`
    found.push(finding('issuer-not-trusted', facts, `account ${named(facts)} is signed by ${facts.issuer}, ${why}: nats-servers refuse it`, { field: 'iss' }))
  }
  for (const i of facts.imports) {
    if (i.token !== null && i.token !== 'unreadable' && i.token.exp > 0 && i.token.exp <= now) {
      const exporter = lookup(i.account)
      found.push(finding('import-token-expired', facts, `${describeImport(facts, i)} ${exporter ? named(exporter) : i.account} with an activation token that expired at ${at(i.token.exp)}`, { other: i.account, subject: i.subject, field: 'imports' }))
    }
  }
  for (const allowed of facts.allowedAccounts) {
    const target = allowed === '*' ? undefined : lookup(allowed)
    if (target !== undefined && target.exp > 0 && target.exp <= now) {
      found.push(finding('auth-allowed-account-expired', facts, `auth-callout account ${named(facts)} allows account ${named(target)}, which expired at ${at(target.exp)}`, { other: allowed, field: 'authorization.allowed_accounts' }))
    }
  }
  for (const feature of facts.features) {
    const older = context.servers.filter((s) => isOlderVersion(s.version, feature.version))
    if (older.length === 0) continue
    const servers = older.map((s) => `${s.name} (${s.version})`).join(', ')
    found.push(finding('feature-needs-newer-server', facts, `account ${named(facts)} sets ${feature.field}, which nats-server applies from ${feature.version}; older servers ignore it: ${servers}`, { field: feature.field }))
  }
  return found
}
