/** AccountOverview: the account list read from the store at start-up. */
import { describe, expect, it } from 'vitest'
import { AccountOverview } from '../../src/accounts/overview.js'
import { AccountService } from '../../src/accounts/service.js'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { parseOperator } from '../../src/jwt/trust.js'
import { memoryStore } from '../../src/store/drivers/memory.js'
import { mintAccount, mintOperator, newKey } from '../helpers/mint.js'

describe('AccountOverview.ready', () => {
  it('reads a large store while the event loop keeps turning (serving goes on)', async () => {
    const operator = newKey('operator')
    const store = memoryStore()
    // One JWT's claims under many made-up keys (minting 20,000 would take seconds): the list
    // reads every record's payload all the same.
    const jwt = mintAccount(newKey('account').publicKey, operator)
    const meta = { ...readStoredMeta(jwt), jwt }
    const count = 20_000
    for (let i = 0; i < count; i++) await store.put({ ...meta, pubkey: `A${String(i).padStart(55, 'A')}` }, { kind: 'import' })
    const service = new AccountService({ store, trust: parseOperator(mintOperator(operator), 'test') })
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
})
