import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { parseOperator } from '../../src/jwt/trust.js'
import { etagOf } from '../../src/accounts/cache.js'
import { sqliteStore } from '../../src/store/drivers/sqlite.js'
import { buildTestApp, post } from '../helpers/app.js'
import { mintAccount, mintOperator, newKey } from '../helpers/mint.js'
import { waitFor } from '../helpers/wait.js'
import { tempDir } from '../helpers/tmp.js'

const operator = newKey('operator')
const trust = parseOperator(mintOperator(operator, { name: 'OP' }), 'test')
const now = Math.floor(Date.now() / 1000)

async function sqliteApp() {
  const file = join(await tempDir(), 'accounts.db')
  return { app: buildTestApp({ trust, store: await sqliteStore({ file }) }), file }
}

describe('history on a store that keeps it', () => {
  const account = newKey('account').publicKey
  const v1 = mintAccount(account, operator, { iat: now - 100 })
  const v2 = mintAccount(account, operator, { iat: now - 50, exp: now + 3600 })

  it('serves any accepted version by ?jti= and 404 for an unknown one', async () => {
    const { app } = await sqliteApp()
    await post(app, account, v1)
    await post(app, account, v2)
    const old = await app.request(`/jwt/v1/accounts/${account}?jti=${readStoredMeta(v1).jti}`)
    expect(old.status).toBe(200)
    expect(await old.text()).toBe(v1)
    expect(old.headers.get('ETag')).toBe(etagOf(Buffer.from(v1)))
    expect(await (await app.request(`/jwt/v1/accounts/${account}`)).text()).toBe(v2)
    const missing = await app.request(`/jwt/v1/accounts/${account}?jti=NOPE`)
    expect(missing.status).toBe(404)
    expect(await missing.text()).toBe('no matching account JWT\n')
  })

  it('lists the history as JSON, newest first', async () => {
    const { app } = await sqliteApp()
    await post(app, account, v1)
    await post(app, account, v2)
    const res = await app.request(`/jwt/v1/accounts/${account}/history`)
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/)
    const body = (await res.json()) as Record<string, unknown>[]
    expect(body).toEqual([
      { event: 'accepted', jti: readStoredMeta(v2).jti, iat: now - 50, exp: now + 3600, received_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), source: 'http', source_detail: '', issuer: operator.publicKey, notification: '' },
      { event: 'accepted', jti: readStoredMeta(v1).jti, iat: now - 100, exp: 0, received_at: expect.any(String), source: 'http', source_detail: '', issuer: operator.publicKey, notification: '' },
    ])
    expect(await (await app.request(`/jwt/v1/accounts/${newKey('account').publicKey}/history`)).json()).toEqual([])
  })

  it('answers 400 for a bad key and 405 for POST on the history path', async () => {
    const { app } = await sqliteApp()
    expect((await app.request('/jwt/v1/accounts/nope/history')).status).toBe(400)
    expect((await app.request(`/jwt/v1/accounts/${account}/history`, { method: 'POST' })).status).toBe(405)
  })

  it('serves a JWT another process stored into the same database, once it has seen the change', async () => {
    const { app, file } = await sqliteApp()
    await post(app, account, v1)
    expect(await (await app.request(`/jwt/v1/accounts/${account}`)).text()).toBe(v1)
    const importer = await sqliteStore({ file })
    await importer.put({ ...readStoredMeta(v2), jwt: v2 }, { kind: 'import' })
    await importer.close()
    await waitFor(async () => (await (await app.request(`/jwt/v1/accounts/${account}`)).text()) === v2, {
      timeoutMs: 5000,
      message: 'the server to serve the imported JWT',
    })
  })
})

describe('history on a store that does not keep it', () => {
  it('answers 501 to ?jti= (as the Go server did) and to the history path', async () => {
    const app = buildTestApp({ trust })
    const account = newKey('account').publicKey
    await post(app, account, mintAccount(account, operator))
    const byJti = await app.request(`/jwt/v1/accounts/${account}?jti=X`)
    expect(byJti.status).toBe(501)
    expect(await byJti.text()).toBe('lookup by jti is no longer supported\n')
    const history = await app.request(`/jwt/v1/accounts/${account}/history`)
    expect(history.status).toBe(501)
    expect(await history.text()).toBe('the memory store keeps no history\n')
  })
})
