/**
 * Command-line flags layered over the loaded configuration: defaults < config file <
 * environment < flags, with the rules that span the layers.
 * @module
 */
import { homedir } from 'node:os'
import { ConfigError, UsageError } from '../errors.js'
import { kvBucket, kvReplicas, kvStoreFrom, loadConfig, parseDurationMs, workerCount, type LoadedConfig } from './load.js'
import type { ServerConfig } from './types.js'

export type CliFlags = {
  config?: string
  dir?: string
  sqlite?: string
  shard: boolean
  kv?: string
  kvServers?: string
  kvCreds?: string
  kvNkey?: string
  kvReplicas?: string
  kvSnapshot?: string
  dryRun: boolean
  format?: string
  logFormat?: string
  workers?: string
  clockSkew?: string
  systemAccount?: string
  operator?: string
  hostPort?: string
  metricsHostPort?: string
  nats?: string
  creds?: string
  nkey?: string
  signRequestSubject?: string
  primary?: string
  autoResync: boolean
  apiAuth: boolean
  adminTokenFile?: string
  adminCertSubjects?: string
  expiringWithin?: string
  json: boolean
  debug: boolean
  trace: boolean
  dump: boolean
  help: boolean
  version: boolean
  /** Removed Go features, kept only to explain the migration. */
  nsc?: string
  readOnly: boolean
}

/** The commands whose flags apply here: export reads --shard as its target's layout. */
export type CommandName = 'serve' | 'import' | 'export' | 'check'

/**
 * A copy of the configuration with the flags applied (flags win over file and environment).
 * @throws UsageError for flags that do not go together; ConfigError for bad values
 */
export function applyFlags(loaded: ServerConfig, flags: CliFlags, command: CommandName = 'serve'): ServerConfig {
  const config = structuredClone(loaded)
  const named = [flags.dir !== undefined && '-dir', flags.sqlite !== undefined && '--sqlite', flags.kv !== undefined && '--kv'].filter(Boolean)
  if (named.length > 1) throw new UsageError(`${named.join(' and ')} name ${named.length === 2 ? 'two ' : ''}different stores: choose one`)
  // For export, --shard describes the target; a -dir source is read in the layout it has.
  const shardsStore = command !== 'export' && flags.shard
  // As in the Go server, -dir replaces the whole store setting (a file's shard: true included).
  if (flags.dir !== undefined) {
    config.store = { type: 'directory', dir: expandHome(flags.dir), shard: shardsStore }
  } else if (flags.sqlite !== undefined) {
    config.store = { type: 'sqlite', file: expandHome(flags.sqlite) }
  } else if (shardsStore) {
    if (config.store.type !== 'directory') throw new UsageError('--shard applies to a -dir store')
    config.store.shard = true
  }
  applyKvFlags(config, flags)
  if (flags.operator !== undefined) config.operator = flags.operator
  if (flags.primary !== undefined) config.primary = flags.primary
  // The Go server took one URL; a comma-separated list is what nats-server clients accept too.
  if (flags.nats !== undefined) config.nats.servers = flags.nats.split(',').map((u) => u.trim()).filter(Boolean)
  if (flags.creds !== undefined) config.nats.credentials = expandHome(flags.creds)
  if (flags.nkey !== undefined) config.nats.nkey = expandHome(flags.nkey)
  if (flags.signRequestSubject !== undefined) config.nats.signRequestSubject = flags.signRequestSubject
  if (flags.autoResync) config.nats.autoResync = true
  if (flags.hostPort !== undefined) {
    const { host, port } = parsedFlag('', () => parseHostPort(flags.hostPort!))
    config.http.host = host
    config.http.port = port
  }
  if (flags.metricsHostPort !== undefined) config.metrics.listen = flags.metricsHostPort
  if (flags.trace) config.logging.level = 'trace'
  else if (flags.debug) config.logging.level = 'debug'
  if (flags.workers !== undefined) config.workers = parsedFlag('--workers: ', () => workerCount(flags.workers!))
  if (flags.clockSkew !== undefined) config.clockSkewMs = parsedFlag('--clock-skew: ', () => parseDurationMs(flags.clockSkew!))
  if (flags.apiAuth) config.api.auth = true
  if (flags.adminTokenFile !== undefined) config.api.adminTokenFile = expandHome(flags.adminTokenFile)
  if (flags.adminCertSubjects !== undefined) config.api.adminCertSubjects = flags.adminCertSubjects.split(';').map((s) => s.trim()).filter(Boolean)
  if (flags.expiringWithin !== undefined) config.checks.expiringWithinMs = parsedFlag('--expiring-within: ', () => parseDurationMs(flags.expiringWithin!))
  if (flags.logFormat !== undefined) {
    if (flags.logFormat !== 'text' && flags.logFormat !== 'json') {
      throw new UsageError(`--log-format is text or json, not "${flags.logFormat}"`)
    }
    config.logging.format = flags.logFormat
  }
  return config
}

