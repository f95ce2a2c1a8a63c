/**
 * What the Go server's router and CORS layer answered around the handlers (nas-spec §2), and the
 * registry behind it: the table comes from the routes the app registered, and the fast path's URL
 * test from the account route's pattern, so there is no second list to keep in step.
 */
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { plainParamMatcher, routeTable } from '../../src/http/go-router.js'
import { Metrics } from '../../src/metrics.js'
import { AccountService } from '../../src/accounts/service.js'
import { memoryStore } from '../../src/store/drivers/memory.js'
import { buildTestApp } from '../helpers/app.js'
import { newKey } from '../helpers/mint.js'

const app = buildTestApp()
const key = newKey('account').publicKey

describe('router compatibility', () => {
  it.each(['/', '/jwt/v1/biz', '/biz/v1/accounts/', '/jwt/v1/activations/foo', '/jwt/v1/accounts/a/b'])(
    'answers 404 page not found for %s',
    async (path) => {
      const res = await app.request(path)
      expect(res.status).toBe(404)
      expect(res.headers.get('Content-Type')).toBe('text/plain; charset=utf-8')
      expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
      expect(await res.text()).toBe('404 page not found\n')
    },
  )

  it.each([
    ['PUT', `/jwt/v1/accounts/${key}`, 'GET, HEAD, OPTIONS, POST'],
    ['DELETE', `/jwt/v1/accounts/${key}`, 'GET, HEAD, OPTIONS, POST'],
    ['POST', '/jwt/v1/accounts', 'GET, HEAD, OPTIONS'],
    ['POST', '/jwt/v1/accounts/', 'GET, HEAD, OPTIONS'],
    ['POST', '/jwt/v1/help', 'GET, HEAD, OPTIONS'],
  ])('answers 405 to %s %s with Allow', async (method, path, allow) => {
    const res = await app.request(path, { method })
    expect(res.status).toBe(405)
    expect(res.headers.get('Allow')).toBe(allow)
    expect(await res.text()).toBe('Method Not Allowed\n')
  })

  it('redirects a trailing slash: 301 for GET (query kept), 307 for POST', async () => {
    const get = await app.request(`/jwt/v1/accounts/${key}/?text=true`)
    expect(get.status).toBe(301)
    expect(get.headers.get('Location')).toBe(`/jwt/v1/accounts/${key}?text=true`)
    expect(get.headers.get('Content-Type')).toBe('text/html; charset=utf-8')
    expect(await get.text()).toBe(`<a href="/jwt/v1/accounts/${key}">Moved Permanently</a>.\n\n`)
    const help = await app.request('/jwt/v1/help/')
    expect(help.status).toBe(301)
    expect(help.headers.get('Location')).toBe('/jwt/v1/help')
    const postRes = await app.request(`/jwt/v1/accounts/${key}/`, { method: 'POST', body: 'x' })
    expect(postRes.status).toBe(307)
    expect(postRes.headers.get('Location')).toBe(`/jwt/v1/accounts/${key}`)
  })

  it('redirects a wrong letter case to the canonical path, keeping the key as sent', async () => {
    const res = await app.request('/JWT/V1/HELP')
    expect(res.status).toBe(301)
    expect(res.headers.get('Location')).toBe('/jwt/v1/help')
    const account = await app.request(`/Jwt/v1/Accounts/${key}`)
    expect(account.headers.get('Location')).toBe(`/jwt/v1/accounts/${key}`)
  })

  it('answers OPTIONS on a known path with Allow, and 404 elsewhere', async () => {
    const res = await app.request(`/jwt/v1/accounts/${key}`, { method: 'OPTIONS' })
    expect(res.status).toBe(200)
    expect(res.headers.get('Allow')).toBe('GET, HEAD, OPTIONS, POST')
    expect(await res.text()).toBe('')
    expect((await app.request('/nope', { method: 'OPTIONS' })).status).toBe(404)
  })
})

