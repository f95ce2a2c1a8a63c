/**
 * Builds the configuration: defaults < config file (`-c`, the Go server's format and keys) <
 * environment (`NATS_ACCOUNTS_*`) < flags. Keys match as the Go server matched them (any letter
 * case), and `_`/`-` are ignored too, so nats-server-style names (`system_account`) work.
 * Unknown keys are warnings; bad values are errors naming file, line and key.
 * @module
 */
import { ConfigError } from '../errors.js'
import type { LogFormat, LogLevel } from '../log/logger.js'
import { SYSTEM_CGROUPS, usableCpus, type CgroupPaths } from './cpus.js'
import { parseConfigFile, positionOf, type ConfigMap, type ConfigValue } from './parser.js'
import type { KvStoreConfig } from '../store/types.js'
import { defaultConfig, type ServerConfig } from './types.js'

type Kind = 'string' | 'int' | 'bool' | 'strings' | 'subjects' | 'duration'
type Value = string | number | boolean | string[]
type KvDraft = Partial<Omit<KvStoreConfig, 'type' | 'tls'>> & { tls?: Partial<KvStoreConfig['tls']> }
type StoreDraft = { dir?: string; sqlite?: string; shard?: boolean; kv?: KvDraft }
type Layer = { config: ServerConfig; store: StoreDraft; warnings: string[] }

type Entry = {
  kind: Kind
  /** `NATS_ACCOUNTS_<env>` sets it from the environment. */
  env?: string
  set(layer: Layer, value: never): void
}

const MIGRATION_HINT = [
  'use a dedicated store directory and specify the operator jwt path instead',
  'synchronize using: nsc push --all --account-jwt-server-url <account-server-host-port>/jwt/v1',
]
/** What the Go server said of its removed features, line by line (flags, config keys). */
export const NSC_REMOVED = ['support for direct access of the nsc folder has been removed', ...MIGRATION_HINT]
export const RO_REMOVED = [
  'support for read only directory access with file system updates has been removed',
  ...MIGRATION_HINT,
]

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error']
const FORMATS: readonly LogFormat[] = ['text', 'json']

const ignored = (why: string): Entry => ({
  kind: 'string',
  set: (layer: Layer) => void layer.warnings.push(why),
})

