/**
 * The `nats-accounts` command: parses flags, builds the configuration, runs the server until
 * SIGINT/SIGTERM. Exit codes: 0 stopped cleanly or help/version, 1 start-up error, 2 bad usage.
 * @module
 */
import { defaultConfig, type ServerConfig } from '../config/types.js'
import { AccountServerError } from '../errors.js'
import { createLogger, type Logger } from '../log/logger.js'
import { createAccountServer } from '../server.js'
import { VERSION } from '../version.js'
import { expandHome, parseFlags, parseHostPort, USAGE, UsageError, type CliFlags } from './args.js'

const MIGRATION_HINT = [
  'use a dedicated store directory and specify the operator jwt path instead',
  'synchronize using: nsc push --all --account-jwt-server-url <account-server-host-port>/jwt/v1',
]
const NSC_REMOVED = ['support for direct access of the nsc folder has been removed', ...MIGRATION_HINT]
const RO_REMOVED = [
  'support for read only directory access with file system updates has been removed',
  ...MIGRATION_HINT,
]

export type Io = {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
}

/** Applies flags over the defaults. @throws AccountServerError (ConfigError) for bad values */
export function configFromFlags(flags: CliFlags): ServerConfig {
  const config = defaultConfig()
  const later = (flag: string, what: string) =>
    new UsageError(`${flag} is not supported yet: ${what} comes in a later release of nats-accounts`)
  if (flags.config !== undefined) throw later('-c', 'the configuration file')
  if (flags.nats !== undefined) throw later('-nats', 'NATS support')
  if (flags.creds !== undefined) throw later('-creds', 'NATS support')
  if (flags.primary !== undefined) throw later('-primary', 'replication from a primary')
  if (flags.dir !== undefined) config.store = { dir: expandHome(flags.dir), shard: flags.shard }
  else if (flags.shard) config.store.shard = true
  if (flags.operator !== undefined) config.operatorPath = flags.operator
  if (flags.hostPort !== undefined) {
    const { host, port } = parseHostPort(flags.hostPort)
    config.http.host = host
    config.http.port = port
  }
  config.logging.level = flags.trace ? 'trace' : flags.debug ? 'debug' : 'info'
  return config
}

/**
 * Runs the command. Resolves with an exit code for commands that end by themselves; while
 * serving it resolves after a signal has stopped the server.
 */
export async function main(argv: readonly string[], io: Io = process): Promise<number> {
  let flags: CliFlags
  try {
    flags = parseFlags(argv)
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (flags.help) {
    io.stdout.write(USAGE)
    return 0
  }
  if (flags.version) {
    io.stdout.write(`nats-accounts ${VERSION}\n`)
    return 0
  }
  const bootLogger = createLogger({ destination: io.stderr })
  if (flags.nsc !== undefined || flags.readOnly) {
    for (const line of flags.nsc !== undefined ? NSC_REMOVED : RO_REMOVED) bootLogger.error(line)
    return 1
  }
  let config: ServerConfig
  try {
    config = configFromFlags(flags)
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${err.message}\n`)
      return 1
    }
    bootLogger.error((err as Error).message)
    return 1
  }
  const logger = createLogger({ level: config.logging.level, destination: io.stderr })
  return serve(config, flags.dump, logger)
}

async function serve(config: ServerConfig, dump: boolean, logger: Logger): Promise<number> {
  let server
  try {
    server = await createAccountServer({ config, logger })
    await server.start()
  } catch (err) {
    logger.error(err instanceof AccountServerError ? err.message : `start-up failed: ${String(err)}`)
    await server?.stop().catch(() => undefined)
    return 1
  }
  if (dump) logger.info(`effective configuration:\n${JSON.stringify(config, null, 2)}`)
  const running = server
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      logger.info(`received ${signal}, shutting down`)
      running.stop().then(
        () => resolve(0),
        (err) => {
          logger.error(`error while stopping: ${String(err)}`)
          resolve(1)
        },
      )
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}
