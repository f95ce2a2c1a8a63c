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

/** nats-server with JetStream, its data in a temp dir (kept across a restart). */
export async function startJetStream(extraConfig = ''): Promise<NatsServer> {
  const storeDir = join(await tempDir('nats-js-'), 'jetstream')
  return startNatsServer({ config: `jetstream { store_dir: "${storeDir}" }\n${extraConfig}` })
}

/** A bucket name no other test uses. */
export function freshBucket(): string {
  return `accounts_${randomBytes(5).toString('hex')}`
}

export function kvConfig(server: Pick<NatsServer, 'url'>, bucket = freshBucket(), extra: Partial<KvStoreConfig> = {}): KvStoreConfig {
  return { type: 'kv', bucket, servers: [server.url], creds: '', replicas: 1, tls: { cert: '', key: '', ca: '' }, snapshot: '', ...extra }
}
