/**
 * The JSON API over real HTTP (a listening server on a loopback port, a real SQLite file): the
 * reads, their paging and filters, the findings in push answers, the gauge, and every admin
 * route without an identity, with a wrong token and with the right one.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { mintAccount, mintJwt, newKey, operatorSigningKey, signerFromSeed } from '../helpers/mint.js'
import { startAccountServer, type RunningAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { sqliteStore } from '../../src/store/drivers/sqlite.js'

const set = loadFixtureSet('standard')
const signer = operatorSigningKey(set.dir)
const TOKEN = 'c0ffee-admin-token-4f1b2c'
const SYSTEM_ACCOUNT = set.manifest.system_account

let server: RunningAccountServer
let storeFile: string

async function api(path: string, init: RequestInit & { token?: string } = {}) {
  const headers = new Headers(init.headers)
  if (init.token !== undefined) headers.set('Authorization', `Bearer ${init.token}`)
  const res = await fetch(`${server.base}${path}`, { ...init, headers })
  const text = await res.text()
  return { status: res.status, headers: res.headers, text, body: text === '' ? undefined : (JSON.parse(text) as Record<string, any>) }
}

async function push(jwt: string, key: string) {
  const res = await fetch(`${server.base}/jwt/v1/accounts/${key}`, { method: 'POST', body: jwt })
  return { status: res.status, text: await res.text() }
}

async function served(key: string): Promise<number> {
  const res = await fetch(`${server.base}/jwt/v1/accounts/${key}`)
  await res.arrayBuffer()
  return res.status
}

const now = Math.floor(Date.now() / 1000)
const accounts = ['alpha', 'bravo', 'charlie', 'delta', 'echo'].map((name) => ({ name, key: newKey('account').publicKey }))

beforeAll(async () => {
  const dir = await tempDir()
  storeFile = join(dir, 'accounts.db')
  const tokenFile = join(dir, 'admin-token')
  await writeFile(tokenFile, `  ${TOKEN}\n`, { mode: 0o600 })
  server = await startAccountServer({
    operator: set.operatorPath,
    store: { type: 'sqlite', file: storeFile },
    api: { auth: false, adminTokenFile: tokenFile, adminCertSubjects: [] },
  })
  for (const { name, key } of accounts) {
    expect((await push(mintAccount(key, signer, { name, exp: name === 'echo' ? now + 3 : undefined }), key)).status).toBe(200)
  }
  expect((await push(set.jwt(set.manifest.fixtures.find((f) => f.pubkey === SYSTEM_ACCOUNT && f.verdict === 'accept')!), SYSTEM_ACCOUNT)).status).toBe(200)
})

afterAll(async () => {
  await server.stop()
})

describe('GET /api/v1/accounts', () => {
  it('lists every account with key, name, issuer kind, times, status and findings, in key order', async () => {
    const { status, headers, body } = await api('/api/v1/accounts')
    expect(status).toBe(200)
    expect(headers.get('Content-Type')).toBe('application/json; charset=utf-8')
    const keys = body!.accounts.map((a: { key: string }) => a.key)
    expect(keys).toEqual([...keys].sort())
    const alpha = body!.accounts.find((a: { name: string }) => a.name === 'alpha')
    expect(alpha).toMatchObject({ key: accounts[0]!.key, issuer: signer.publicKey, issuer_kind: 'signing_key', exp: 0, status: 'active', findings: 0, drifted: 0 })
    expect(alpha.last_change).toMatchObject({ event: 'accepted', source: 'http' })
    expect(body!.total).toBe(6)
    expect(body!.next_cursor).toBeNull()
  })

  it('finds accounts by a name substring (any case) or a key substring', async () => {
    const byName = await api('/api/v1/accounts?q=HARL')
    expect(byName.body!.accounts.map((a: { name: string }) => a.name)).toEqual(['charlie'])
    const byKey = await api(`/api/v1/accounts?q=${accounts[3]!.key.slice(10, 30)}`)
    expect(byKey.body!.accounts.map((a: { name: string }) => a.name)).toEqual(['delta'])
    expect((await api('/api/v1/accounts?q=nothing-like-this')).body).toEqual({ accounts: [], total: 0, next_cursor: null })
  })

  it('pages with a cursor and a limit', async () => {
    const seen: string[] = []
    let cursor = ''
    for (let pages = 0; pages < 5; pages++) {
      const { body } = await api(`/api/v1/accounts?limit=4${cursor ? `&cursor=${cursor}` : ''}`)
      seen.push(...body!.accounts.map((a: { key: string }) => a.key))
      if (body!.next_cursor === null) break
      cursor = body!.next_cursor
    }
    expect(seen).toHaveLength(6)
    expect(new Set(seen).size).toBe(6)
    expect(seen).toEqual([...seen].sort())
  })

  it('filters by status: an account that expires while stored is listed as expired', async () => {
    const echo = accounts[4]!.key
    const expired = await api('/api/v1/accounts?status=expired')
    const active = await api('/api/v1/accounts?status=active')
    // echo expires 3 s after it was pushed: either it has already, or it is active now.
    const expiredKeys = expired.body!.accounts.map((a: { key: string }) => a.key)
    expect(expiredKeys.length + active.body!.total).toBe(6)
    expect(expiredKeys.every((k: string) => k === echo)).toBe(true)
  })

  it('refuses a bad limit or status with a JSON error', async () => {
    for (const query of ['limit=0', 'limit=1001', 'limit=ten', 'status=gone']) {
      const { status, body } = await api(`/api/v1/accounts?${query}`)
      expect(status).toBe(400)
      expect(body!.error.code).toBe('ERR_BAD_PARAMETER')
      expect(body!.error.message).toMatch(/limit|status/)
    }
  })
})

describe('GET /api/v1/accounts/<key>', () => {
  it('answers the decoded claims, the JWT, the history and the findings', async () => {
    const { key } = accounts[1]!
    const { status, body } = await api(`/api/v1/accounts/${key}`)
    expect(status).toBe(200)
    expect(body).toMatchObject({ key, name: 'bravo', status: 'active', fleet: null, finding_list: [] })
    expect(body!.claims).toMatchObject({ sub: key, name: 'bravo', iss: signer.publicKey })
    expect(body!.jwt.split('.')).toHaveLength(3)
    expect(body!.history).toHaveLength(1)
    expect(body!.history[0]).toMatchObject({ event: 'accepted', source: 'http' })
  })

  it('answers 404 and 400 as JSON errors', async () => {
    const missing = await api(`/api/v1/accounts/${newKey('account').publicKey}`)
    expect(missing.status).toBe(404)
    expect(missing.body!.error.code).toBe('ERR_NOT_FOUND')
    const bad = await api('/api/v1/accounts/not-a-key')
    expect(bad.status).toBe(400)
    expect(bad.body!.error).toMatchObject({ code: 'ERR_INVALID_PUBKEY' })
  })
})

describe('findings', () => {
  const exporter = { name: 'exporter', key: newKey('account').publicKey }
  const importer = { name: 'importer', key: newKey('account').publicKey }
  const importerJwt = () =>
    mintAccount(importer.key, signer, { name: 'importer', nats: { imports: [{ account: exporter.key, subject: 'orders.>', type: 'stream' }] } })

  it('come back as extra lines in the push answer, for the pushed account and the accounts that name it', async () => {
    const pushed = await push(importerJwt(), importer.key)
    expect(pushed.status).toBe(200)
    expect(pushed.text).toMatch(/^error: account "importer" \(A\w+\) imports stream "orders\.>" from A\w+, which is not stored \[import-exporter-missing\]\n$/)
    const exporterJwt = mintAccount(exporter.key, signer, { name: 'exporter', nats: { exports: [{ subject: 'billing.>', type: 'stream' }] } })
    const second = await push(exporterJwt, exporter.key)
    expect(second.text).toContain('from "exporter"')
    expect(second.text).toContain('which does not export it [import-not-exported]')
  })

  it('are listed by GET /api/v1/checks, filtered by code, counted in the gauge', async () => {
    const { body } = await api('/api/v1/checks')
    const broken = body!.findings.find((f: { code: string }) => f.code === 'import-not-exported')
    expect(broken).toMatchObject({ severity: 'error', account: importer.key, other: exporter.key, subject: 'orders.>' })
    expect(body!.counts['import-not-exported']).toBe(1)
    const filtered = await api('/api/v1/checks?code=import-not-exported')
    expect(filtered.body!.findings).toHaveLength(1)
    expect((await api('/api/v1/checks?code=nope')).status).toBe(400)
    const metrics = await (await fetch(`${server.base}/metrics`)).text()
    expect(metrics).toContain('nats_accounts_check_findings{code="import-not-exported"} 1')
    expect(metrics).toContain('nats_accounts_check_findings{code="import-exporter-missing"} 0')
    const listed = await api(`/api/v1/accounts?q=importer`)
    expect(listed.body!.accounts[0].findings).toBe(1)
  })

  it('resolve when the exporter exports the subject again', async () => {
    const fixed = mintAccount(exporter.key, signer, { name: 'exporter', iat: Math.floor(Date.now() / 1000) + 1, nats: { exports: [{ subject: 'orders.>', type: 'stream' }] } })
    expect((await push(fixed, exporter.key)).text).toBe('')
    expect((await api('/api/v1/checks?code=import-not-exported')).body!.findings).toEqual([])
  })
})

describe('changes made by another process', () => {
  it('reach the list: an import into the same SQLite file is listed, with its source', async () => {
    const other = await sqliteStore({ file: storeFile })
    const key = newKey('account').publicKey
    const jwt = mintAccount(key, signer, { name: 'imported-elsewhere' })
    try {
      await other.put({ ...readStoredMeta(jwt), jwt }, { kind: 'import', detail: 'backup.pack' })
    } finally {
      await other.close()
    }
    const listed = await waitFor(async () => (await api('/api/v1/accounts?q=imported-elsewhere')).body!.accounts[0], { timeoutMs: 10_000, message: 'the imported account listed' })
    expect(listed).toMatchObject({ key, status: 'active', last_change: { source: 'import', source_detail: 'backup.pack' } })
  })
})

describe('GET /api/v1/fleet', () => {
  it('says NATS is not configured, with empty lists', async () => {
    const { status, body } = await api('/api/v1/fleet')
    expect(status).toBe(200)
    expect(body).toMatchObject({ nats_configured: false, servers: [], drifted: [] })
  })
})

describe('admin routes', () => {
  it('POST …/notify: 401 without an identity or with a wrong token; with the token, 501 without NATS', async () => {
    const key = accounts[0]!.key
    const none = await api(`/api/v1/accounts/${key}/notify`, { method: 'POST' })
    expect(none.status).toBe(401)
    expect(none.headers.get('WWW-Authenticate')).toBe('Bearer realm="nats-accounts"')
    expect(none.body!.error.code).toBe('ERR_UNAUTHORIZED')
    const wrong = await api(`/api/v1/accounts/${key}/notify`, { method: 'POST', token: `${TOKEN}x` })
    expect(wrong.status).toBe(401)
    expect(wrong.body!.error.message).toBe('the bearer token is not the admin token')
    const basic = await api(`/api/v1/accounts/${key}/notify`, { method: 'POST', headers: { Authorization: 'Basic YTpi' } })
    expect(basic.status).toBe(401)
    const right = await api(`/api/v1/accounts/${key}/notify`, { method: 'POST', token: TOKEN })
    expect(right.status).toBe(501)
    expect(right.body!.error.message).toMatch(/NATS is not configured/)
    const withBody = await api(`/api/v1/accounts/${key}/notify`, { method: 'POST', token: TOKEN, body: 'x' })
    expect(withBody.status).toBe(400)
  })

  it('DELETE: refused without an identity or with a wrong token, nothing changed; deleted with the token', async () => {
    const { key } = accounts[2]!
    expect((await api(`/api/v1/accounts/${key}`, { method: 'DELETE' })).status).toBe(401)
    expect((await api(`/api/v1/accounts/${key}`, { method: 'DELETE', token: 'guess' })).status).toBe(401)
    expect(await served(key)).toBe(200)
    const deleted = await api(`/api/v1/accounts/${key}`, { method: 'DELETE', token: TOKEN })
    expect(deleted.status).toBe(200)
    expect(deleted.body).toEqual({ deleted: 1, accounts: [key], kept: [] })
    expect(await served(key)).toBe(404)
    const listed = await api('/api/v1/accounts?status=deleted')
    expect(listed.body!.accounts.map((a: { key: string }) => a.key)).toEqual([key])
    const detail = await api(`/api/v1/accounts/${key}`)
    expect(detail.body).toMatchObject({ status: 'deleted', name: 'charlie' })
    expect(detail.body!.history[0]).toMatchObject({ event: 'deleted' })
    // The tombstone: the deleted JWT cannot come back.
    const again = await push(mintAccount(key, signer, { name: 'charlie', iat: now - 60 }), key)
    expect(again.status).toBe(409)
    expect((await api(`/api/v1/accounts/${key}`, { method: 'DELETE', token: TOKEN })).status).toBe(404)
  })

  it('DELETE refuses the system account, and keeps it', async () => {
    const res = await api(`/api/v1/accounts/${SYSTEM_ACCOUNT}`, { method: 'DELETE', token: TOKEN })
    expect(res.status).toBe(403)
    expect(res.body!.error.code).toBe('ERR_FORBIDDEN')
    expect(await served(SYSTEM_ACCOUNT)).toBe(200)
  })

  it('DELETE with an operator-signed delete request as the body, no token needed', async () => {
    const operator = signerFromSeed(await readFile(join(set.dir, 'seeds', 'operator.nk'), 'utf8'))
    const { key } = accounts[3]!
    // Issued after the account (a second later: in the same second the account is kept, as nats-server does).
    const request = (signer_ = operator, keys = [key], iat = Math.floor(Date.now() / 1000) + 1) => mintJwt('generic', signer_.publicKey, signer_, { accounts: keys }, { iat })
    const foreign = newKey('operator')
    const untrusted = await api(`/api/v1/accounts/${key}`, { method: 'DELETE', body: request(foreign) })
    expect(untrusted.status).toBe(403)
    expect(untrusted.body!.error.message).toBe(`delete request by ${foreign.publicKey} refused: not trusted`)
    const unlisted = await api(`/api/v1/accounts/${key}`, { method: 'DELETE', body: request(operator, [accounts[0]!.key]) })
    expect(unlisted.status).toBe(403)
    const stale = await api(`/api/v1/accounts/${key}`, { method: 'DELETE', body: request(operator, [key], now - 3600) })
    expect(stale.status).toBe(403)
    expect(stale.body!.error.message).toMatch(/stale request/)
    const garbage = await api(`/api/v1/accounts/${key}`, { method: 'DELETE', body: 'not a jwt' })
    expect(garbage.status).toBe(400)
    expect(garbage.body!.error.code).toBe('ERR_JWT_MALFORMED')
    expect(await served(key)).toBe(200)
    const signed = request()
    const ok = await api(`/api/v1/accounts/${key}`, { method: 'DELETE', body: signed })
    expect(ok.status).toBe(200)
    expect(ok.body).toEqual({ deleted: 1, accounts: [key], kept: [] })
    expect(await served(key)).toBe(404)
    const replayed = await api(`/api/v1/accounts/${key}`, { method: 'DELETE', body: signed })
    expect(replayed.status).toBe(403)
    expect(replayed.body!.error.message).toMatch(/replayed request/)
  })
})

describe('admin identity settings', () => {
  it('--api-auth: reads need the admin token too', async () => {
    const dir = await tempDir()
    const tokenFile = join(dir, 'token')
    await writeFile(tokenFile, TOKEN, { mode: 0o600 })
    const guarded = await startAccountServer({ operator: set.operatorPath, store: { type: 'sqlite', file: join(dir, 'a.db') }, api: { auth: true, adminTokenFile: tokenFile, adminCertSubjects: [] } })
    try {
      for (const path of ['/api/v1/accounts', `/api/v1/accounts/${SYSTEM_ACCOUNT}`, '/api/v1/checks', '/api/v1/fleet']) {
        expect((await fetch(`${guarded.base}${path}`)).status).toBe(401)
        expect((await fetch(`${guarded.base}${path}`, { headers: { Authorization: 'Bearer nope' } })).status).toBe(401)
      }
      const res = await fetch(`${guarded.base}/api/v1/accounts`, { headers: { Authorization: `Bearer ${TOKEN}` } })
      expect(res.status).toBe(200)
      // The resolver's routes stay open.
      expect((await fetch(`${guarded.base}/jwt/v1/accounts`)).status).toBe(200)
    } finally {
      await guarded.stop()
    }
  })

  it('without an admin identity configured, admin routes answer 401, a bearer token 403', async () => {
    const dir = await tempDir()
    const open = await startAccountServer({ operator: set.operatorPath, store: { type: 'sqlite', file: join(dir, 'a.db') } })
    try {
      const key = newKey('account').publicKey
      const none = await fetch(`${open.base}/api/v1/accounts/${key}`, { method: 'DELETE' })
      expect(none.status).toBe(401)
      expect(((await none.json()) as { error: { message: string } }).error.message).toMatch(/admin actions are disabled: start the server with --admin-token-file/)
      expect((await fetch(`${open.base}/api/v1/accounts/${key}/notify`, { method: 'POST', headers: { Authorization: 'Bearer x' } })).status).toBe(403)
    } finally {
      await open.stop()
    }
  })

  it('a missing or empty token file, or --api-auth without an identity, stops start-up naming the cause', async () => {
    const dir = await tempDir()
    const store = { type: 'sqlite' as const, file: join(dir, 'a.db') }
    const missing = join(dir, 'missing')
    await expect(startAccountServer({ store, api: { auth: false, adminTokenFile: missing, adminCertSubjects: [] } })).rejects.toThrow(`cannot read the admin token file ${missing}`)
    const empty = join(dir, 'empty')
    await writeFile(empty, '\n \n')
    await expect(startAccountServer({ store, api: { auth: false, adminTokenFile: empty, adminCertSubjects: [] } })).rejects.toThrow(`the admin token file ${empty} is empty`)
    await expect(startAccountServer({ store, api: { auth: true, adminTokenFile: '', adminCertSubjects: [] } })).rejects.toThrow(/--api-auth requires an admin identity/)
  })
})
