/**
 * AccountService: the bodies it caches, and in a worker that does not write (--workers), what
 * it caches after a write another process committed for it.
 */
import { describe, expect, it } from 'vitest'
import { checkAccountJwt } from '../../src/jwt/account.js'
import { parseOperator } from '../../src/jwt/trust.js'
import { AccountService, type PushResult } from '../../src/service/accounts.js'
import { memoryStore } from '../../src/store/drivers/memory.js'
import { mintAccount, mintOperator, newKey } from '../helpers/mint.js'

describe('AccountService with a remote writer', () => {
  it('serves the newest JWT when the writer stored a newer one before its answer was handled', async () => {
    const operator = newKey('operator')
    const trust = parseOperator(mintOperator(operator), 'test')
    const pubkey = newKey('account').publicKey
    const now = Math.floor(Date.now() / 1000)
    const older = mintAccount(pubkey, operator, { iat: now - 10 })
    const newer = mintAccount(pubkey, operator, { iat: now - 5 })
    const store = memoryStore()
    const source = { kind: 'http' as const, detail: '127.0.0.1' }
    let service: AccountService
    // The writer stores ours, then another worker's newer JWT, whose "forget" arrives first.
    const remoteCommit = async (account: Parameters<AccountService['commit']>[0]): Promise<PushResult> => {
      const ours = await store.put(account, source)
      await store.put(checkAccountJwt(newer, { trust, now }), source)
      service.forget([pubkey])
      return { ...ours, outcome: 'stored' }
    }
    service = new AccountService({ store, trust, remoteCommit })
    expect((await service.push(older, { expectedKey: pubkey, source })).outcome).toBe('stored')
    const served = await service.lookup(pubkey)
    expect(served?.body.toString()).toBe(newer)
  })
})

describe('AccountService cache', () => {
  it('serves every cached body intact across the slabs they are copied into', async () => {
    const operator = newKey('operator')
    const trust = parseOperator(mintOperator(operator), 'test')
    const store = memoryStore()
    const service = new AccountService({ store, trust })
    const now = Math.floor(Date.now() / 1000)
    // ~700 bytes each: 300 of them fill a few 64 KiB slabs.
    const accounts = Array.from({ length: 300 }, () => {
      const pubkey = newKey('account').publicKey
      return { pubkey, jwt: mintAccount(pubkey, operator, { iat: now - 10 }) }
    })
    for (const { pubkey, jwt } of accounts) await service.push(jwt, { expectedKey: pubkey, source: { kind: 'import' } })
    service.forget(null)
    for (const { pubkey } of accounts) await service.lookup(pubkey)
    for (const { pubkey, jwt } of accounts) {
      const served = service.cached(pubkey)
      expect(served?.body.toString()).toBe(jwt)
      expect(served?.length).toBe(String(jwt.length))
    }
  })
})
