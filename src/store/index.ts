/**
 * Opens the store a configuration names.
 * @module
 */
import type { Logger } from '../log/logger.js'
import { ConfigError } from '../errors.js'
import { countLayouts, directoryStore, probeWritable } from './drivers/directory.js'
import { sqliteStore } from './drivers/sqlite.js'
import type { JwtStore, KvStoreConfig, StoreConfig } from './types.js'

/** The stores this process opens by itself; a KV bucket needs a NATS connection (`open-store.ts`). */
export type LocalStoreConfig = Exclude<StoreConfig, KvStoreConfig>

export type OpenStoreOptions = {
  /** Fail now when the store cannot be written (the server's start-up check). */
  writable?: boolean
  logger?: Logger
  /** This process is the store's one writer: it may clean up after a killed one, and journal. */
  writer?: boolean
}

/**
 * Opens a store. A directory laid out otherwise than configured is refused: read in the wrong
 * layout, it would look empty.
 * @throws ConfigError for a layout mismatch; StoreError when it cannot be opened, or written
 *   (`writable`)
 */
export async function openStore(config: LocalStoreConfig, options: OpenStoreOptions = {}): Promise<JwtStore> {
  if (config.type === 'sqlite') return sqliteStore({ file: config.file })
  const { dir, shard } = config
  const { flat, sharded } = await countLayouts(dir)
  if (!shard && sharded > 0) {
    throw new ConfigError(
      `store directory ${dir} is sharded (${sharded} JWT files in two-character folders${flat > 0 ? `, ${flat} at the top` : ''}): start with --shard (store.shard: true, NATS_ACCOUNTS_STORE_SHARD=true)`,
    )
  }
  if (shard && flat > 0) {
    throw new ConfigError(
      `store directory ${dir} is flat (${flat} JWT files at the top${sharded > 0 ? `, ${sharded} in two-character folders` : ''}): start without --shard (store.shard: false)`,
    )
  }
  const store = await directoryStore({ dir, shard, logger: options.logger, sweepTempFiles: options.writer, journal: options.writer })
  if (options.writable) await probeWritable(dir)
  return store
}

export function describeStore(config: StoreConfig): string {
  switch (config.type) {
    case 'sqlite':
      return `SQLite store at ${config.file}`
    case 'directory':
      return `directory store at ${config.dir}${config.shard ? ' (sharded)' : ''}`
    case 'kv':
      return `NATS KV store, bucket ${config.bucket}`
  }
}
