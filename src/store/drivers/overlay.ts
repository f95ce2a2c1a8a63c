/**
 * A write-nothing view of a store for dry runs: reads (list, count and hash included) see the
 * base store plus what was "put" or "deleted" so far, which stays in memory. A dry-run import
 * thus reports exactly what a real one would (a second, older version of an account in the same
 * source is stale).
 * @module
 */
import { createHash } from 'node:crypto'
import type { StoredAccount } from '../../jwt/types.js'
import type { JwtStore } from '../types.js'
import { KeyLock } from '../utils/key-lock.js'
import { putNewestWins, xorInto, type PutIo } from '../utils/newest-wins.js'

export const DRIVER_NAME = 'overlay'

export function overlayStore(base: JwtStore): JwtStore {
  /** Accounts "written" (an account) or "deleted" (null) during the dry run. */
  const written = new Map<string, StoredAccount | null>()
  const deletedHere = new Map<string, StoredAccount>()
  const locks = new KeyLock()
  const get = async (pubkey: string) => (written.has(pubkey) ? written.get(pubkey)! : base.get(pubkey))
  const deleted = async (pubkey: string) => {
    if (!written.has(pubkey)) return base.deleted(pubkey)
    return written.get(pubkey) === null ? (deletedHere.get(pubkey) ?? null) : null
  }
  const io: PutIo = {
    current: get,
    tombstone: deleted,
    write: async (account) => void written.set(account.pubkey, account),
  }
  return {
    name: `${base.name} (dry run)`,
    get,
    deleted,
    put: (account, source) => locks.run(account.pubkey, () => putNewestWins(io, account, source)),
    delete(pubkey) {
      return locks.run(pubkey, async () => {
        const current = await get(pubkey)
        if (current !== null) {
          written.set(pubkey, null)
          deletedHere.set(pubkey, current)
        }
        return current
      })
    },
    // The base's accounts in key order, with this run's writes merged in and its deletions left out.
    async *list() {
      const mine = [...written.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      let next = 0
      for await (const account of base.list()) {
        for (; next < mine.length && mine[next]![0] < account.pubkey; next++) {
          if (mine[next]![1] !== null) yield mine[next]![1]!
        }
        if (!written.has(account.pubkey)) yield account
      }
      for (; next < mine.length; next++) if (mine[next]![1] !== null) yield mine[next]![1]!
    },
    async count() {
      let count = await base.count()
      for (const [pubkey, account] of written) {
        count += (account !== null ? 1 : 0) - ((await base.get(pubkey)) !== null ? 1 : 0)
      }
      return count
    },
    async hash(nowSeconds) {
      const hash = await base.hash(nowSeconds)
      const live = (account: StoredAccount | null): account is StoredAccount =>
        account !== null && (account.exp === 0 || account.exp > nowSeconds)
      for (const [pubkey, account] of written) {
        const before = await base.get(pubkey)
        if (live(before)) xorInto(hash, createHash('sha256').update(before.jwt).digest())
        if (live(account)) xorInto(hash, createHash('sha256').update(account.jwt).digest())
      }
      return hash
    },
    async close() {
      await locks.idle()
      await base.close()
    },
  }
}
