/**
 * The store contract every driver implements (memory, directory, SQLite...). Drivers keep the
 * exact JWT bytes; they never verify signatures (that happened before `put`).
 * @module
 */
import type { AccountJwtMeta } from '../jwt/types.js'

/** An account JWT as stored, with the metadata read from it when it was accepted. */
export type StoredAccount = AccountJwtMeta & {
  /** The JWT exactly as stored and served (no surrounding whitespace). */
  jwt: string
}

/** Where an accepted JWT came from, kept by drivers that record history. */
export type PutSource = {
  kind: 'http' | 'nats' | 'import'
  /** Client address, NATS subject or import origin. */
  detail?: string
}

/**
 * - `stored`: the JWT is new or newer (by `iat`; equal `iat` with another `jti` also wins);
 * - `unchanged`: the same `jti` is already stored, nothing was written;
 * - `stale`: the stored JWT has a newer `iat`, nothing was written.
 */
export type PutOutcome = 'stored' | 'unchanged' | 'stale'

export type PutResult = {
  outcome: PutOutcome
  /** What the store holds for the account after the call. */
  current: StoredAccount
  /** What it held before (null for a new account). */
  previous: StoredAccount | null
}

export type StoreCapabilities = {
  /** Keeps every accepted version (lookup by `jti`, history listing). */
  history: boolean
}

export interface ReadonlyJwtStore {
  /** Driver name, used in logs and errors. */
  readonly name: string
  readonly capabilities: StoreCapabilities
  /** The stored JWT for an account key, or null. Callers pass valid account keys only. */
  get(pubkey: string): Promise<StoredAccount | null>
  /** Every stored account, in ascending pubkey order. */
  list(): AsyncIterable<StoredAccount>
  /** Number of stored accounts. */
  count(): Promise<number>
  close(): Promise<void>
}

export interface JwtStore extends ReadonlyJwtStore {
  /**
   * Stores `account` unless the stored JWT is the same (`jti`) or newer (`iat`). The decision
   * and the write are atomic per account: concurrent puts never lose the newest JWT.
   * Resolves only once the write is durable.
   */
  put(account: StoredAccount, source?: PutSource): Promise<PutResult>
}

/** The newest-wins rule shared by every driver (nats-server's `saveIfNewer`). */
export function decidePut(previous: StoredAccount | null, next: StoredAccount): PutOutcome {
  if (previous === null) return 'stored'
  if (previous.jti === next.jti) return 'unchanged'
  if (next.iat < previous.iat) return 'stale'
  return 'stored'
}
