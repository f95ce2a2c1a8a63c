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
  store: {
    /** Directory of the directory store. @default './data/jwt' */
    dir: string
    /** Two-character shard directories. @default true for the default dir, false with -dir */
    shard: boolean
  }
  /** Operator JWT file; '' means none (GETs are served, pushes refused). */
  operatorPath: string
  /** Default and cap of `/jwt/v1/pack?max`. @default 10000 */
  maxPack: number
  logging: { level: LogLevel }
}

export const DEFAULT_STORE_DIR = './data/jwt'

export function defaultConfig(): ServerConfig {
  return {
    http: { host: 'localhost', port: 9090, maxBodyBytes: 1024 * 1024 },
    store: { dir: DEFAULT_STORE_DIR, shard: true },
    operatorPath: '',
    maxPack: 10_000,
    logging: { level: 'info' },
  }
}