/** Keys by normalised path (lower case, no `_` or `-`). */
const ENTRIES: Record<string, Entry> = {
  // The Go server's keys (nas-spec §9).
  'logging.debug': { kind: 'bool', set: (l, v: boolean) => v && l.config.logging.level === 'info' && (l.config.logging.level = 'debug') },
  'logging.trace': { kind: 'bool', set: (l, v: boolean) => v && (l.config.logging.level = 'trace') },
  'logging.time': { kind: 'bool', set: () => undefined },
  'logging.colors': { kind: 'bool', set: () => undefined },
  'logging.pid': { kind: 'bool', set: () => undefined },
  'nats.servers': { kind: 'strings', env: 'NATS_SERVERS', set: (l, v: string[]) => (l.config.nats.servers = v) },
  'nats.connecttimeout': { kind: 'duration', set: (l, v: number) => (l.config.nats.connectTimeoutMs = v) },
  'nats.reconnectwait': { kind: 'duration', set: (l, v: number) => (l.config.nats.reconnectWaitMs = Math.max(1, v)) },
  'nats.maxreconnects': { kind: 'int', set: (l, v: number) => v !== -1 && l.warnings.push('nats.maxreconnects: nats-accounts always reconnects') },
  'nats.tls.root': { kind: 'string', set: (l, v: string) => (l.config.nats.tls.ca = v) },
  'nats.tls.cert': { kind: 'string', env: 'NATS_TLS_CERT', set: (l, v: string) => (l.config.nats.tls.cert = v) },
  'nats.tls.key': { kind: 'string', env: 'NATS_TLS_KEY', set: (l, v: string) => (l.config.nats.tls.key = v) },
  'nats.usercredentials': { kind: 'string', set: (l, v: string) => (l.config.nats.credentials = v) },
  'http.host': { kind: 'string', env: 'HTTP_HOST', set: (l, v: string) => (l.config.http.host = v) },
  'http.port': { kind: 'int', env: 'HTTP_PORT', set: (l, v: number) => (l.config.http.port = v) },
  'http.tls.cert': { kind: 'string', env: 'HTTP_TLS_CERT', set: (l, v: string) => (l.config.http.tls.cert = v) },
  'http.tls.key': { kind: 'string', env: 'HTTP_TLS_KEY', set: (l, v: string) => (l.config.http.tls.key = v) },
  'http.tls.root': ignored('http.tls.root is ignored (as by the Go server); http.tls.ca asks clients for certificates'),
  'http.readtimeout': { kind: 'duration', set: (l, v: number) => (l.config.http.readTimeoutMs = v) },
  'http.writetimeout': { kind: 'duration', set: () => undefined },
  'store.dir': { kind: 'string', env: 'STORE_DIR', set: (l, v: string) => (l.store.dir = v) },
  'store.shard': { kind: 'bool', env: 'STORE_SHARD', set: (l, v: boolean) => (l.store.shard = v) },
  'store.cleanupinterval': { kind: 'int', set: () => undefined },
  'store.kv.bucket': { kind: 'string', env: 'STORE_KV_BUCKET', set: (l, v: string) => (kvDraft(l).bucket = kvBucket(v)) },
  'store.kv.servers': { kind: 'strings', env: 'STORE_KV_SERVERS', set: (l, v: string[]) => (kvDraft(l).servers = v) },
  'store.kv.creds': { kind: 'string', env: 'STORE_KV_CREDS', set: (l, v: string) => (kvDraft(l).creds = v) },
  'store.kv.nkey': { kind: 'string', env: 'STORE_KV_NKEY', set: (l, v: string) => (kvDraft(l).nkey = v) },
  'store.kv.user': { kind: 'string', env: 'STORE_KV_USER', set: (l, v: string) => (kvDraft(l).user = v) },
  'store.kv.password': { kind: 'string', env: 'STORE_KV_PASSWORD', set: (l, v: string) => (kvDraft(l).password = v) },
  'store.kv.passwordfile': { kind: 'string', env: 'STORE_KV_PASSWORD_FILE', set: (l, v: string) => (kvDraft(l).passwordFile = v) },
  'store.kv.token': { kind: 'string', env: 'STORE_KV_TOKEN', set: (l, v: string) => (kvDraft(l).token = v) },
  'store.kv.tokenfile': { kind: 'string', env: 'STORE_KV_TOKEN_FILE', set: (l, v: string) => (kvDraft(l).tokenFile = v) },
  'store.kv.replicas': { kind: 'int', env: 'STORE_KV_REPLICAS', set: (l, v: number) => (kvDraft(l).replicas = kvReplicas(v)) },
  'store.kv.snapshot': { kind: 'string', env: 'STORE_KV_SNAPSHOT', set: (l, v: string) => (kvDraft(l).snapshot = v) },
  'store.kv.tls.ca': { kind: 'string', env: 'STORE_KV_TLS_CA', set: (l, v: string) => ((kvDraft(l).tls ??= {}).ca = v) },
  'store.kv.tls.cert': { kind: 'string', env: 'STORE_KV_TLS_CERT', set: (l, v: string) => ((kvDraft(l).tls ??= {}).cert = v) },
  'store.kv.tls.key': { kind: 'string', env: 'STORE_KV_TLS_KEY', set: (l, v: string) => ((kvDraft(l).tls ??= {}).key = v) },
  'store.nsc': { kind: 'string', set: () => { throw new ConfigError(NSC_REMOVED.slice(0, 2).join(': ')) } },
  'store.readonly': { kind: 'bool', set: (_l, v: boolean) => { if (v) throw new ConfigError(RO_REMOVED.slice(0, 2).join(': ')) } },
  operatorjwtpath: { kind: 'string', set: (l, v: string) => (l.config.operator = v) },
  systemaccountjwtpath: { kind: 'string', set: (l, v: string) => (l.config.systemAccountJwt = v) },
  signrequestsubject: { kind: 'string', env: 'SIGN_REQUEST_SUBJECT', set: (l, v: string) => (l.config.nats.signRequestSubject = v) },
  // The Go server bounded its LOOKUPs with the signing timeout too.
  signrequesttimeout: {
    kind: 'duration',
    env: 'SIGN_REQUEST_TIMEOUT',
    set: (l, v: number) => {
      l.config.nats.lookupTimeoutMs = v
      l.config.nats.signRequestTimeoutMs = v
    },
  },
  primary: { kind: 'string', env: 'PRIMARY', set: (l, v: string) => (l.config.primary = v) },
  replicationtimeout: { kind: 'duration', set: (l, v: number) => (l.config.replicationTimeoutMs = v) },
  maxreplicationpack: { kind: 'int', set: (l, v: number) => (l.config.maxPack = v) },
  // nats-server's names and our own.
  operator: { kind: 'string', env: 'OPERATOR', set: (l, v: string) => (l.config.operator = v) },
  systemaccount: { kind: 'string', env: 'SYSTEM_ACCOUNT', set: (l, v: string) => (l.config.systemAccount = v) },
  systemaccountjwt: { kind: 'string', env: 'SYSTEM_ACCOUNT_JWT', set: (l, v: string) => (l.config.systemAccountJwt = v) },
  'store.sqlite': { kind: 'string', env: 'STORE_SQLITE', set: (l, v: string) => (l.store.sqlite = v) },
  'http.maxbody': { kind: 'int', set: (l, v: number) => (l.config.http.maxBodyBytes = v) },
  'http.tls.ca': { kind: 'string', env: 'HTTP_TLS_CA', set: (l, v: string) => (l.config.http.tls.ca = v) },
  'nats.creds': { kind: 'string', env: 'NATS_CREDS', set: (l, v: string) => (l.config.nats.credentials = v) },
  'nats.tls.ca': { kind: 'string', env: 'NATS_TLS_CA', set: (l, v: string) => (l.config.nats.tls.ca = v) },
  'nats.nkey': { kind: 'string', env: 'NATS_NKEY', set: (l, v: string) => (l.config.nats.nkey = v) },
  'nats.user': { kind: 'string', env: 'NATS_USER', set: (l, v: string) => (l.config.nats.user = v) },
  'nats.password': { kind: 'string', env: 'NATS_PASSWORD', set: (l, v: string) => (l.config.nats.password = v) },
  'nats.passwordfile': { kind: 'string', env: 'NATS_PASSWORD_FILE', set: (l, v: string) => (l.config.nats.passwordFile = v) },
  'nats.token': { kind: 'string', env: 'NATS_TOKEN', set: (l, v: string) => (l.config.nats.token = v) },
  'nats.tokenfile': { kind: 'string', env: 'NATS_TOKEN_FILE', set: (l, v: string) => (l.config.nats.tokenFile = v) },
  'nats.required': { kind: 'bool', env: 'NATS_REQUIRED', set: (l, v: boolean) => (l.config.nats.required = v) },
  'nats.notifywindow': { kind: 'duration', set: (l, v: number) => (l.config.nats.notifyWindowMs = v) },
  'nats.packinterval': { kind: 'duration', set: (l, v: number) => (l.config.nats.packIntervalMs = v) },
  'nats.lookuptimeout': { kind: 'duration', set: (l, v: number) => (l.config.nats.lookupTimeoutMs = v) },
  'nats.fleetinterval': { kind: 'duration', env: 'FLEET_INTERVAL', set: (l, v: number) => (l.config.nats.fleetIntervalMs = v) },
  'nats.fleetrate': { kind: 'int', set: (l, v: number) => (l.config.nats.fleetRate = atLeastOne(v)) },
  'nats.autoresync': { kind: 'bool', env: 'AUTO_RESYNC', set: (l, v: boolean) => (l.config.nats.autoResync = v) },
  'metrics.listen': { kind: 'string', env: 'METRICS_LISTEN', set: (l, v: string) => (l.config.metrics.listen = v) },
  workers: { kind: 'string', env: 'WORKERS', set: (l, v: string) => (l.config.workers = workerCount(v)) },
  clockskew: { kind: 'duration', env: 'CLOCK_SKEW', set: (l, v: number) => (l.config.clockSkewMs = v) },
  'api.auth': { kind: 'bool', env: 'API_AUTH', set: (l, v: boolean) => (l.config.api.auth = v) },
  'api.admintokenfile': { kind: 'string', env: 'API_ADMIN_TOKEN_FILE', set: (l, v: string) => (l.config.api.adminTokenFile = v) },
  'api.admincertsubjects': { kind: 'subjects', env: 'API_ADMIN_CERT_SUBJECTS', set: (l, v: string[]) => (l.config.api.adminCertSubjects = v) },
  'checks.expiringwithin': { kind: 'duration', env: 'CHECKS_EXPIRING_WITHIN', set: (l, v: number) => (l.config.checks.expiringWithinMs = v) },
  'logging.level': {
    kind: 'string',
    env: 'LOG_LEVEL',
    set: (l, v: string) => (l.config.logging.level = oneOf(v.toLowerCase(), LEVELS, 'a log level')),
  },
  'logging.format': {
    kind: 'string',
    env: 'LOG_FORMAT',
    set: (l, v: string) => (l.config.logging.format = oneOf(v.toLowerCase(), FORMATS, 'a log format')),
  },
}