describe('CORS (rs/cors as the Go server configured it, on the account route only)', () => {
  it('adds Vary: Origin to every response and echoes the Origin for GET and POST of an account', async () => {
    const plain = await app.request('/healthz')
    expect(plain.headers.get('Vary')).toBe('Origin')
    expect(plain.headers.get('Access-Control-Allow-Origin')).toBeNull()
    const withOrigin = await app.request(`/jwt/v1/accounts/${key}`, { headers: { Origin: 'https://ui.example' } })
    expect(withOrigin.headers.get('Access-Control-Allow-Origin')).toBe('https://ui.example')
    expect(withOrigin.headers.get('Access-Control-Expose-Headers')).toBe('Authorization')
    expect(withOrigin.headers.get('Access-Control-Allow-Credentials')).toBeNull()
    const put = await app.request(`/jwt/v1/accounts/${key}`, { method: 'PUT', headers: { Origin: 'https://ui.example' } })
    expect(put.headers.get('Access-Control-Allow-Origin')).toBeNull()
  })

  it.each(['/healthz', '/nope', '/jwt/v1/pack', '/metrics', '/jwt/v1/help', `/jwt/v1/accounts/${key}/history`])(
    'grants no origin on %s',
    async (path) => {
      const res = await app.request(path, { headers: { Origin: 'https://ui.example' } })
      expect(res.headers.get('Vary')).toBe('Origin')
      expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull()
      expect(res.headers.get('Access-Control-Expose-Headers')).toBeNull()
    },
  )

  it('answers a preflight with 204 on any path, granting only on the account route', async () => {
    const preflight = (path: string, method: string) =>
      app.request(path, {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://ui.example',
          'Access-Control-Request-Method': method,
          'Access-Control-Request-Headers': 'content-type',
        },
      })
    const res = await preflight(`/jwt/v1/accounts/${key}`, 'POST')
    expect(res.status).toBe(204)
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('https://ui.example')
    expect(res.headers.get('Access-Control-Allow-Methods')).toBe('POST')
    expect(res.headers.get('Access-Control-Allow-Headers')).toBe('content-type')
    expect(res.headers.get('Vary')).toBe('Origin, Access-Control-Request-Method, Access-Control-Request-Headers')
    const put = await preflight(`/jwt/v1/accounts/${key}`, 'PUT')
    expect(put.status).toBe(204)
    expect(put.headers.get('Access-Control-Allow-Origin')).toBeNull()
    for (const path of ['/anything', '/jwt/v1/pack', '/metrics']) {
      const other = await preflight(path, 'GET')
      expect(other.status).toBe(204)
      expect(other.headers.get('Access-Control-Allow-Origin')).toBeNull()
      expect(other.headers.get('Access-Control-Allow-Methods')).toBeNull()
    }
  })
})

describe('routeTable', () => {
  it('groups methods by path, skips middleware entries and marks CORS paths', () => {
    const registered = [
      { path: '/*', method: 'ALL' },
      { path: '/a/:id', method: 'GET' },
      { path: '/a/:id', method: 'POST' },
      { path: '/a/:id', method: 'POST' },
      { path: '/b', method: 'GET' },
    ]
    expect(routeTable(registered, ['/a/:id'])).toEqual([
      { path: '/a/:id', methods: ['GET', 'POST'], cors: true },
      { path: '/b', methods: ['GET'], cors: false },
    ])
  })

  it('follows what the app serves: /metrics exists only where it is registered', async () => {
    const service = new AccountService({ store: memoryStore(), trust: null })
    const logger = pino({ level: 'silent' })
    const metrics = new Metrics({ store: memoryStore() })
    const served = buildApp({ service, logger, metrics })
    const elsewhere = buildApp({ service, logger, metrics, metricsRoute: false })
    expect((await served.request('/metrics', { method: 'POST' })).status).toBe(405)
    expect((await elsewhere.request('/metrics', { method: 'POST' })).status).toBe(404)
    expect((await served.request('/Metrics')).status).toBe(301)
    expect((await elsewhere.request('/Metrics')).status).toBe(404)
  })
})

describe('plainParamMatcher', () => {
  const keyOf = plainParamMatcher('/jwt/v1/accounts/:pubkey')
  it('gives the parameter of the exact path', () => {
    expect(keyOf('/jwt/v1/accounts/ABC234')).toBe('ABC234')
  })
  it('leaves to the router what it would rewrite, decode or route elsewhere', () => {
    for (const url of [
      '/jwt/v1/accounts/',
      '/jwt/v1/accounts/ABC?jti=1',
      '/jwt/v1/accounts/AB%43',
      '/jwt/v1/accounts/ABC/history',
      '/jwt/v1//accounts/ABC',
      '/JWT/v1/accounts/ABC',
    ]) {
      expect(keyOf(url), url).toBeNull()
    }
  })
})
