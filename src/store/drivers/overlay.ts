/**
 * A write-nothing view of a store for dry runs: reads see the base store plus what was "put"
 * or "deleted" so far, which stays in memory. A dry-run import thus reports exactly what a real
 * one would (a second, older version of an account in the same source is stale).
 * @module
 */
import { decidePut, putResult, type JwtStore, type StoredAccount } from '../types.js'

export const DRIVER_NAME = 'overlay'

export function overlayStore(base: JwtStore): JwtStore {
  /** Accounts "written" (an account) or "deleted" (null) during the dry run. */
  const written = new Map<string, StoredAccount | null>()
  const deletedHere = new Map<string, StoredAccount>()
  const get = async (pubkey: string) => (written.has(pubkey) ? written.get(pubkey)! : base.get(pubkey))
  const deleted = async (pubkey: string) =>
    written.has(pubkey) ? (deletedHere.get(pubkey) ?? null) : base.deleted(pubkey)
  return {
    name: `${base.name} (dry run)`,
    capabilities: { history: false },
    get,
    deleted,
    async put(account, source) {
      const previous = await get(account.pubkey)
      const tombstone = previous === null ? await deleted(account.pubkey) : null
      const outcome = decidePut(previous, account, tombstone, source)
      if (outcome === 'stored') written.set(account.pubkey, account)
      return putResult(outcome, account, previous, tombstone)
    },
    async delete(pubkey) {
      const current = await get(pubkey)
      if (current !== null) {
        written.set(pubkey, null)
        deletedHere.set(pubkey, current)
      }
      return current
    },
    list: () => base.list(),
    count: () => base.count(),
    hash: (now) => base.hash(now),
    close: () => base.close(),
  }
}
