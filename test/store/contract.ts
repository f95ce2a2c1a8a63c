/**
 * The behaviour every store driver must have. Each driver's test file calls `testJwtStore`
 * with a factory; drivers that persist also pass `reopen` to prove data survives a restart.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { readStoredMeta } from '../../src/jwt/decode.js'
import type { JwtStore, StoredAccount } from '../../src/store/types.js'
import { mintAccount, newKey } from '../helpers/mint.js'

export type StoreHarness = {
  store: JwtStore
  /** Closes the store and opens a new instance on the same data. */
  reopen?: () => Promise<JwtStore>
}

const operator = newKey('operator')

export function accountVersion(pubkey: string, iat: number, extra: Record<string, unknown> = {}): StoredAccount {
  const jwt = mintAccount(pubkey, operator, { iat, nats: { tags: [`v${iat}`], ...extra } })
  return { ...readStoredMeta(jwt), jwt }
}

export type ContractOptions = {
  name: string
  open: () => Promise<StoreHarness>
  /** Data survives a reopen (every driver but memory). */
  persistent: boolean
}

export function testJwtStore({ name, open, persistent }: ContractOptions): void {
  describe(`store contract: ${name}`, () => {
    let harness: StoreHarness
    let store: JwtStore
    beforeEach(async () => {
      harness = await open()
      store = harness.store
      return async () => {
        await store.close()
      }
    })

    it('answers null for an account it does not hold', async () => {
      expect(await store.get(newKey('account').publicKey)).toBeNull()
      expect(await store.count()).toBe(0)
    })

    it('stores a new account and returns the exact JWT and its metadata', async () => {
      const account = accountVersion(newKey('account').publicKey, 1000)
      const result = await store.put(account)
      expect(result).toEqual({ outcome: 'stored', current: account, previous: null })
      expect(await store.get(account.pubkey)).toEqual(account)
    })

    it('treats the same jti as a no-op', async () => {
      const account = accountVersion(newKey('account').publicKey, 1000)
      await store.put(account)
      const again = await store.put({ ...account })
      expect(again.outcome).toBe('unchanged')
      expect(again.current).toEqual(account)
    })

    it('refuses an older iat and keeps the newer JWT', async () => {
      const pubkey = newKey('account').publicKey
      const newer = accountVersion(pubkey, 2000)
      const older = accountVersion(pubkey, 1000)
      await store.put(newer)
      const result = await store.put(older)
      expect(result.outcome).toBe('stale')
      expect(result.current).toEqual(newer)
      expect(await store.get(pubkey)).toEqual(newer)
    })

    it('accepts an equal iat with another jti, and a newer iat', async () => {
      const pubkey = newKey('account').publicKey
      const first = accountVersion(pubkey, 1000)
      const sameSecond = accountVersion(pubkey, 1000, { description: 'edited' })
      const newer = accountVersion(pubkey, 1001)
      await store.put(first)
      expect((await store.put(sameSecond)).outcome).toBe('stored')
      const result = await store.put(newer)
      expect(result).toEqual({ outcome: 'stored', current: newer, previous: sameSecond })
      expect(await store.get(pubkey)).toEqual(newer)
    })

    it('never loses the newest JWT under concurrent puts', async () => {
      const pubkey = newKey('account').publicKey
      const versions = Array.from({ length: 40 }, (_, i) => accountVersion(pubkey, 5000 + i))
      const shuffled = [...versions].sort(() => Math.random() - 0.5)
      const results = await Promise.all(shuffled.map((v) => store.put(v)))
      expect(results.every((r) => r.outcome !== 'unchanged')).toBe(true)
      expect(await store.get(pubkey)).toEqual(versions.at(-1))
    })

    it('lists every account in pubkey order and counts them', async () => {
      const accounts = Array.from({ length: 12 }, () => accountVersion(newKey('account').publicKey, 1000))
      for (const account of accounts) await store.put(account)
      const listed: StoredAccount[] = []
      for await (const account of store.list()) listed.push(account)
      expect(listed.map((a) => a.pubkey)).toEqual(accounts.map((a) => a.pubkey).sort())
      expect(listed).toEqual(expect.arrayContaining(accounts))
      expect(await store.count()).toBe(12)
    })

    it.runIf(persistent)('keeps everything across a reopen', async () => {
      const accounts = Array.from({ length: 5 }, (_, i) => accountVersion(newKey('account').publicKey, 1000 + i))
      for (const account of accounts) await store.put(account)
      store = await harness.reopen!()
      for (const account of accounts) expect(await store.get(account.pubkey)).toEqual(account)
      expect(await store.count()).toBe(5)
    })
  })
}
