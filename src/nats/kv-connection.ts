/**
 * The connection to the NATS account that holds the KV bucket, and the KV store opened on it.
 * Separate from the system-account link (`link.ts`): on nats-server 2.9 the system account
 * cannot use JetStream, so the bucket lives in another account or another cluster.
 * @module
 */
import { connect, type ConnectionOptions } from '@nats-io/transport-node'
import { ConfigError } from '../errors.js'
import { createLogger, type Logger } from '../log/logger.js'
import { kvStore, type KvJwtStore } from '../store/drivers/kv.js'
import type { KvStoreConfig } from '../store/types.js'
import { NatsAuth } from './auth.js'

const CONNECT_TIMEOUT_MS = 5000
const FIX =
  'check --kv-servers (store.kv.servers), --kv-creds (store.kv.creds) or --kv-nkey (store.kv.nkey) and the TLS files, and that the servers run JetStream for the account that holds the bucket'
const CREDS_FIX = 'give --kv-creds the .creds file (or --kv-nkey the seed file) of a user of the account that holds the bucket'

/** Who the KV connection connects as: its files checked now, read again at every connect. */
export function kvAuth(config: KvStoreConfig, logger: Logger): NatsAuth {
  return new NatsAuth(
    config.servers,
    {
      credentials: config.creds,
      nkey: config.nkey ?? '',
      user: config.user ?? '',
      password: config.password ?? '',
      passwordFile: config.passwordFile ?? '',
      token: config.token ?? '',
      tokenFile: config.tokenFile ?? '',
      tls: config.tls,
    },
    logger,
    { creds: '--kv-creds (store.kv.creds)', nkey: '--kv-nkey (store.kv.nkey)', prefix: 'store.kv', fix: CREDS_FIX },
  )
}

/**
 * What the client is given to connect: servers without their userinfo (the client ignores
 * it), an authenticator asked at every connect and reconnect (rotated files are read then), TLS.
 */
export function kvConnectionOptions(config: KvStoreConfig, auth: NatsAuth): ConnectionOptions {
  return {
    ...auth.connectOptions(),
    name: `nats-accounts kv ${config.bucket}`,
    timeout: CONNECT_TIMEOUT_MS,
    maxReconnectAttempts: -1,
    // Credentials refused twice do not end the reconnects: the files may be replaced meanwhile,
    // and the bucket's account may be resolved later than this server starts (self-hosted cold start).
    ignoreAuthErrorAbort: true,
  }
}

/**
 * Connects and opens the bucket (created when missing).
 * @throws ConfigError naming the cause and the fix: servers out of reach, refused credentials,
 *   no JetStream
 */
export async function openKvStore(config: KvStoreConfig, options: { logger?: Logger } = {}): Promise<KvJwtStore> {
  const auth = kvAuth(config, options.logger ?? createLogger({ level: 'warn' }))
  const where = auth.redactedServers
  const connectOptions = kvConnectionOptions(config, auth)
  const connectToBucket = async () => {
    try {
      return await connect(connectOptions)
    } catch (err) {
      throw new ConfigError(`cannot connect to the NATS servers of KV bucket ${config.bucket} (${where}): ${(err as Error).message}; ${FIX}`, {
        cause: err,
      })
    }
  }
  try {
    return await kvStore({
      bucket: config.bucket,
      connect: connectToBucket,
      replicas: config.replicas,
      snapshot: config.snapshot,
      logger: options.logger,
    })
  } catch (err) {
    if (err instanceof ConfigError) throw err
    throw new ConfigError(`cannot open KV bucket ${config.bucket} on ${where}: ${(err as Error).message}; ${FIX}`, { cause: err })
  }
}
