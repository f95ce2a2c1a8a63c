/**
 * The store contract every driver implements (memory, directory, SQLite...). Drivers keep the
 * exact JWT bytes; they never verify signatures (that happened before `put`).
 * @module
 */
import type { StoredAccount } from '../jwt/types.js'

/** Which store to open: SQLite unless a directory or a NATS KV bucket is asked for. */
export type StoreConfig =
  | { type: 'sqlite'; /** @default './data/accounts.db' */ file: string }
  | { type: 'directory'; dir: string; /** Two-character shard directories. */ shard: boolean }
  | KvStoreConfig

/** A JetStream KV bucket shared by every instance, reached over its own NATS connection. */
export type KvStoreConfig = {
  type: 'kv'
  bucket: string
  /** NATS URLs (`user:password@` allowed) of the account that holds the bucket. */
  servers: string[]
  /** A `.creds` file for that connection; '' for none. */
  creds: string
  /** Replicas of the bucket (and its history stream) when this server creates them. @default 1 */
  replicas: number
  /** TLS to those servers: `ca` verifies them, `cert`/`key` authenticate us; '' for none. */
  tls: { cert: string; key: string; ca: string }
  /** A local copy of the bucket served until the bucket is reachable at start-up; '' for none. */
  snapshot: string
}

/** How a store that lives elsewhere (a KV bucket) is doing; local stores have no status. */
export type StoreStatus = {
  /** Its servers are reachable. */
  connected: boolean
  /** Everything the store held at the last check is served here (loaded, watch alive). */
  caughtUp: boolean
  /** Writes can be made now. */
  writable: boolean
  /** Why one of the above is false; '' when all are true. */
  reason: string
}

/** Where an accepted JWT came from, kept by drivers that record history. */
export type PutSource = {
  kind: 'http' | 'nats' | 'import'
  /** Client address, NATS subject or import origin. */
  detail?: string
  /**
   * Resolver sync (PACK merges, LOOKUP answers, relayed notifications): a JWT whose `jti` is
   * already stored is kept even if its bytes differ, as nats-server's `saveIfNewer` does, so a
   * peer still holding the version before a same-second edit cannot bring it back.
   */
  sync?: boolean
}

/**
 * - `stored`: the JWT is new or newer (by `iat`; equal `iat` with other bytes also wins, even
 *   with the same `jti`: nsc gives an edit made within the same second the same `jti`);
 * - `unchanged`: the same bytes are already stored (or, for sync, the same `jti`), nothing was
 *   written;
 * - `stale`: the stored JWT has a newer `iat`, nothing was written;
 * - `deleted`: the account was deleted and this JWT is not newer than the deleted one.
 */
export type PutOutcome = 'stored' | 'unchanged' | 'stale' | 'deleted'

export type PutResult = {
  outcome: PutOutcome
  /** What the store holds for the account after the call. */
  current: StoredAccount
  /** What it held before (null for a new account). */
  previous: StoredAccount | null
}

/** One accepted version of an account JWT (or its deletion), as kept by drivers with history. */
export type HistoryEntry = {
  event: 'accepted' | 'deleted'
  jti: string
  iat: number
  /** 0 when the JWT does not expire. */
  exp: number
  issuer: string
  /** When this server accepted it, in milliseconds since the epoch. */
  receivedAt: number
  source: PutSource['kind']
  sourceDetail: string
  /** What the update notification achieved ('' until one was sent). */
  notification: string
}

/** A change another process made: which account, and how it came (an import, a server...). */
export type StoreChange = { pubkey: string; source: PutSource['kind'] }

/** Called with the changes other processes made (null: unknown, assume everything changed). */
export type ChangeListener = (changes: readonly StoreChange[] | null) => void

export interface ReadonlyJwtStore {
  /** Driver name, used in logs and errors. */
  readonly name: string
  /** The stored JWT for an account key, or null. Callers pass valid account keys only. */
  get(pubkey: string): Promise<StoredAccount | null>
  /** What a deleted account held when it was deleted, or null (never deleted, or re-created). */
  deleted(pubkey: string): Promise<StoredAccount | null>
  /** Every stored account, in ascending pubkey order. */
  list(): AsyncIterable<StoredAccount>
  /** Number of stored accounts. */
  count(): Promise<number>
  /** Stored entries found unreadable (corrupt files), skipped until a valid JWT replaces them. */
  unreadableEntries?(): number
  /**
   * XOR of the SHA-256 of every stored JWT that has not expired at `nowSeconds`: the hash
   * nats-server's resolvers exchange in PACK requests (32 zero bytes for none).
   */
  hash(nowSeconds: number): Promise<Uint8Array>
  /** Every accepted version of an account, newest first (drivers with history). */
  history?(pubkey: string): Promise<HistoryEntry[]>
  /** The accepted version with this `jti`, or null (drivers with history). */
  version?(pubkey: string, jti: string): Promise<StoredAccount | null>
  /**
   * Reports changes made by other processes (an import, another server on the same store),
   * so caches can drop what they hold. Returns the function that stops watching.
   */
  watch?(listener: ChangeListener): () => void
  /** Stores that live elsewhere: whether they are reachable, loaded and writable now. */
  status?(): StoreStatus
  close(): Promise<void>
}

export interface JwtStore extends ReadonlyJwtStore {
  /**
   * Stores `account` unless the stored JWT is the same (bytes; `jti` for sync) or newer (`iat`). The decision
   * and the write are atomic per account: concurrent puts never lose the newest JWT.
   * Resolves only once the write is durable.
   */
  put(account: StoredAccount, source: PutSource): Promise<PutResult>
  /**
   * Deletes an account: it is no longer served, listed or hashed, and a later put of a JWT
   * issued at or before the deleted one's `iat` is refused (`deleted`), so peers still holding
   * the old JWT cannot bring it back. Resolves with what was deleted (null: nothing stored).
   */
  delete(pubkey: string, source: PutSource): Promise<StoredAccount | null>
  /** Keeps what the update notification of an accepted version achieved (history drivers). */
  recordNotification?(pubkey: string, jti: string, outcome: string): Promise<void>
}
