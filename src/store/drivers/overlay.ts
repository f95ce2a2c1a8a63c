/**
 * A write-nothing view of a store for dry runs: reads see the base store plus what was "put"
 * so far, puts land in memory only. A dry-run import thus reports exactly what a real one would
 * (a second, older version of an account in the same source is stale).
 * @module
 */
import { memoryStore } from './memory.js'
import { decidePut, type JwtStore, type PutResult, type StoredAccount } from '../types.js'

export const DRIVER_NAME = 'overlay'

export function overlayStore(base: JwtStore): JwtStore {
  const written = memoryStore()
  const get = async (pubkey: string): Promise<StoredAccount | null> =>
    (await written.get(pubkey)) ?? base.get(pubkey)
  return {
    name: `${base.name} (dry run)`,
    capabilities: { history: false },
    get,
    async put(account): Promise<PutResult> {
      const previous = await get(account.pubkey)
      const outcome = decidePut(previous, account)
      if (outcome === 'stored') await written.put(account)
      return { outcome, current: outcome === 'stored' ? account : previous!, previous }
    },
    list: () => base.list(),
    count: () => base.count(),
    hash: (now) => base.hash(now),
    close: () => base.close(),
  }
}
