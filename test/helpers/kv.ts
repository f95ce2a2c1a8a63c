/**
 * A single nats-server with JetStream for the KV store's tests, and the store configuration
 * that points at a fresh bucket on it.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { KvStoreConfig } from '../../src/store/types.js'
import { startNatsServer, type NatsServer } from './nats-server.js'
import { tempDir } from './tmp.js'

export type JetStreamOptions = {
  /** Where JetStream keeps its data: give the same one (and `port`) to start the server again. */
  storeDir?: string
  port?: number
  /** More configuration (accounts, authorization...). */
  config?: string
}

/** nats-server with JetStream, its data in a temp dir of its own (outliving the process). */
export async function startJetStream(options: JetStreamOptions = {}): Promise<NatsServer & { storeDir: string }> {
  const storeDir = options.storeDir ?? join(await tempDir('nats-js-'), 'jetstream')
  const server = await startNatsServer({ port: options.port, config: `jetstream { store_dir: "${storeDir}" }\n${options.config ?? ''}` })
  return Object.assign(server, { storeDir })
}

/** A bucket name no other test uses. */
export function freshBucket(): string {
  return `accounts_${randomBytes(5).toString('hex')}`
}

export function kvConfig(server: Pick<NatsServer, 'url'>, bucket = freshBucket(), extra: Partial<KvStoreConfig> = {}): KvStoreConfig {
  return { type: 'kv', bucket, servers: [server.url], creds: '', replicas: 1, tls: { cert: '', key: '', ca: '' }, snapshot: '', ...extra }
}
