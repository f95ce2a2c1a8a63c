/** AccountService: the bodies it caches, what it notifies of other processes' changes. */
import { describe, expect, it } from 'vitest'
import { etagOf } from '../../src/accounts/cache.js'
import { Notifications } from '../../src/accounts/notifications.js'
import type { Notifier } from '../../src/accounts/ports.js'
import { AccountService } from '../../src/accounts/service.js'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { parseOperator } from '../../src/jwt/trust.js'
import { memoryStore } from '../../src/store/drivers/memory.js'
import type { ChangeListener } from '../../src/store/types.js'
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
      expect(served?.etag).toBe(etagOf(Buffer.from(jwt)))
    }
  })
})

describe('changes made by other processes', () => {
  /** A service whose store feed the test drives, with a notifier that records what it is asked. */
  async function withImport(notifyImports: boolean | undefined): Promise<string[]> {
    const operator = newKey('operator')
    const store = memoryStore()
    const pubkey = newKey('account').publicKey
    const jwt = mintAccount(pubkey, operator)
    await store.put({ ...readStoredMeta(jwt), jwt }, { kind: 'import' })
    const notified: string[] = []
    const notifier: Notifier = {
      notify: async (account) => {
        notified.push(account.pubkey)
        return { sent: true, updated: 1, skipped: 0, failed: [], firstAppliedMs: 1, summary: 'sent' }
      },
    }
    let feed: ChangeListener = () => undefined
    const service = new AccountService({
      store,
      trust: parseOperator(mintOperator(operator), 'test'),
      notifications: new Notifications(notifier, store),
      changes: (listener) => {
        feed = listener
        return () => undefined
      },
      ...(notifyImports === undefined ? {} : { notifyImports }),
    })
    feed([{ pubkey, source: 'import' }, { pubkey: newKey('account').publicKey, source: 'http' }])
    // The feed's handler runs on promises alone (memory store, recording notifier): they have
    // all settled before the next macrotask.
    await new Promise((resolve) => setImmediate(resolve))
    service.close()
    return notified.length === 0 ? [] : notified.map((key) => (key === pubkey ? 'import' : 'other'))
  }

  it('notifies an import another process made to a local store, never a server\'s own change', async () => {
    expect(await withImport(undefined)).toEqual(['import'])
  })

  it('notifies nothing seen through a store several servers share (notifyImports: false)', async () => {
    expect(await withImport(false)).toEqual([])
  })
})
