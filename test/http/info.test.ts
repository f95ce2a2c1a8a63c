import { describe, expect, it } from 'vitest'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { parseOperator } from '../../src/jwt/trust.js'
import { memoryStore } from '../../src/store/drivers/memory.js'
import { HELP_TEXT } from '../../src/http/help-text.js'
import { buildTestApp, post, trustOf } from '../helpers/app.js'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { mintAccount, mintOperator, newKey } from '../helpers/mint.js'

describe('GET /healthz', () => {
  it('answers 200 with an empty body', async () => {
    const res = await buildTestApp().request('/healthz')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
    expect(res.headers.get('Content-Type')).toBeNull()
  })
})

describe('GET /jwt/v1/help', () => {
  it('serves the Go server help text as text/plain, query ignored', async () => {
    const res = await buildTestApp().request('/jwt/v1/help?decode=true')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('text/plain')
    expect(await res.text()).toBe(HELP_TEXT)
  })
})

describe('GET /jwt/v1/operator', () => {
  const set = loadFixtureSet('standard')
  const app = buildTestApp({ trust: trustOf('standard') })

  it('serves the operator file as read, as application/jwt', async () => {
    const res = await app.request('/jwt/v1/operator')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('application/jwt')
    expect(await res.text()).toBe(set.operatorJwt)
  })

  it('serves text/plain with ?text=true (which wins over decode) and decodes with ?decode=true', async () => {
    const text = await app.request('/jwt/v1/operator?text=true&decode=true')
    expect(text.headers.get('Content-Type')).toBe('text/plain')
    expect(await text.text()).toBe(set.operatorJwt)
    const decoded = await app.request('/jwt/v1/operator?decode=true')
    expect(decoded.headers.get('Content-Type')).toBe('text/plain')
    expect(await decoded.text()).toContain(`"sub": "${set.operatorKey}"`)
  })

  it('does not exist without an operator', async () => {
    const res = await buildTestApp({ trust: null }).request('/jwt/v1/operator')
    expect(res.status).toBe(404)
    expect(await res.text()).toBe('404 page not found\n')
  })
})

describe('GET /jwt/v1/pack', () => {
  const operator = newKey('operator')
  const trust = parseOperator(mintOperator(operator), 'test')
  const NOW = 1_800_000_000_000

  async function packApp(count: number, maxPack?: number) {
    const store = memoryStore()
    const app = buildTestApp({ trust, store, now: () => NOW, maxPack })
    const accounts = new Map<string, string>()
    for (let i = 0; i < count; i++) {
      const key = newKey('account').publicKey
      const jwt = mintAccount(key, operator)
      expect((await post(app, key, jwt)).status).toBe(200)
      accounts.set(key, jwt)
    }
    return { app, store, accounts }
  }

  it('lists every account as pubkey|jwt lines in key order, no trailing newline', async () => {
    const { app, accounts } = await packApp(25)
    const res = await app.request('/jwt/v1/pack')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('text/plain')
    const body = await res.text()
    expect(body.endsWith('\n')).toBe(false)
    const lines = body.split('\n')
    expect(lines.map((l) => l.split('|')[0])).toEqual([...accounts.keys()].sort())
    for (const line of lines) {
      const [key, jwt] = line.split('|')
      expect(accounts.get(key!)).toBe(jwt)
    }
  })

  it('honours max, 0, a negative max (no cap) and the cap', async () => {
    const { app } = await packApp(12, 10)
    expect((await (await app.request('/jwt/v1/pack?max=2')).text()).split('\n')).toHaveLength(2)
    expect(await (await app.request('/jwt/v1/pack?max=0')).text()).toBe('')
    expect((await (await app.request('/jwt/v1/pack')).text()).split('\n')).toHaveLength(10)
    expect((await (await app.request('/jwt/v1/pack?max=-1')).text()).split('\n')).toHaveLength(12)
    const over = await app.request('/jwt/v1/pack?max=11')
    expect(over.status).toBe(400)
    expect(await over.text()).toBe('bad max parameter "11", no more than 10 are allowed\n')
    const bad = await app.request('/jwt/v1/pack?max=FOO')
    expect(bad.status).toBe(400)
    expect(await bad.text()).toBe('bad max parameter "foo"\n')
  })

  it('answers an empty body for an empty store and skips expired JWTs', async () => {
    const { app, store } = await packApp(0)
    expect(await (await app.request('/jwt/v1/pack')).text()).toBe('')
    const expired = mintAccount(newKey('account').publicKey, operator, { exp: NOW / 1000 - 1 })
    await store.put({ ...readStoredMeta(expired), jwt: expired }, { kind: 'http' })
    expect(await (await app.request('/jwt/v1/pack')).text()).toBe('')
  })
})
