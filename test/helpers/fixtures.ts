/**
 * The cross-implementation JWT fixtures in `test/fixtures/{standard,strict}` (see their README):
 * typed manifest, file contents and nats-server config snippets.
 * @module
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export type FixtureSetName = 'standard' | 'strict'

export const FIXTURE_SET_NAMES: readonly FixtureSetName[] = ['standard', 'strict']

export type Verdict = 'accept' | 'reject'

/** `ok` for accepts; the README lists what each reject reason means. */
export type FixtureReason =
  | 'ok'
  | 'untrusted-issuer'
  | 'expired'
  | 'not-yet-valid'
  | 'subject-not-account'
  | 'bad-signature'
  | 'not-account-jwt'
  | 'not-a-jwt'
  | 'stale-iat'
  | 'strict-signing-key'

export type FixtureKind = 'operator' | 'account' | 'user-jwt' | 'garbage'

/** One JWT file of the manifest; `garbage` has only name, kind, path, verdict, reason, detail. */
export type FixtureEntry = {
  name: string
  kind: FixtureKind
  /** The subject; where to post it (`/jwt/v1/accounts/<pubkey>`). */
  pubkey?: string
  /** Relative to the set's directory. */
  path: string
  /** Key label: `operator-identity`, `operator-signing-key`, an account name... */
  signer?: string
  issuer?: string
  iat?: number
  exp?: number
  nbf?: number
  jti?: string
  verdict: Verdict
  reason: FixtureReason
  detail: string
  /** Set where the verdict depends on what the store already holds (`R-old`). */
  precondition?: string
}

/** An account JWT every server must accept. */
export type AcceptedEntry = FixtureEntry & {
  kind: 'account'
  pubkey: string
  issuer: string
  iat: number
  jti: string
  verdict: 'accept'
  reason: 'ok'
}

export type RejectedEntry = FixtureEntry & { verdict: 'reject' }

export type KeyEntry = {
  name: string
  role: string
  pubkey: string
  seed_path: string
}

export type CredsEntry = {
  /** The user's name, e.g. `A0-user`. */
  name: string
  /** The account's name, e.g. `A0`. */
  account: string
  account_pubkey: string
  user_pubkey: string
  signed_by: 'account-identity' | 'account-signing-key'
  path: string
}

export type FixtureManifest = {
  generator: string
  jwt_library: string
  generated_at: string
  deterministic_keys: boolean
  strict_signing_key_usage: boolean
  operator: FixtureEntry & { kind: 'operator'; pubkey: string }
  operator_signing_keys: string[]
  system_account: string
  system_account_path: string
  keys: KeyEntry[]
  fixtures: FixtureEntry[]
  creds: CredsEntry[]
}

export type FixtureSet = {
  name: FixtureSetName
  /** Absolute path of the set's directory. */
  dir: string
  /** Absolute path of `operator.jwt`. */
  operatorPath: string
  operatorJwt: string
  /** The operator's identity public key. */
  operatorKey: string
  /** The operator's signing public keys. */
  signingKeys: string[]
  /** The system account's public key. */
  systemAccount: string
  sysJwt: string
  manifest: FixtureManifest
  accepted: AcceptedEntry[]
  rejected: RejectedEntry[]
  /** The entry's file as it is on disk. */
  jwt(entry: FixtureEntry): string
  /** Absolute path of the `.creds` of the user of `accountName` (e.g. `A0`); throws if none. */
  credsPath(accountName: string): string
}

const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url))

export function fixtureSetDir(name: FixtureSetName): string {
  return path.join(FIXTURES_DIR, name)
}

function isAccepted(entry: FixtureEntry): entry is AcceptedEntry {
  return entry.verdict === 'accept'
}

/** Reads a set's manifest; synchronous so that it can feed `describe.each`/`it.each`. */
export function loadFixtureSet(name: FixtureSetName): FixtureSet {
  const dir = fixtureSetDir(name)
  const read = (rel: string) => readFileSync(path.join(dir, rel), 'utf8')
  const manifest = JSON.parse(read('manifest.json')) as FixtureManifest
  if (!Array.isArray(manifest.fixtures) || !Array.isArray(manifest.creds) || !manifest.operator) {
    throw new Error(`${dir}/manifest.json: not a fixture manifest`)
  }
  const accepted = manifest.fixtures.filter(isAccepted)
  for (const entry of accepted) {
    // The typed promise of AcceptedEntry: fail loudly if the manifest ever breaks it.
    if (entry.kind !== 'account' || !entry.pubkey) {
      throw new Error(`${dir}/manifest.json: accepted fixture ${entry.name} is not an account`)
    }
  }
  const rejected = manifest.fixtures.filter((e): e is RejectedEntry => e.verdict === 'reject')

  return {
    name,
    dir,
    operatorPath: path.join(dir, manifest.operator.path),
    operatorJwt: read(manifest.operator.path),
    operatorKey: manifest.operator.pubkey,
    signingKeys: manifest.operator_signing_keys,
    systemAccount: manifest.system_account,
    sysJwt: read(manifest.system_account_path),
    manifest,
    accepted,
    rejected,
    jwt: (entry) => read(entry.path),
    credsPath: (accountName) => {
      const creds = manifest.creds.find((c) => c.account === accountName)
      if (!creds) {
        const known = manifest.creds.map((c) => c.account).join(', ')
        throw new Error(`no creds for account ${accountName} in the ${name} set (have: ${known})`)
      }
      return path.join(dir, creds.path)
    },
  }
}

/** nats-server config lines trusting the set's operator, with its system account. */
export function natsServerOperatorConfig(set: FixtureSet): string {
  return `operator: ${JSON.stringify(set.operatorPath)}\nsystem_account: ${set.systemAccount}\n`
}

/**
 * nats-server config lines for a memory resolver preloaded with `entries` (default: every
 * accepted account of the set). Without the system account, nats-server refuses to start.
 */
export function memoryResolverConfig(
  set: FixtureSet,
  entries: readonly FixtureEntry[] = set.accepted,
): string {
  const lines = entries.map((entry) => {
    if (!entry.pubkey) throw new Error(`fixture ${entry.name} has no pubkey to preload under`)
    return `  ${entry.pubkey}: ${JSON.stringify(set.jwt(entry).trim())}`
  })
  return `resolver: MEMORY\nresolver_preload: {\n${lines.join('\n')}\n}\n`
}
