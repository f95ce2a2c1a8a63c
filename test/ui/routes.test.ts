/**
 * The console's answers without a browser: headers, rejections (each one changes nothing), the
 * admin identity, and the Go-compatible routes around it.
 */
import { describe, expect, it } from 'vitest'
import { AccountService } from '../../src/accounts/service.js'
import { buildApp } from '../../src/app.js'
import { AdminAuth } from '../../src/http/admin-auth.js'
import { memoryStore } from '../../src/store/drivers/memory.js'
import { CLIENT_SCRIPT, STYLE_SHEET } from '../../src/ui/assets.js'
import { silentLogger, trustOf } from '../helpers/app.js'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { newKey } from '../helpers/mint.js'

const TOKEN = 'routes-test-token'
const fixtures = loadFixtureSet('standard')
const a1 = fixtures.accepted.find((e) => e.name === 'A1')!

async function consoleApp() {
  const store = memoryStore()
  const service = new AccountService({ store, trust: trustOf('standard') })
  for (const entry of fixtures.accepted.filter((e) => e.name !== 'R-old')) {
    await service.push(fixtures.jwt(entry), { expectedKey: entry.pubkey, source: { kind: 'import' } })
  }
  const app = buildApp({ service, logger: silentLogger, adminAuth: new AdminAuth({ token: TOKEN }) })
  return { app, store }
}

const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  body: new URLSearchParams(fields),
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
})
const bearer = { Authorization: `Bearer ${TOKEN}` }