/** A flag value that cannot be parsed is a usage error (exit 2), whatever the parser throws. */
function parsedFlag<T>(prefix: string, parse: () => T): T {
  try {
    return parse()
  } catch (err) {
    throw new UsageError(prefix + (err as Error).message)
  }
}

/** `--kv <bucket>` selects the KV store; the other `--kv-*` flags set it (or the configured one). */
function applyKvFlags(config: ServerConfig, flags: CliFlags): void {
  const { kv, kvServers, kvCreds, kvNkey, kvReplicas: replicas, kvSnapshot } = flags
  if (kv !== undefined) config.store = kvStoreFrom(config.store, { bucket: parsedFlag('--kv: ', () => kvBucket(kv)) })
  const given = [
    kvServers !== undefined && '--kv-servers',
    kvCreds !== undefined && '--kv-creds',
    kvNkey !== undefined && '--kv-nkey',
    replicas !== undefined && '--kv-replicas',
    kvSnapshot !== undefined && '--kv-snapshot',
  ].filter(Boolean)
  if (given.length === 0) return
  const { store } = config
  if (store.type !== 'kv') throw new UsageError(`${given.join(', ')} appl${given.length === 1 ? 'ies' : 'y'} to a KV store: add --kv <bucket>`)
  if (kvServers !== undefined) store.servers = kvServers.split(',').map((u) => u.trim()).filter(Boolean)
  if (kvCreds !== undefined) store.creds = expandHome(kvCreds)
  if (kvNkey !== undefined) store.nkey = expandHome(kvNkey)
  if (kvSnapshot !== undefined) store.snapshot = expandHome(kvSnapshot)
  if (replicas !== undefined) {
    store.replicas = parsedFlag('--kv-replicas: ', () => {
      if (!/^\d+$/.test(replicas)) throw new Error(`"${replicas}" is not a number of replicas from 1 to 5`)
      return kvReplicas(Number(replicas))
    })
  }
}

/** The KV store's connection must name its servers, wherever the store was chosen. */
function checkKvServers(config: ServerConfig, flags: CliFlags): void {
  if (config.store.type !== 'kv' || config.store.servers.length > 0) return
  const message = `the KV store (bucket ${config.store.bucket}) needs the NATS servers that hold it: --kv-servers <url[,url]> (store.kv.servers, NATS_ACCOUNTS_STORE_KV_SERVERS)`
  throw flags.kv !== undefined ? new UsageError(message) : new ConfigError(message)
}

/** Defaults < config file (`-c`, or NATS_ACCOUNTS_CONFIG) < environment < flags. */
export async function configFor(flags: CliFlags, command: CommandName, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const file = flags.config ?? (env.NATS_ACCOUNTS_CONFIG || undefined)
  const loaded = await loadConfig({ file: file === undefined ? undefined : expandHome(file), env })
  const config = applyFlags(loaded.config, flags, command)
  checkKvServers(config, flags)
  return { config, warnings: loaded.warnings }
}

/** Go's `net.SplitHostPort` plus a numeric port check, as the Go server's `-hp` did. */
export function parseHostPort(value: string): { host: string; port: number } {
  const fail = (why: string) => new ConfigError(`error parsing hostport: address ${value}: ${why}`)
  let host: string
  let portText: string
  if (value.startsWith('[')) {
    const end = value.indexOf(']')
    if (end === -1) throw fail('missing \']\' in address')
    host = value.slice(1, end)
    if (value[end + 1] !== ':') throw fail('missing port in address')
    portText = value.slice(end + 2)
  } else {
    const colon = value.lastIndexOf(':')
    if (colon === -1) throw fail('missing port in address')
    host = value.slice(0, colon)
    if (host.includes(':')) throw fail('too many colons in address')
    portText = value.slice(colon + 1)
  }
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) throw fail(`invalid port "${portText}"`)
  return { host, port: Number(portText) }
}

/** `~` and `~/...` expanded as the Go server did for -dir. */
export function expandHome(path: string): string {
  if (path === '~') return homedir()
  return path.startsWith('~/') ? homedir() + path.slice(1) : path
}
