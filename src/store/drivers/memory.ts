/**
 * In-memory store: for tests and throw-away servers. Nothing survives a restart.
 * @module
 */
import { createHash } from 'node:crypto'
import type { StoredAccount } from '../../jwt/types.js'
import type { JwtStore } from '../types.js'
import { KeyLock } from '../utils/key-lock.js'
import { putNewestWins, xorInto, type PutIo } from '../utils/newest-wins.js'

export const DRIVER_NAME = 'memory'

export function memoryStore(): JwtStore {
  const accounts = new Map<string, StoredAccount>()
  const tombstones = new Map<string, StoredAccount>()
  const locks = new KeyLock()
  const io: PutIo = {
    current: async (pubkey) => accounts.get(pubkey) ?? null,
    tombstone: async (pubkey) => tombstones.get(pubkey) ?? null,
    write: async (account) => void accounts.set(account.pubkey, account),
  }
  return {
    name: DRIVER_NAME,
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
    put: (account, source) => locks.run(account.pubkey, () => putNewestWins(io, account, source)),
    delete(pubkey) {
      return locks.run(pubkey, async () => {
        const current = accounts.get(pubkey) ?? null
        if (current !== null) {
          accounts.delete(pubkey)
          tombstones.set(pubkey, current)
        }
        return current
      })
    },
    async close() {
      await locks.idle()
      accounts.clear()
    },
  }
}