describe('console pages', () => {
  it('serves the list as HTML that loads nothing from elsewhere and is never cached', async () => {
    const { app } = await consoleApp()
    const answer = await app.request('/ui/')
    expect(answer.status).toBe(200)
    expect(answer.headers.get('Content-Type')).toBe('text/html; charset=UTF-8')
    expect(answer.headers.get('Cache-Control')).toBe('no-store')
    expect(answer.headers.get('Content-Security-Policy')).toContain("default-src 'none'")
    const html = await answer.text()
    expect(html.startsWith('<!doctype html><html lang="en">')).toBe(true)
    for (const entry of fixtures.accepted.filter((e) => e.name !== 'R-old')) expect(html).toContain(`>${entry.name}</a>`)
    expect(html).not.toMatch(/https?:\/\//)
  })

  it('redirects /ui to /ui/, and serves its style sheet and script for good', async () => {
    const { app } = await consoleApp()
    const moved = await app.request('/ui')
    expect(moved.status).toBe(301)
    expect(moved.headers.get('Location')).toBe('/ui/')
    for (const asset of [STYLE_SHEET, CLIENT_SCRIPT]) {
      const answer = await app.request(asset.path)
      expect(answer.status).toBe(200)
      expect(answer.headers.get('Content-Type')).toBe(asset.type)
      expect(answer.headers.get('Cache-Control')).toContain('immutable')
    }
    expect((await app.request('/ui/style.0000000000.css')).status).toBe(404)
  })

  it('refuses an unknown status filter, a malformed key and an unknown account with a page that says why', async () => {
    const { app } = await consoleApp()
    const status = await app.request('/ui/?status=sleeping')
    expect(status.status).toBe(400)
    expect(await status.text()).toContain('unknown status &quot;sleeping&quot;: use one of active, expired, deleted')
    const key = await app.request('/ui/accounts/NOTAKEY')
    expect(key.status).toBe(400)
    expect(await key.text()).toContain('NOTAKEY')
    const unknown = await app.request(`/ui/accounts/${newKey('account').publicKey}`)
    expect(unknown.status).toBe(404)
  })

  it('keeps the Go routes\' answers around the console', async () => {
    const { app } = await consoleApp()
    const root = await app.request('/')
    expect(root.status).toBe(404)
    expect(await root.text()).toBe('404 page not found\n')
    expect((await app.request('/jwt/v1/accounts/')).status).toBe(200)
    const put = await app.request('/ui/', { method: 'PUT' })
    expect(put.status).toBe(405)
    expect(put.headers.get('Allow')).toBe('GET, HEAD, OPTIONS')
    expect((await app.request('/ui/accounts/' + a1.pubkey + '/delete')).status).toBe(405)
  })
})

describe('console admin actions', () => {
  it('are not shown without an admin identity, and shown with one', async () => {
    const { app } = await consoleApp()
    expect(await (await app.request(`/ui/accounts/${a1.pubkey}`)).text()).not.toContain('Delete account')
    expect(await (await app.request(`/ui/accounts/${a1.pubkey}`, { headers: bearer })).text()).toContain('Delete account')
  })

  it.each([
    ['no identity', {}, 401],
    ['a wrong token', { Authorization: 'Bearer wrong' }, 401],
    ['the token, from another site', { ...bearer, 'Sec-Fetch-Site': 'cross-site' }, 403],
    ['the token, from another origin', { ...bearer, Origin: 'http://evil.example' }, 403],
  ])('refuse a delete with %s, and delete nothing', async (_, headers, status) => {
    const { app, store } = await consoleApp()
    const answer = await app.request(`/ui/accounts/${a1.pubkey}/delete`, form({ confirm: 'A1' }, headers))
    expect(answer.status).toBe(status)
    expect(await store.get(a1.pubkey)).not.toBeNull()
    const notify = await app.request(`/ui/accounts/${a1.pubkey}/notify`, form({}, headers))
    expect(notify.status).toBe(status)
  })

  it('delete nothing when the typed confirmation is not the name, and never the system account', async () => {
    const { app, store } = await consoleApp()
    const wrong = await app.request(`/ui/accounts/${a1.pubkey}/delete`, form({ confirm: 'A2' }, bearer))
    expect(wrong.status).toBe(303)
    expect(wrong.headers.get('Location')).toBe(`/ui/accounts/${a1.pubkey}?done=not-deleted`)
    expect(await store.get(a1.pubkey)).not.toBeNull()
    const system = await app.request(`/ui/accounts/${fixtures.systemAccount}/delete`, form({ confirm: 'SYS' }, bearer))
    expect(system.status).toBe(403)
    expect(await store.get(fixtures.systemAccount)).not.toBeNull()
    const right = await app.request(`/ui/accounts/${a1.pubkey}/delete`, form({ confirm: 'A1' }, { ...bearer, 'Sec-Fetch-Site': 'same-origin' }))
    expect(right.headers.get('Location')).toBe(`/ui/accounts/${a1.pubkey}?done=deleted`)
    expect(await store.get(a1.pubkey)).toBeNull()
  })

  it('sign an admin in with the token only, as a cookie scripts cannot read', async () => {
    const { app } = await consoleApp()
    const wrong = await app.request('/ui/sign-in', form({ token: 'wrong' }))
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('Set-Cookie')).toBeNull()
    const right = await app.request('/ui/sign-in', form({ token: ` ${TOKEN}\n` }))
    expect(right.status).toBe(303)
    const cookie = right.headers.get('Set-Cookie')!
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Strict/)
    expect(cookie).toMatch(/Path=\/ui/)
    const session = cookie.split(';')[0]!
    expect(await (await app.request(`/ui/accounts/${a1.pubkey}`, { headers: { Cookie: session } })).text()).toContain('Delete account')
    expect(await (await app.request(`/ui/accounts/${a1.pubkey}`, { headers: { Cookie: 'nats_accounts_admin=wrong' } })).text()).not.toContain('Delete account')
  })

  it('with --api-auth, sends everyone but an admin to the sign-in page', async () => {
    const service = new AccountService({ store: memoryStore(), trust: trustOf('standard') })
    const app = buildApp({ service, logger: silentLogger, adminAuth: new AdminAuth({ token: TOKEN, readsNeedAuth: true }) })
    for (const path of ['/ui/', `/ui/accounts/${a1.pubkey}`, '/ui/checks', '/ui/fleet']) {
      const answer = await app.request(path)
      expect(answer.status).toBe(303)
      expect(answer.headers.get('Location')).toBe('/ui/sign-in')
      expect((await app.request(path, { headers: bearer })).status).not.toBe(303)
    }
    expect((await app.request('/ui/sign-in')).status).toBe(200)
    expect((await app.request(STYLE_SHEET.path)).status).toBe(200)
  })

  it('cannot sign in when no admin token is configured', async () => {
    const service = new AccountService({ store: memoryStore(), trust: trustOf('standard') })
    const app = buildApp({ service, logger: silentLogger })
    expect(await (await app.request('/ui/sign-in')).text()).toContain('No admin token is configured')
    expect((await app.request('/ui/sign-in', form({ token: '' }))).status).toBe(401)
  })
})
