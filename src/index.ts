/**
 * nats-accounts as a library: run the account server inside your own process, open its stores,
 * or check an account JWT exactly as a POST is checked.
 *
 * ```ts
 * import { createAccountServer, createLogger, defaultConfig } from 'nats-accounts'
 *
 * const config = defaultConfig()
 * config.operator = '/etc/nats/operator.jwt'
 * config.store = { type: 'directory', dir: '/var/lib/nats-accounts', shard: false }
 * const server = await createAccountServer({ config, logger: createLogger() })
 * const { resolverUrl } = await server.start()
 * // ... server.stop() on shutdown
 * ```
 *
 * Everything else under `dist/` is internal and may change in any release.
 * @module
 */
export { createAccountServer, type AccountServer, type AccountServerOptions } from './server.js'
export { loadConfig, type LoadedConfig } from './config/load.js'
export {
  defaultConfig,
  type NatsConfig,
  type ServerConfig,
  type TlsFiles,
} from './config/types.js'
export { createLogger, type LogFormat, type Logger, type LoggerOptions, type LogLevel } from './log/logger.js'
export { openStore } from './store/index.js'
export { sqliteStore, type SqliteStoreOptions } from './store/drivers/sqlite.js'
export { directoryStore, type DirectoryStoreOptions } from './store/drivers/directory.js'
export { memoryStore } from './store/drivers/memory.js'
export type {
  HistoryEntry,
  JwtStore,
  PutOutcome,
  PutResult,
  PutSource,
  ReadonlyJwtStore,
  StoreConfig,
} from './store/types.js'
export type { StoredAccount } from './jwt/types.js'
export { checkAccountJwt, type AccountCheck } from './jwt/account.js'
export { loadOperator, parseOperator, type OperatorTrust } from './jwt/trust.js'
export {
  AccountServerError,
  ClaimsInvalidError,
  ConfigError,
  DeletedAccountError,
  ErrorCode,
  StaleJwtError,
  StoreError,
  type ClaimIssue,
} from './errors.js'
export { VERSION } from './version.js'
