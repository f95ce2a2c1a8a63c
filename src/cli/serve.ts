/**
 * `nats-accounts serve` in one process (or one worker of `--workers`): start the server, stop it
 * on SIGINT/SIGTERM (or the primary's word), reload it on SIGHUP.
 * @module
 */
import cluster from 'node:cluster'
import { processChannel } from '../cluster/bridge.js'
import { WORKER_ENV } from '../cluster/protocol.js'
import { configFor, type CliFlags } from '../config/flags.js'
import type { ServerConfig } from '../config/types.js'
import { AccountServerError } from '../errors.js'
import type { Logger } from '../log/logger.js'
import { redactUrl } from '../nats/link.js'
import { createAccountServer } from '../server.js'

/** The configuration without the passwords and tokens URLs may carry. */
function redacted(config: ServerConfig): ServerConfig {
  const { store } = config
  return {
    ...config,
    store: store.type === 'kv' ? { ...store, servers: store.servers.map(redactUrl) } : store,
    nats: { ...config.nats, servers: config.nats.servers.map(redactUrl) },
  }
}

export function workerNumber(): number {
  return Number(process.env[WORKER_ENV] ?? 1)
}

export async function serve(config: ServerConfig, flags: CliFlags, logger: Logger): Promise<number> {
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
  const worker = cluster.isWorker ? { worker: workerNumber(), channel: processChannel(), stop: () => onSignal('SIGTERM') } : undefined
  let server
  try {
    server = await createAccountServer({ config, logger, cluster: worker })
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
    configFor(flags, 'serve')
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
