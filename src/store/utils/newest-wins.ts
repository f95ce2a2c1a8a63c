/**
 * The newest-wins rule every driver follows, and the read–decide–write skeleton the drivers
 * without transactions share; they supply the I/O.
 * @module
 */
import type { StoredAccount } from '../../jwt/types.js'
import type { PutOutcome, PutResult, PutSource } from '../types.js'

/**
 * The newest-wins rule shared by every driver, plus deletions: `deleted` is what the account
 * held when it was deleted, if it was. Sync keeps a stored `jti` first, as nats-server's
 * `saveIfNewer`; explicit pushes compare bytes, so a same-second edit is stored.
 */
export function decidePut(
  previous: StoredAccount | null,
  next: StoredAccount,
  deleted: { iat: number } | null = null,
  source?: PutSource,
): PutOutcome {
  if (previous === null) return deleted !== null && next.iat <= deleted.iat ? 'deleted' : 'stored'
  if (previous.jwt === next.jwt) return 'unchanged'
  if (source?.sync === true && previous.jti === next.jti) return 'unchanged'
  if (next.iat < previous.iat) return 'stale'
  return 'stored'
}

/** The result of a put, from the decision and what was there. */
export function putResult(
  outcome: PutOutcome,
  next: StoredAccount,
  previous: StoredAccount | null,
  deleted: StoredAccount | null = null,
): PutResult {
  const current = outcome === 'stored' ? next : outcome === 'deleted' ? deleted! : previous!
  return { outcome, current, previous }
}

/** Adds one JWT's SHA-256 into a running XOR store hash. */
export function xorInto(hash: Uint8Array, digest: Uint8Array): void {
  for (let i = 0; i < 32; i++) hash[i]! ^= digest[i]!
}

/** How a driver reads and writes one account for {@link putNewestWins}. */
export type PutIo = {
  /** The stored JWT, or null. */
  current(pubkey: string): Promise<StoredAccount | null>
  /** What a deleted account held when it was deleted (asked only when nothing is stored). */
  tombstone(pubkey: string): Promise<StoredAccount | null>
  /** Stores the JWT durably (asked only when it wins). */
  write(account: StoredAccount): Promise<void>
}

/**
 * Reads what is stored, decides, and writes the winner. Not atomic by itself: the caller holds
 * the account's lock around it.
 */
export async function putNewestWins(io: PutIo, account: StoredAccount, source: PutSource): Promise<PutResult> {
  const previous = await io.current(account.pubkey)
  const tombstone = previous === null ? await io.tombstone(account.pubkey) : null
  const outcome = decidePut(previous, account, tombstone, source)
  if (outcome === 'stored') await io.write(account)
  return putResult(outcome, account, previous, tombstone)
}
