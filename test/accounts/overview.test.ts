/** AccountOverview: the account list read from the store at start-up. */
import { describe, expect, it } from 'vitest'
import { AccountOverview } from '../../src/accounts/overview.js'
import { AccountService } from '../../src/accounts/service.js'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { parseOperator } from '../../src/jwt/trust.js'
import { memoryStore } from '../../src/store/drivers/memory.js'
import { mintAccount, mintOperator, newKey } from '../helpers/mint.js'

const count = 20_000

/**
 * A store of 20,000 accounts: one JWT's claims under many made-up keys (minting 20,000 would take
 * seconds); the list reads every record's payload all the same.
 */
async function largeStore() {
  const operator = newKey('operator')
  const store = memoryStore()
  const jwt = mintAccount(newKey('account').publicKey, operator)
  const meta = { ...readStoredMeta(jwt), jwt }
  for (let i = 0; i < count; i++) await store.put({ ...meta, pubkey: `A${String(i).padStart(55, 'A')}` }, { kind: 'import' })
  return { operator, service: new AccountService({ store, trust: parseOperator(mintOperator(operator), 'test') }) }
}

describe('AccountOverview.ready', () => {
  it('reads a large store while the event loop keeps turning (serving goes on)', async () => {
    const { operator, service } = await largeStore()
    const overview = new AccountOverview({ service })

    let turns = 0
    let loading = true
    const turn = () => {
      if (!loading) return
      turns++
      setImmediate(turn)
    }
    setImmediate(turn)
    await overview.ready()
    loading = false

    expect(overview.size).toBe(count)
    expect(turns).toBeGreaterThan(0)
    overview.close()
    service.close()
  })

  it('answers a push at once while the store is still being read, with its findings once it is', async () => {
    const { operator, service } = await largeStore()
    const overview = new AccountOverview({ service })
    const importer = newKey('account').publicKey
    await service.push(mintAccount(importer, operator, { nats: { imports: [{ account: newKey('account').publicKey, subject: 'x', type: 'stream' }] } }), {
      source: { kind: 'http' },
    })

    const loading = overview.ready()
    expect(await overview.pushLines(importer)).toEqual([])
    expect(overview.size).toBeLessThan(count)
    await loading
    expect((await overview.pushLines(importer)).join('\n')).toMatch(/\[import-/)
    overview.close()
    service.close()
  })

  it('lists accounts pushed after the load in key order, and a re-issued one once', async () => {
    const operator = newKey('operator')
    const store = memoryStore()
    const service = new AccountService({ store, trust: parseOperator(mintOperator(operator), 'test') })
    const overview = new AccountOverview({ service })
    await overview.ready()
    const now = Math.floor(Date.now() / 1000)
    const keys = Array.from({ length: 6 }, () => newKey('account').publicKey)
    for (const pubkey of keys) await service.push(mintAccount(pubkey, operator, { iat: now - 10 }), { expectedKey: pubkey, source: { kind: 'import' } })
    await service.push(mintAccount(keys[0]!, operator, { iat: now - 5, name: 'renamed' }), { expectedKey: keys[0]!, source: { kind: 'import' } })

    const sorted = [...keys].sort()
    const all = await overview.list({ limit: 10 })
    expect(all.accounts.map((a) => a.key)).toEqual(sorted)
    expect(all.accounts.find((a) => a.key === keys[0])?.name).toBe('renamed')
    const second = await overview.list({ limit: 3, cursor: sorted[2] })
    expect(second.accounts.map((a) => a.key)).toEqual(sorted.slice(3))
    overview.close()
    service.close()
  })
})
