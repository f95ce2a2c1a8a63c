/**
 * The effective server configuration, after defaults, config file and flags are merged.
 * @module
 */
import type { LogLevel } from '../log/logger.js'

export type ServerConfig = {
  http: {
    /** Listen host; '' listens on every interface. @default 'localhost' */
    host: string
    /** Listen port; 0 picks a free one. @default 9090 */
    port: number
    /** Largest accepted POST body. @default 1 MiB */
    maxBodyBytes: number
  }
  store: StoreConfig
  /** Operator JWT file; '' means none (GETs are served, pushes refused). */
  operatorPath: string
  /** Default and cap of `/jwt/v1/pack?max`. @default 10000 */
  maxPack: number
  /** Account server whose pack is imported at start-up; '' for none. */
  primary: string
  /** HTTP timeout for the primary. @default 5000 ms */
  replicationTimeoutMs: number
  logging: { level: LogLevel }
  nats: NatsConfig
}

export type NatsConfig = {
  /** NATS URLs; none disables NATS. */
  servers: string[]
  /** Credentials of a system-account user; '' for none. */
  credentials: string
  /** @default 5000 ms */
  connectTimeoutMs: number
  /** Wait between connection attempts, at start and after a disconnect. @default 1000 ms */
  reconnectWaitMs: number
  /** How long update-notification replies are gathered at most. @default 500 ms */
  notifyWindowMs: number
  /** Pause after the last reply before the gathering stops early. @default 100 ms */
  notifyStallMs: number
  /** How often this server pulls a PACK from resolver peers; 0 never. @default 60000 ms */
  packIntervalMs: number
  /** Bound of the LOOKUP asked on a GET miss; 0 disables the fallback. @default 500 ms */
  lookupTimeoutMs: number
}

/** SQLite unless a directory is asked for (`-dir`). */
export type StoreConfig =
  | { type: 'sqlite'; /** @default './data/accounts.db' */ file: string }
  | { type: 'directory'; dir: string; /** Two-character shard directories. */ shard: boolean }

export const DEFAULT_SQLITE_FILE = './data/accounts.db'

export function defaultConfig(): ServerConfig {
  return {
    http: { host: 'localhost', port: 9090, maxBodyBytes: 1024 * 1024 },
    store: { type: 'sqlite', file: DEFAULT_SQLITE_FILE },
    operatorPath: '',
    maxPack: 10_000,
    primary: '',
    replicationTimeoutMs: 5000,
    logging: { level: 'info' },
    nats: {
      servers: [],
      credentials: '',
      connectTimeoutMs: 5000,
      reconnectWaitMs: 1000,
      notifyWindowMs: 500,
      notifyStallMs: 100,
      packIntervalMs: 60_000,
      lookupTimeoutMs: 500,
    },
  }
}
