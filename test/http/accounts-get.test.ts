import { describe, expect, it } from 'vitest'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { parseOperator } from '../../src/jwt/trust.js'
import { etagOf } from '../../src/accounts/cache.js'
import { memoryStore } from '../../src/store/drivers/memory.js'
import { buildTestApp, post } from '../helpers/app.js'
import { mintAccount, mintOperator, newKey } from '../helpers/mint.js'

const operator = newKey('operator')
const trust = parseOperator(mintOperator(operator, { name: 'OP' }), 'test')
const NOW = 1_800_000_000_000
const nowSeconds = NOW / 1000

async function appWith(jwt: string) {
  const app = buildTestApp({ trust, now: () => NOW })
  const pubkey = readStoredMeta(jwt).pubkey
  expect((await post(app, pubkey, jwt)).status).toBe(200)
  return { app, pubkey, path: `/jwt/v1/accounts/${pubkey}` }
}

describe('GET /jwt/v1/accounts/:pubkey', () => {
  const account = newKey('account').publicKey
  const jwt = mintAccount(account, operator, { iat: nowSeconds - 60 })
  const jti = readStoredMeta(jwt).jti
  const etag = etagOf(Buffer.from(jwt))

  it('serves the exact JWT with ETag, Content-Type and Cache-Control', async () => {
    const { app, path } = await appWith(jwt)
    const res = await app.request(path)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(jwt)
    expect(res.headers.get('Content-Type')).toBe('application/jwt')
    expect(res.headers.get('ETag')).toBe(etag)
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/)
    expect(res.headers.get('Cache-Control')).toBe('no-cache')
    expect(res.headers.get('Vary')).toBe('Origin')
  })

  it('derives max-age from exp, never negative', async () => {
    const expiring = mintAccount(newKey('account').publicKey, operator, { exp: nowSeconds + 600 })
    const { app, path } = await appWith(expiring)
    expect((await app.request(path)).headers.get('Cache-Control')).toBe(
      'max-age=600, stale-while-revalidate=3600, stale-if-error=3600',
    )
    const store = memoryStore()
    const expired = mintAccount(newKey('account').publicKey, operator, { exp: nowSeconds - 5 })
    await store.put({ ...readStoredMeta(expired), jwt: expired }, { kind: 'http' })
    const withExpired = buildTestApp({ trust, store, now: () => NOW })
    const res = await withExpired.request(`/jwt/v1/accounts/${readStoredMeta(expired).pubkey}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('Cache-Control')).toBe('no-cache')
  })

  it('answers 304 to a matching If-None-Match only', async () => {
    const { app, path } = await appWith(jwt)
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`]) {
      const res = await app.request(path, { headers: { 'If-None-Match': header } })
      expect(res.status).toBe(304)
      expect(await res.text()).toBe('')
      expect(res.headers.get('ETag')).toBe(etag)
    }
    for (const header of ['*', '"other"', etag.slice(1, -1), `"${jti}"`]) {
      expect((await app.request(path, { headers: { 'If-None-Match': header } })).status).toBe(200)
    }
  })

  it('answers HEAD like GET without a body', async () => {
    const { app, path } = await appWith(jwt)
    const res = await app.request(path, { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(res.headers.get('ETag')).toBe(etag)
    expect(await res.text()).toBe('')
  })

  it('serves text/plain with ?text=true (case-insensitive, first value) and ignores If-None-Match', async () => {
    const { app, path } = await appWith(jwt)
    for (const query of ['text=true', 'text=TRUE', 'text=true&text=false']) {
      const res = await app.request(`${path}?${query}`, { headers: { 'If-None-Match': etag } })
      expect(res.status).toBe(200)
      expect(res.headers.get('Content-Type')).toBe('text/plain')
      expect(res.headers.get('ETag')).toBeNull()
      expect(await res.text()).toBe(jwt)
    }
    expect((await app.request(`${path}?text=1`)).headers.get('Content-Type')).toBe('application/jwt')
  })

  it('shows the decoded JWT with ?decode=true', async () => {
    const { app, path } = await appWith(jwt)
    const res = await app.request(`${path}?decode=true`)
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('text/plain')
    const body = await res.text()
    expect(body).toContain('"alg": "ed25519-nkey"')
    expect(body).toContain(`"sub": "${account}"`)
  })

  it('answers 404 with an empty body for ?check=true on an expired JWT', async () => {
    const store = memoryStore()
    const expired = mintAccount(newKey('account').publicKey, operator, { exp: nowSeconds - 5 })
    await store.put({ ...readStoredMeta(expired), jwt: expired }, { kind: 'http' })
    const app = buildTestApp({ trust, store, now: () => NOW })
    const path = `/jwt/v1/accounts/${readStoredMeta(expired).pubkey}`
    const res = await app.request(`${path}?check=true`)
    expect(res.status).toBe(404)
    expect(await res.text()).toBe('')
    expect((await app.request(path)).status).toBe(200)
    const live = await appWith(jwt)
    expect((await live.app.request(`${live.path}?check=true`)).status).toBe(200)
  })

  it('accepts ?notify=true', async () => {
    const { app, path } = await appWith(jwt)
    expect((await app.request(`${path}?notify=true`)).status).toBe(200)
  })

  it('answers 501 to a lookup by jti', async () => {
    const { app, path } = await appWith(jwt)
    const res = await app.request(`${path}?jti=${jti}`)
    expect(res.status).toBe(501)
    expect(await res.text()).toBe('lookup by jti is no longer supported\n')
  })

  it('answers 404 "no matching account JWT" for an unknown account', async () => {
    const app = buildTestApp({ trust })
    const res = await app.request(`/jwt/v1/accounts/${newKey('account').publicKey}`)
    expect(res.status).toBe(404)
    expect(res.headers.get('Content-Type')).toBe('text/plain; charset=utf-8')
    expect(await res.text()).toBe('no matching account JWT\n')
  })

  it('answers 400 for a key that is not an account key', async () => {
    const app = buildTestApp({ trust })
    const user = newKey('user').publicKey
    const res = await app.request(`/jwt/v1/accounts/${user}`)
    expect(res.status).toBe(400)
    expect(await res.text()).toBe(`bad account public key in URL: "${user}" is a user key, not an account key\n`)
  })

  it('serves the double-slash path nats-server builds from a trailing-slash account_server_url', async () => {
    const { app, pubkey } = await appWith(jwt)
    const res = await app.request(`/jwt/v1//accounts/${pubkey}`)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(jwt)
    expect((await app.request('/jwt/v1//accounts/')).status).toBe(200)
  })

  it('serves GETs without an operator', async () => {
    const store = memoryStore()
    await store.put({ ...readStoredMeta(jwt), jwt }, { kind: 'http' })
    const app = buildTestApp({ trust: null, store })
    expect(await (await app.request(`/jwt/v1/accounts/${account}`)).text()).toBe(jwt)
  })

  it('never serves a stale copy after a newer POST was answered', async () => {
    const { app, path, pubkey } = await appWith(jwt)
    for (let i = 1; i <= 20; i++) {
      const next = mintAccount(pubkey, operator, { iat: nowSeconds - 60 + i })
      const reads = Array.from({ length: 5 }, () => app.request(path))
      expect((await post(app, pubkey, next)).status).toBe(200)
      await Promise.all(reads)
      expect(await (await app.request(path)).text()).toBe(next)
    }
  })
})

describe('resolver probe: GET /jwt/v1/accounts[/]', () => {
  it.each(['/jwt/v1/accounts', '/jwt/v1/accounts/', '/jwt/v1/accounts/?jti=x'])(
    '%s answers 200 at once, even with an empty store',
    async (path) => {
      const app = buildTestApp({ trust: null })
      const res = await app.request(path)
      expect(res.status).toBe(200)
      expect(await res.text()).toBe('')
      expect(res.headers.get('Cache-Control')).toBe('no-cache, no-store, must-revalidate')
      expect(res.headers.get('Pragma')).toBe('no-cache')
      expect(res.headers.get('Expires')).toBe('0')
      expect(res.headers.get('Content-Type')).toBeNull()
    },
  )
})
