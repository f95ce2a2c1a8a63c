/**
 * Opens the store a configuration names.
 * @module
 */
import type { StoreConfig } from '../config/types.js'
import { directoryStore } from './drivers/directory.js'
import { sqliteStore } from './drivers/sqlite.js'
import type { JwtStore } from './types.js'

export function openStore(config: StoreConfig): Promise<JwtStore> {
  return config.type === 'sqlite'
    ? sqliteStore({ file: config.file })
    : directoryStore({ dir: config.dir, shard: config.shard })
}

export function describeStore(config: StoreConfig): string {
  return config.type === 'sqlite'
    ? `SQLite store at ${config.file}`
    : `directory store at ${config.dir}${config.shard ? ' (sharded)' : ''}`
}
