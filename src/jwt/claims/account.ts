/**
 * The rest of the account (nats-io/jwt account_claims.go, types.go, signingkeys.go).
 * @module
 */
import { isRecord, type JsonObject as Json } from '../json.js'
import { isPublicKeyOf } from '../nkeys.js'
import { checkExports } from './exports.js'
import { checkImports } from './imports.js'
import { checkInfo } from './info-url.js'
import { EMPTY, list, num, quote, rec, Report, str, strings } from './read.js'
import { FLAT_LIMITS, V1_LIMITS } from './shapes.js'
import { checkSubject, hasWildcards, subjectProblems } from './subjects.js'

function checkPermissions(permissions: Json, report: Report): void {
  const check = (permission: Json, permitQueue: boolean): void => {
    for (const subject of [...strings(permission, 'allow'), ...strings(permission, 'deny')]) {
      const tokens = subject.split(' ')
      if (tokens.length > 2) {
        report.error(`Permission Subject "${subject}" contains too many spaces`)
        continue
      }
      for (const token of tokens) checkSubject(token, report)
      if (tokens.length === 2 && !permitQueue) {
        report.error(`Permission Subject "${subject}" is not allowed to contain queue`)
      }
    }
  }
  check(rec(permissions, 'sub'), true)
  check(rec(permissions, 'pub'), false)
}

function checkMappings(mappings: Json, report: Report): void {
  for (const [from, targets] of Object.entries(mappings)) {
    checkSubject(from, report)
    const perCluster = new Map<string, number>()
    let total = 0
    // before jwt v2.5.8 every weight, cluster-bound ones included, went into one uint8 sum
    let legacyTotal = 0
    for (const target of Array.isArray(targets) ? targets : []) {
      const mapping = isRecord(target) ? target : EMPTY
      const subject = str(mapping, 'subject')
      checkSubject(subject, report)
      // jwt ≤ v2.4.1 (nats-server ≤ 2.9.21)
      if (hasWildcards(subject)) {
        report.error(
          `Subject ${quote(subject)} in weighted mapping ${quote(from)} is not allowed to contains wildcard`,
        )
      }
      const weight = num(mapping, 'weight') || 100
      // jwt v2.8.1
      if (weight > 100) {
        report.error(`Mapping ${quote(from)} has a weight ${weight} that exceeds 100`)
      }
      legacyTotal = (legacyTotal + weight) % 256
      const cluster = str(mapping, 'cluster')
      if (cluster === '') {
        total += weight
        continue
      }
      const clusterTotal = (perCluster.get(cluster) ?? 0) + weight
      perCluster.set(cluster, clusterTotal)
      if (clusterTotal > 100) {
        const where = `${quote(from)} in cluster ${quote(cluster)}`
        report.error(`Mapping ${where} exceeds 100% among all of it's weighted to mappings`)
      }
    }
    if (total > 100 || legacyTotal > 100) {
      report.error(`Mapping ${quote(from)} exceeds 100% among all of it's weighted to mappings`)
    }
  }
}

function checkAuthorization(authorization: Json, report: Report): void {
  const users = strings(authorization, 'auth_users')
  const accounts = strings(authorization, 'allowed_accounts')
  if (accounts.length > 0 && users.length === 0) {
    report.error('External authorization cannot have accounts without users specified')
  }
  for (const user of users) {
    if (!isPublicKeyOf(user, 'U')) {
      report.error(`AuthUser ${quote(user)} is not a valid user public key`)
    }
  }
  for (const account of accounts) {
    if (account === '*') {
      if (accounts.length > 1) report.error('AllowedAccounts can only be a list of accounts or "*"')
    } else if (!isPublicKeyOf(account, 'A')) {
      report.error(`Account ${quote(account)} is not a valid account public key`)
    }
  }
  const xkey = str(authorization, 'xkey')
  if (xkey !== '' && !isPublicKeyOf(xkey, 'X')) {
    report.error(`XKey ${quote(xkey)} is not a valid public xkey`)
  }
}

