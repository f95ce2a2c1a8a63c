/** AccountService: the bodies it caches. */
import { describe, expect, it } from 'vitest'
import { AccountService } from '../../src/accounts/service.js'
import { parseOperator } from '../../src/jwt/trust.js'
import { memoryStore } from '../../src/store/drivers/memory.js'
import { mintAccount, mintOperator, newKey } from '../helpers/mint.js'

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