const kvDraft = (layer: Layer): KvDraft => (layer.store.kv ??= {})

/** A KV bucket name as JetStream accepts it. @throws Error */
export function kvBucket(value: string): string {
  if (!/^[-\w]+$/.test(value)) throw new Error(`"${value}" is not a KV bucket name (letters, digits, - and _)`)
  return value
}

/** Replicas of a JetStream stream: 1 to 5. @throws Error */
export function kvReplicas(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 5) throw new Error(`${value} is not a number of replicas from 1 to 5`)
  return value
}

/** A KV store: the draft's settings over those of the store configured so far (or the defaults). */
export function kvStoreFrom(current: ServerConfig['store'], draft: KvDraft & { bucket: string }): KvStoreConfig {
  const base: KvStoreConfig =
    current.type === 'kv'
      ? current
      : { type: 'kv', bucket: '', servers: [], creds: '', replicas: 1, tls: { cert: '', key: '', ca: '' }, snapshot: '' }
  return { ...base, ...draft, tls: { ...base.tls, ...draft.tls } }
}

/** A positive count, or `auto` for one per CPU the process may use (its cgroup's CPU limit included). */
export function workerCount(value: string, cgroups: CgroupPaths = SYSTEM_CGROUPS): number {
  if (value.toLowerCase() === 'auto') return usableCpus(cgroups)
  const count = Number(value)
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new Error(`"${value}" is not auto or a number of workers from 1 to 64`)
  return count
}

