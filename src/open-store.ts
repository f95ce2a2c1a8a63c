/**
 * Opens the store a configuration names: the local ones (SQLite, a directory) by the store
 * layer, a KV bucket over its own NATS connection (the store layer knows no NATS).
 * @module
 */
import { openStore, type OpenStoreOptions } from './store/index.js'
import type { JwtStore, StoreConfig } from './store/types.js'

/** @throws ConfigError or StoreError naming the cause and the fix */
export async function openConfiguredStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<JwtStore> {
  if (config.type !== 'kv') return openStore(config, options)
  // Loaded only for a KV store: the JetStream client is not start-up cost for the others.
  const { openKvStore } = await import('./nats/kv-connection.js')
  return openKvStore(config, { logger: options.logger })
}
