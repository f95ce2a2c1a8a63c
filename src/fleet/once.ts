/**
 * One fleet scan from the configuration's NATS settings (`-nats`, `-creds`, `nats.tls`), for a
 * command that does not run the server (`nats-accounts check`): connect, scan, disconnect.
 * @module
 */
import { connect, NoRespondersError, RequestError, type NatsConnection } from '@nats-io/transport-node'
import type { StoreReader } from '../accounts/ports.js'
import type { NatsConfig } from '../config/types.js'
import { ConfigError } from '../errors.js'
import { createLogger } from '../log/logger.js'
import { CREDS_FIX, systemAuth } from '../nats/link.js'
import { scanFleet, type ScanOptions } from './scan.js'

/**
 * @throws ConfigError when NATS cannot be reached, or no nats-server answers the system
 * account's STATSZ ping (the user is not in the system account)
 */
export async function scanFleetOnce(config: NatsConfig, store: Pick<StoreReader, 'get'>, options: Partial<ScanOptions> = {}): ReturnType<typeof scanFleet> {
  const auth = systemAuth(config, createLogger({ level: 'warn' }))
  const where = auth.redactedServers
  let nc: NatsConnection
  try {
    nc = await connect({
      ...auth.connectOptions(),
      name: 'nats-accounts check',
      timeout: config.connectTimeoutMs,
      reconnect: false,
    })
  } catch (err) {
    throw new ConfigError(`cannot connect to NATS ${where}: ${(err as Error).message}; check -nats, -creds and nats.tls`, { cause: err })
  }
  try {
    const scanned = await scanFleet(nc, store, options)
    if (scanned.result.servers === 0) throw notInSystemAccount(where)
    return scanned
  } catch (err) {
    // A request answers "no responders" wrapped in a RequestError; a gathering (requestMany) plainly.
    if (err instanceof NoRespondersError || (err instanceof RequestError && err.isNoResponders())) throw notInSystemAccount(where, err)
    throw err
  } finally {
    await nc.close()
  }
}

function notInSystemAccount(where: string, cause?: unknown): ConfigError {
  return new ConfigError(`no nats-server at ${where} answered $SYS.REQ.SERVER.PING, which nats-server answers to users of the system account only; ${CREDS_FIX}`, { cause })
}
