/**
 * In-memory store: for tests and throw-away servers. Nothing survives a restart.
 * @module
 */
import { createHash } from 'node:crypto'
import { decidePut, putResult, xorInto, type JwtStore, type StoredAccount } from '../types.js'

export const DRIVER_NAME = 'memory'

export function memoryStore(): JwtStore {
  const accounts = new Map<string, StoredAccount>()
  const tombstones = new Map<string, StoredAccount>()
  return {
    name: DRIVER_NAME,
    capabilities: { history: false },
    async get(pubkey) {
      return accounts.get(pubkey) ?? null
    },
    async deleted(pubkey) {
      return accounts.has(pubkey) ? null : (tombstones.get(pubkey) ?? null)
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
    async put(account, source) {
      const previous = accounts.get(account.pubkey) ?? null
      const tombstone = previous === null ? (tombstones.get(account.pubkey) ?? null) : null
      const outcome = decidePut(previous, account, tombstone, source)
      if (outcome === 'stored') accounts.set(account.pubkey, account)
      return putResult(outcome, account, previous, tombstone)
    },
    async delete(pubkey) {
      const current = accounts.get(pubkey) ?? null
      if (current !== null) {
        accounts.delete(pubkey)
        tombstones.set(pubkey, current)
      }
      return current
    },
    async close() {
      accounts.clear()
    },
  }
}
