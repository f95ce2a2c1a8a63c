/**
 * Opens the store a configuration names.
 * @module
 */
import type { StoreConfig } from '../config/types.js'
import type { Logger } from '../log/logger.js'
import { directoryStore } from './drivers/directory.js'
import { sqliteStore } from './drivers/sqlite.js'
import type { JwtStore } from './types.js'

/** `writer`: this process is the store's one writer (it may clean up after a killed one). */
export function openStore(config: StoreConfig, options: { logger?: Logger; writer?: boolean } = {}): Promise<JwtStore> {
  return config.type === 'sqlite'
    ? sqliteStore({ file: config.file })
    : directoryStore({ dir: config.dir, shard: config.shard, logger: options.logger, sweepTempFiles: options.writer })
}

export function describeStore(config: StoreConfig): string {
  return config.type === 'sqlite'
    ? `SQLite store at ${config.file}`
    : `directory store at ${config.dir}${config.shard ? ' (sharded)' : ''}`
}