function checkTrace(trace: Json, report: Report): void {
  const dest = str(trace, 'dest')
  const problem = subjectProblems(dest)[0]
  if (problem !== undefined) report.error(`the account Trace.Destination ${problem}`)
  if (hasWildcards(dest)) {
    report.error(
      `the account Trace.Destination subject ${quote(dest)} is not a valid publish subject`,
    )
  }
  const sampling = num(trace, 'sampling')
  if (sampling < 0 || sampling > 100) {
    report.error(
      `the account Trace.Sampling value '${sampling}' is not valid, should be in the range [1..100]`,
    )
  }
}

function checkSigningKeys(signingKeys: unknown[], report: Report): void {
  // Go keeps them in a map by key, the last entry for a key winning
  const scoped = new Map<string, boolean>()
  for (const entry of signingKeys) {
    if (typeof entry === 'string') scoped.set(entry, false)
    else if (isRecord(entry)) scoped.set(str(entry, 'key'), true)
  }
  for (const [key, isScoped] of scoped) {
    if (isPublicKeyOf(key, 'A')) continue
    report.error(
      isScoped
        ? `${key} is not an account public key`
        : `${quote(key)} is not a valid account signing key`,
    )
  }
}

/** `OperatorLimits.IsEmpty` after loading (tiers clear the flat JetStream limits). */
export function limitsAreEmpty(limits: Json): boolean {
  if (Object.keys(rec(limits, 'tiered_limits')).length > 0) return false
  return FLAT_LIMITS.every((key) => !limits[key])
}

export function checkAccount(nats: Json, accountKey: string, report: Report): void {
  const imports = list(nats, 'imports')
  const exports = list(nats, 'exports')
  const limits = rec(nats, 'limits')
  checkImports(imports, accountKey, report)
  checkExports(exports, report)
  // "JetStream Limits and tiered JetStream Limits are mutually exclusive" cannot fire: loading
  // clears the flat limits whenever tiers are present.
  if ('' in rec(limits, 'tiered_limits')) {
    report.error('Tiered JetStream Limits can not contain a blank "" tier name')
  }
  checkPermissions(rec(nats, 'default_permissions'), report)
  checkMappings(rec(nats, 'mappings'), report)
  checkAuthorization(rec(nats, 'authorization'), report)
  if (isRecord(nats.trace)) checkTrace(nats.trace, report)

  // Go checks the import count twice, so one excess yields two errors; a missing `limits` reads
  // as 0 imports and 0 exports allowed.
  const maxImports = num(limits, 'imports')
  const tooManyImports = 'the account contains more imports than allowed by the operator'
  if (!limitsAreEmpty(limits) && maxImports >= 0 && imports.length > maxImports) {
    report.error(tooManyImports)
  }
  if (maxImports !== -1 && imports.length > maxImports) report.error(tooManyImports)
  const maxExports = num(limits, 'exports')
  if (maxExports !== -1) {
    if (exports.length > maxExports) {
      report.error('the account contains more exports than allowed by the operator')
    }
    if (limits.wildcards !== true) {
      for (const e of exports) {
        if (isRecord(e) && hasWildcards(str(e, 'subject'))) {
          report.error('the account contains wildcard exports that are not allowed by the operator')
        }
      }
    }
  }
  checkSigningKeys(list(nats, 'signing_keys'), report)
  checkInfo(nats, report)
  // jwt v2.7.0
  const clusterTraffic = str(nats, 'cluster_traffic')
  if (clusterTraffic !== '' && clusterTraffic !== 'system' && clusterTraffic !== 'owner') {
    report.error(`unknown cluster traffic option: ${quote(clusterTraffic)}`)
  }
}

/** Go's `migrateV1`: what a v1 account keeps; JetStream limits, scopes and the rest are empty. */
export function migrateV1(nats: Json): Json {
  const limits = rec(nats, 'limits')
  return {
    imports: nats.imports,
    exports: nats.exports,
    limits: Object.fromEntries(Object.keys(V1_LIMITS).map((key) => [key, limits[key]])),
    signing_keys: strings(nats, 'signing_keys'),
  }
}
