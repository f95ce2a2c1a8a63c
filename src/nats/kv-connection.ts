/**
 * The connection to the NATS account that holds the KV bucket, and the KV store opened on it.
 * Separate from the system-account link (`link.ts`): on nats-server 2.9 the system account
 * cannot use JetStream, so the bucket lives in another account or another cluster.
 * @module
 */
import { readFile } from 'node:fs/promises'
import { connect, credsAuthenticator, type ConnectionOptions } from '@nats-io/transport-node'
import { ConfigError } from '../errors.js'
import type { Logger } from '../log/logger.js'
import { kvStore, type KvJwtStore } from '../store/drivers/kv.js'
import type { KvStoreConfig } from '../store/types.js'
import { redactUrl, tlsOptions, urlCredentials } from './link.js'

const CONNECT_TIMEOUT_MS = 5000
const FIX =
  'check --kv-servers (store.kv.servers), --kv-creds (store.kv.creds) and the TLS files, and that the servers run JetStream for the account that holds the bucket'

/**
 * What the client is given to connect: servers without their userinfo (the client ignores
 * it; it goes in `user`/`pass` or `token`), the creds file's authenticator, TLS.
 */
export function kvConnectionOptions(config: KvStoreConfig, creds: Uint8Array | null): ConnectionOptions {
  const { servers, auth } = urlCredentials(config.servers)
  return {
    servers,
    ...(auth ?? {}),
    ...(creds === null ? {} : { authenticator: credsAuthenticator(creds) }),
    ...tlsOptions(config.tls),
    name: `nats-accounts kv ${config.bucket}`,
    timeout: CONNECT_TIMEOUT_MS,
    maxReconnectAttempts: -1,
    // The bucket's account may be resolved later than this server starts (self-hosted cold start).
    ignoreAuthErrorAbort: true,
  }
}

async function readCreds(path: string): Promise<Uint8Array | null> {
  if (path === '') return null
  try {
    return await readFile(path)
  } catch (err) {
    throw new ConfigError(
      `cannot read the KV credentials file ${path}: ${(err as Error).message}; give --kv-creds the .creds file of a user of the account that holds the bucket`,
      { cause: err },
    )
  }
}

/**
 * Connects and opens the bucket (created when missing).
 * @throws ConfigError naming the cause and the fix: servers out of reach, refused credentials,
 *   no JetStream
 */
export async function openKvStore(config: KvStoreConfig, options: { logger?: Logger } = {}): Promise<KvJwtStore> {
  const where = config.servers.map(redactUrl).join(', ')
  const creds = await readCreds(config.creds)
  const connectOptions = kvConnectionOptions(config, creds)
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
