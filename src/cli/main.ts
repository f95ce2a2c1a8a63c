/**
 * The `nats-accounts` command: parses flags, builds the configuration and runs a command.
 * Exit codes: 0 success (serve: stopped by SIGINT/SIGTERM), 1 runtime or start-up error (or an
 * import with rejected JWTs, a check with error findings), 2 bad usage.
 * @module
 */
import cluster from 'node:cluster'
import { runPrimary } from '../cluster/primary.js'
import { configFor } from '../config/flags.js'
import { NSC_REMOVED, RO_REMOVED, type LoadedConfig } from '../config/load.js'
import { AccountServerError, UsageError } from '../errors.js'
import { createLogger } from '../log/logger.js'
import { VERSION } from '../version.js'
import { parseCommandLine, USAGE } from './args.js'
import { runCheck } from './check.js'
import type { Io } from './transfer.js'

export type { Io }

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
    loaded = await configFor(flags, command.name)
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
      // Loaded on demand: the --workers primary never loads the server (a lighter process, and
      // its workers start sooner).
      case 'serve': {
        if (config.workers > 1 && cluster.isPrimary) return await runPrimary(config.workers, logger)
        const { serve, workerNumber } = await import('./serve.js')
        return await serve(config, flags, cluster.isWorker ? logger.child({ worker: workerNumber() }) : logger)
      }
      case 'import':
        return await (await import('./transfer.js')).runImport(command.source, config, flags, io)
      case 'export':
        return await (await import('./transfer.js')).runExport(command, config, flags, io)
      case 'check':
        return await runCheck(config, { json: flags.json }, io)
    }
  } catch (err) {
    logger.error(err instanceof AccountServerError ? err.message : `failed: ${String(err)}`)
    return 1
  }
}