function atLeastOne(value: number): number {
  if (value < 1) throw new Error(`expected a number of requests per second of at least 1, got ${value}`)
  return value
}

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`"${value}" is not ${what} (${allowed.join(', ')})`)
  }
  return value as T
}

const ENV_PREFIX = 'NATS_ACCOUNTS_'

const normalise = (key: string) => key.toLowerCase().replace(/[_-]/g, '')

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Go's conversions (nas-spec §9): bools from "true", ints from numeric strings. */
function convert(kind: Kind, raw: ConfigValue): Value {
  switch (kind) {
    case 'string':
      if (typeof raw === 'string') return raw
      if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw)
      throw new Error(`expected a string, got ${describe(raw)}`)
    case 'bool':
      if (typeof raw === 'boolean') return raw
      if (typeof raw === 'string') return raw.toLowerCase() === 'true'
      throw new Error(`expected true or false, got ${describe(raw)}`)
    case 'int':
      if (typeof raw === 'number' && Number.isInteger(raw)) return raw
      if (typeof raw === 'string' && /^-?\d+$/.test(raw.trim())) return Number(raw)
      throw new Error(`expected an integer, got ${describe(raw)}`)
    case 'duration': {
      if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0) return raw
      const match = typeof raw === 'string' ? DURATION.exec(raw.trim()) : null
      if (match) return Math.round(Number(match[1]) * UNIT_MS[match[2]!]!)
      if (typeof raw === 'string' && /^\d+$/.test(raw.trim())) return Number(raw)
      throw new Error(`expected milliseconds or a duration like "2s", got ${describe(raw)}`)
    }
    case 'strings':
      if (Array.isArray(raw)) return raw.map((item) => convert('string', item) as string)
      if (typeof raw === 'string') return raw.split(',').map((s) => s.trim()).filter(Boolean)
      return [convert('string', raw) as string]
    // Distinguished names hold commas: a list in one string is separated by semicolons.
    case 'subjects':
      if (Array.isArray(raw)) return raw.map((item) => convert('string', item) as string)
      return (convert('string', raw) as string).split(';').map((s) => s.trim()).filter(Boolean)
  }
}

