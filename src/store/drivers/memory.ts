/**
 * In-memory store: for tests and throw-away servers. Nothing survives a restart.
 * @module
 */
import { createHash } from 'node:crypto'
import { decidePut, xorInto, type JwtStore, type PutResult, type StoredAccount } from '../types.js'

export const DRIVER_NAME = 'memory'

export function memoryStore(): JwtStore {
  const accounts = new Map<string, StoredAccount>()
  return {
    name: DRIVER_NAME,
    capabilities: { history: false },
    async get(pubkey) {
      return accounts.get(pubkey) ?? null
    },
    async *list() {
      for (const key of [...accounts.keys()].sort()) {
        const account = accounts.get(key)
        if (account !== undefined) yield account
      }
    },
    async count() {
      return accounts.size
    },
    async hash(nowSeconds) {
      const hash = new Uint8Array(32)
      for (const account of accounts.values()) {
        if (account.exp === 0 || account.exp > nowSeconds) {
          xorInto(hash, createHash('sha256').update(account.jwt).digest())
        }
      }
      return hash
    },
    // Synchronous between read and write, so no lock is needed.
    async put(account): Promise<PutResult> {
      const previous = accounts.get(account.pubkey) ?? null
      const outcome = decidePut(previous, account)
      if (outcome === 'stored') accounts.set(account.pubkey, account)
      return { outcome, current: outcome === 'stored' ? account : previous!, previous }
    },
    async close() {
      accounts.clear()
    },
  }
}
