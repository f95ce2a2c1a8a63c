/**
 * The `nats-accounts` command: parses flags, builds the configuration and runs a command.
 * Exit codes: 0 success (serve: stopped by SIGINT/SIGTERM), 1 runtime or start-up error (or an
 * import with rejected JWTs), 2 bad usage.
 * @module
 */
import { loadConfig, parseDurationMs, workerCount, type LoadedConfig } from '../config/load.js'
import type { ServerConfig } from '../config/types.js'
import cluster from 'node:cluster'
import { ClusterBridge } from '../cluster/bridge.js'
import { runPrimary } from '../cluster/primary.js'
import { WORKER_ENV } from '../cluster/protocol.js'
import { AccountServerError } from '../errors.js'
import { createLogger, type Logger } from '../log/logger.js'
import { redactUrl } from '../nats/link.js'
import { createAccountServer } from '../server.js'
import { VERSION } from '../version.js'
import {
  expandHome,
  parseCommandLine,
  parseHostPort,
  USAGE,
  UsageError,
  type CliFlags,
  type Command,
} from './args.js'
import { runExport, runImport, type Io } from './migrate.js'

export type { Io }

const MIGRATION_HINT = [
  'use a dedicated store directory and specify the operator jwt path instead',
  'synchronize using: nsc push --all --account-jwt-server-url <account-server-host-port>/jwt/v1',
]
const NSC_REMOVED = ['support for direct access of the nsc folder has been removed', ...MIGRATION_HINT]
const RO_REMOVED = [
  'support for read only directory access with file system updates has been removed',
  ...MIGRATION_HINT,
]

/**
 * Applies flags over a loaded configuration (flags win over file and environment).
 * @throws UsageError for flags that do not go together; ConfigError for bad values
 */
export function applyFlags(config: ServerConfig, flags: CliFlags, command: Command = { name: 'serve' }): ServerConfig {
  if (flags.dir !== undefined && flags.sqlite !== undefined) {
    throw new UsageError('-dir and --sqlite name two different stores: choose one')
  }
  // For export, --shard describes the target; a -dir source is read in the layout it has.
  const shardsStore = command.name !== 'export' && flags.shard
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
  if (flags.logFormat !== undefined) {
    if (flags.logFormat !== 'text' && flags.logFormat !== 'json') {
      throw new UsageError(`--log-format is text or json, not "${flags.logFormat}"`)
    }
    config.logging.format = flags.logFormat
  }
  return config
}

/** Defaults < config file (`-c`, or NATS_ACCOUNTS_CONFIG) < environment < flags. */
export async function configFor(flags: CliFlags, command: Command, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const file = flags.config ?? (env.NATS_ACCOUNTS_CONFIG || undefined)
  const loaded = await loadConfig({ file: file === undefined ? undefined : expandHome(file), env })
  return { config: applyFlags(loaded.config, flags, command), warnings: loaded.warnings }
}

/**
 * Runs the command line. Resolves with the exit code: at once for commands that end by
 * themselves, after a signal has stopped the server for `serve`.
 */
export async function main(argv: readonly string[], io: Io = process): Promise<number> {
  let parsed
  try {
    parsed = parseCommandLine(argv)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    io.stderr.write(`${err.message}; see --help\n`)
    return 2
  }
  const { command, flags } = parsed
  if (flags.help) {
    io.stdout.write(USAGE)
    return 0
  }
  if (flags.version) {
    io.stdout.write(`nats-accounts ${VERSION}\n`)
    return 0
  }
  const bootLogger = createLogger({ destination: io.stderr, format: flags.logFormat === 'json' ? 'json' : 'text' })
  if (flags.nsc !== undefined || flags.readOnly) {
    for (const line of flags.nsc !== undefined ? NSC_REMOVED : RO_REMOVED) bootLogger.error(line)
    return 1
  }
  let loaded: LoadedConfig
  try {
    loaded = await configFor(flags, command)
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${err.message}\n`)
      return 2
    }
    bootLogger.error((err as Error).message)
    return 1
  }
  const { config } = loaded
  const logger = createLogger({ level: config.logging.level, format: config.logging.format, destination: io.stderr })
  // A worker's configuration warnings were already printed by the primary.
  if (!cluster.isWorker) for (const warning of loaded.warnings) logger.warn(warning)
  try {
    switch (command.name) {
      case 'serve':
        if (config.workers > 1 && cluster.isPrimary) return await runPrimary(config.workers, logger)
        return await serve(config, flags, cluster.isWorker ? logger.child({ worker: workerNumber() }) : logger)
      case 'import':
        return await runImport(command.source, config, flags, io)
      case 'export':
        return await runExport(command, config, flags, io)
    }
  } catch (err) {
    logger.error(err instanceof AccountServerError ? err.message : `failed: ${String(err)}`)
    return 1
  }
}

/** The configuration without the passwords and tokens URLs may carry. */
function redacted(config: ServerConfig): ServerConfig {
  return { ...config, nats: { ...config.nats, servers: config.nats.servers.map(redactUrl) } }
}

function workerNumber(): number {
  return Number(process.env[WORKER_ENV] ?? 1)
}

async function serve(config: ServerConfig, flags: CliFlags, logger: Logger): Promise<number> {
  const bridge = cluster.isWorker ? new ClusterBridge(workerNumber()) : undefined
  // Heard from the first moment: a stop that arrives during start-up stops the server once it
  // has started (a worker starting while the others stop must not be left running).
  let requestStop: (signal: NodeJS.Signals) => void = () => undefined
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => (requestStop = resolve))
  // After the first signal a second one takes Node's default action: it ends the process.
  const stopListening = () => {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  const onSignal = (signal: NodeJS.Signals) => {
    stopListening()
    requestStop(signal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  bridge?.onStop(() => onSignal('SIGTERM'))
  let server
  try {
    server = await createAccountServer({ config, logger, cluster: bridge })
    await server.start()
  } catch (err) {
    logger.error(err instanceof AccountServerError ? err.message : `start-up failed: ${String(err)}`)
    await server?.stop().catch(() => undefined)
    stopListening()
    return 1
  }
  if (flags.dump) logger.info(`effective configuration:\n${JSON.stringify(redacted(config), null, 2)}`)
  const running = server
  // SIGHUP re-reads file, environment and flags; a bad new configuration leaves the old one.
  const reload = () => {
    logger.info('received SIGHUP, reloading the configuration')
    configFor(flags, { name: 'serve' })
      .then(async (next) => {
        for (const warning of next.warnings) logger.warn(warning)
        await running.reload(next.config)
      })
      .catch((err: unknown) => logger.error(`reload failed, keeping the running configuration: ${(err as Error).message}`))
  }
  process.on('SIGHUP', reload)
  const signal = await stopRequested
  process.off('SIGHUP', reload)
  logger.info(`received ${signal}, shutting down`)
  try {
    await running.stop()
    return 0
  } catch (err) {
    logger.error(`error while stopping: ${String(err)}`)
    return 1
  }
}