/** A duration given as a flag: milliseconds, or a number with ms, s, m or h. @throws Error */
export function parseDurationMs(value: string): number {
  return convert('duration', value) as number
}

function describe(value: ConfigValue): string {
  if (Array.isArray(value)) return 'a list'
  if (value instanceof Date) return 'a date'
  if (typeof value === 'object') return 'a block'
  return JSON.stringify(value)
}

function apply(layer: Layer, entry: Entry, raw: ConfigValue, where: string): void {
  let value: Value
  try {
    value = convert(entry.kind, raw)
    entry.set(layer, value as never)
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${where}: ${err.message}`)
    throw new ConfigError(`${where}: ${(err as Error).message}`)
  }
}

function walk(layer: Layer, map: ConfigMap, prefix: string, file: string): void {
  for (const [key, raw] of Object.entries(map)) {
    const path = prefix + normalise(key)
    const at = positionOf(map, key)
    const where = `${at ? `${at.file}:${at.line}` : file}: ${prefix}${key}`
    const entry = ENTRIES[path]
    if (entry !== undefined) apply(layer, entry, raw, where)
    else if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && !(raw instanceof Date)) {
      if (Object.keys(ENTRIES).some((known) => known.startsWith(`${path}.`))) walk(layer, raw, `${path}.`, file)
      else layer.warnings.push(`${where}: unknown key, ignored`)
    } else layer.warnings.push(`${where}: unknown key, ignored`)
  }
}

/** The store a layer names; both kinds in one layer is a mistake worth stopping for. */
function settleStore(layer: Layer, where: string): void {
  const { dir, sqlite, shard, kv } = layer.store
  const named = [dir !== undefined && 'store.dir', sqlite !== undefined && 'store.sqlite', kv?.bucket !== undefined && 'store.kv.bucket'].filter(Boolean)
  if (named.length > 1) {
    throw new ConfigError(`${where}: ${named.join(' and ')} name ${named.length === 2 ? 'two ' : ''}different stores: choose one`)
  }
  if (kv !== undefined) {
    const { bucket } = kv
    if (bucket !== undefined) layer.config.store = kvStoreFrom(layer.config.store, { ...kv, bucket })
    else if (layer.config.store.type === 'kv') layer.config.store = kvStoreFrom(layer.config.store, { ...kv, bucket: layer.config.store.bucket })
    else throw new ConfigError(`${where}: store.kv settings need store.kv.bucket (NATS_ACCOUNTS_STORE_KV_BUCKET): they describe a KV store`)
  }
  if (dir !== undefined) layer.config.store = { type: 'directory', dir, shard: shard ?? false }
  else if (sqlite !== undefined) layer.config.store = { type: 'sqlite', file: sqlite }
  else if (shard !== undefined) {
    if (layer.config.store.type === 'directory') layer.config.store.shard = shard
    else if (shard) throw new ConfigError(`${where}: store.shard needs store.dir: it describes a directory store, and the store is SQLite`)
    else layer.warnings.push(`${where}: store.shard applies to a directory store (store.dir), ignored`)
  }
  layer.store = {}
}

export type LoadedConfig = { config: ServerConfig; warnings: string[] }

/**
 * Defaults, then the config file (when given), then `NATS_ACCOUNTS_*` variables.
 * Flags go on top (`cli/main.ts`).
 * @throws ConfigError naming file:line and key, or the variable
 */
export async function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): Promise<LoadedConfig> {
  const layer: Layer = { config: defaultConfig(), store: {}, warnings: [] }
  if (options.file !== undefined) {
    let map: ConfigMap
    try {
      map = await parseConfigFile(options.file, { env: options.env })
    } catch (err) {
      throw new ConfigError(`error reading configuration file: ${(err as Error).message}`, { cause: err })
    }
    walk(layer, map, '', options.file)
    settleStore(layer, options.file)
  }
  const env = options.env ?? process.env
  for (const [path, entry] of Object.entries(ENTRIES)) {
    const name = entry.env && `${ENV_PREFIX}${entry.env}`
    const value = name ? env[name] : undefined
    if (name && value !== undefined && value !== '') apply(layer, entry, value, `${name} (${path})`)
  }
  settleStore(layer, 'environment')
  return { config: layer.config, warnings: layer.warnings }
}
