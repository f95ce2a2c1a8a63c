/**
 * Command-line flags layered over the loaded configuration: defaults < config file <
 * environment < flags, with the rules that span the layers.
 * @module
 */
import { homedir } from 'node:os'
import { ConfigError, UsageError } from '../errors.js'
import { loadConfig, parseDurationMs, workerCount, type LoadedConfig } from './load.js'
import type { ServerConfig } from './types.js'

export type CliFlags = {
  config?: string
  dir?: string
  sqlite?: string
  shard: boolean
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
  if (flags.dir !== undefined && flags.sqlite !== undefined) {
    throw new UsageError('-dir and --sqlite name two different stores: choose one')
  }
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
  if (flags.operator !== undefined) config.operator = flags.operator
  if (flags.primary !== undefined) config.primary = flags.primary
  // The Go server took one URL; a comma-separated list is what nats-server clients accept too.
  if (flags.nats !== undefined) config.nats.servers = flags.nats.split(',').map((u) => u.trim()).filter(Boolean)
  if (flags.creds !== undefined) config.nats.credentials = expandHome(flags.creds)
  if (flags.autoResync) config.nats.autoResync = true
  if (flags.hostPort !== undefined) {
    const { host, port } = parseHostPort(flags.hostPort)
    config.http.host = host
    config.http.port = port
  }
  if (flags.metricsHostPort !== undefined) config.metrics.listen = flags.metricsHostPort
  if (flags.trace) config.logging.level = 'trace'
  else if (flags.debug) config.logging.level = 'debug'
  if (flags.workers !== undefined) {
    try {
      config.workers = workerCount(flags.workers)
    } catch (err) {
      throw new UsageError(`--workers: ${(err as Error).message}`)
    }
  }
  if (flags.clockSkew !== undefined) {
    try {
      config.clockSkewMs = parseDurationMs(flags.clockSkew)
    } catch (err) {
      throw new UsageError(`--clock-skew: ${(err as Error).message}`)
    }
  }
  if (flags.apiAuth) config.api.auth = true
  if (flags.adminTokenFile !== undefined) config.api.adminTokenFile = expandHome(flags.adminTokenFile)
  if (flags.adminCertSubjects !== undefined) config.api.adminCertSubjects = flags.adminCertSubjects.split(';').map((s) => s.trim()).filter(Boolean)
  if (flags.expiringWithin !== undefined) {
    try {
      config.checks.expiringWithinMs = parseDurationMs(flags.expiringWithin)
    } catch (err) {
      throw new UsageError(`--expiring-within: ${(err as Error).message}`)
    }
  }
  if (flags.logFormat !== undefined) {
    if (flags.logFormat !== 'text' && flags.logFormat !== 'json') {
      throw new UsageError(`--log-format is text or json, not "${flags.logFormat}"`)
    }
    config.logging.format = flags.logFormat
  }
  return config
}

/** Defaults < config file (`-c`, or NATS_ACCOUNTS_CONFIG) < environment < flags. */
export async function configFor(flags: CliFlags, command: CommandName, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const file = flags.config ?? (env.NATS_ACCOUNTS_CONFIG || undefined)
  const loaded = await loadConfig({ file: file === undefined ? undefined : expandHome(file), env })
  return { config: applyFlags(loaded.config, flags, command), warnings: loaded.warnings }
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
