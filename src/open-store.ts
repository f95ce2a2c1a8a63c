/**
 * Opens the store a configuration names: the local ones (SQLite, a directory) by the store
 * layer, a KV bucket over its own NATS connection (the store layer knows no NATS).
 * @module
 */
import { openKvStore } from './nats/kv-connection.js'
import { openStore, type OpenStoreOptions } from './store/index.js'
import type { JwtStore, StoreConfig } from './store/types.js'

/** @throws ConfigError or StoreError naming the cause and the fix */
export async function openConfiguredStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<JwtStore> {
  return config.type === 'kv' ? openKvStore(config, { logger: options.logger }) : openStore(config, options)
}
