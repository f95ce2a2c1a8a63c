/**
 * Issue 11 items 11, 12 and 15, against a running server: hostile paths that redirect, CORS
 * grants, what `/history` shows anonymous readers, and `/metrics` on a listener of its own.
 */
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { defaultConfig } from '../../src/config/types.js'
import { startServer } from '../helpers/cli.js'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { mintAccount, newKey, operatorSigningKey } from '../helpers/mint.js'
import { freePort } from '../helpers/ports.js'
import { startAccountServer, type RunningAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'

const set = loadFixtureSet('standard')
const servers: RunningAccountServer[] = []
afterAll(async () => {
  for (const server of servers) await server.stop()
})

async function start(metricsListen = ''): Promise<RunningAccountServer> {
  const server = await startAccountServer({
    operator: set.operatorPath,
    store: { type: 'sqlite', file: join(await tempDir(), 'a.db') },
    metrics: { listen: metricsListen },
  })
  servers.push(server)
  return server
}

const noFollow = { redirect: 'manual' } as const

describe('paths that redirect', () => {
  it.each(['a%0Ab/', 'a%0Db/', 'a%00b/', 'a%7Fb/', 'a%1Bb/'])(
    'answers 400 to GET and POST of /jwt/v1/accounts/%s, without a stack trace in the log',
    async (tail) => {
      const server = await start()
      for (const method of ['GET', 'POST']) {
        const res = await fetch(`${server.base}/jwt/v1/accounts/${tail}`, { ...noFollow, method, body: method === 'POST' ? 'x' : undefined })
        expect(res.status).toBe(400)
        expect(await res.text()).toBe('bad request: the path contains control characters\n')
        expect(res.headers.get('Location')).toBeNull()
      }
      expect(server.logs()).not.toMatch(/\n\s+at |\\n\s+at |unexpected error|ERR_INVALID_CHAR/)
    },
  )

  it('redirects a non-Latin-1 path to its escaped form, as Go did', async () => {
    const server = await start()
    const res = await fetch(`${server.base}/JWT/v1/accounts/a%C4%80%C3%A9`, noFollow)
    expect(res.status).toBe(301)
    expect(res.headers.get('Location')).toBe('/jwt/v1/accounts/a%C4%80%C3%A9')
  })

  it('never echoes markup from the path into the redirect body', async () => {
    const server = await start()
    const res = await fetch(`${server.base}/jwt/v1/accounts/%3Cscript%3Ealert('x')%3C%5Cscript%3E%22/?q=%3Cb%3E`, noFollow)
    expect(res.status).toBe(301)
    const target = "/jwt/v1/accounts/%3Cscript%3Ealert%28%27x%27%29%3C%5Cscript%3E%22"
    expect(res.headers.get('Location')).toBe(`${target}?q=%3Cb%3E`)
    expect(await res.text()).toBe(`<a href="${target}">Moved Permanently</a>.\n\n`)
  })
})

describe('CORS only on the account route', () => {
  it('grants GET and POST of an account to any origin, without credentials, and nothing else', async () => {
    const server = await start()
    const origin = { Origin: 'https://evil.example' }
    const account = set.accepted[0]!
    const posted = await fetch(`${server.base}/jwt/v1/accounts/${account.pubkey}`, { method: 'POST', body: set.jwt(account), headers: origin })
    expect(posted.status).toBe(200)
    expect(posted.headers.get('Access-Control-Allow-Origin')).toBe('https://evil.example')
    for (const path of [`/jwt/v1/accounts/${account.pubkey}`, `/jwt/v1/accounts/${account.pubkey}?text=true`]) {
      const res = await fetch(`${server.base}${path}`, { headers: origin })
      expect(res.headers.get('Access-Control-Allow-Origin'), path).toBe('https://evil.example')
      expect(res.headers.get('Access-Control-Allow-Credentials'), path).toBeNull()
    }
    for (const path of ['/jwt/v1/pack', '/metrics', `/jwt/v1/accounts/${account.pubkey}/history`, '/jwt/v1/operator', '/healthz']) {
      const res = await fetch(`${server.base}${path}`, { headers: origin })
      expect(res.status, path).toBe(200)
      expect(res.headers.get('Access-Control-Allow-Origin'), path).toBeNull()
      const preflight = await fetch(`${server.base}${path}`, {
        method: 'OPTIONS',
        headers: { ...origin, 'Access-Control-Request-Method': 'GET' },
      })
      expect(preflight.headers.get('Access-Control-Allow-Origin'), `preflight ${path}`).toBeNull()
    }
  })
})

describe('history for anonymous readers', () => {
  it('shows no client address for HTTP pushes; the log keeps it', async () => {
    const server = await start()
    const signer = operatorSigningKey(set.dir)
    const account = newKey('account').publicKey
    const res = await fetch(`${server.base}/jwt/v1/accounts/${account}`, { method: 'POST', body: mintAccount(account, signer) })
    expect(res.status).toBe(200)
    const history = (await (await fetch(`${server.base}/jwt/v1/accounts/${account}/history`)).json()) as Record<string, unknown>[]
    expect(history).toHaveLength(1)
    expect(history[0]).toMatchObject({ source: 'http', source_detail: '' })
    expect(JSON.stringify(history)).not.toContain('127.0.0.1')
    expect(server.logs()).toContain('127.0.0.1')
  })
})

describe('/metrics on a listener of its own', () => {
  it('serves /metrics there only; the main port answers 404', async () => {
    const port = await freePort()
    const server = await start(`127.0.0.1:${port}`)
    const main = await fetch(`${server.base}/metrics`)
    expect(main.status).toBe(404)
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`)
    expect(metrics.status).toBe(200)
    expect(await metrics.text()).toContain('# TYPE')
    expect((await fetch(`http://127.0.0.1:${port}/jwt/v1/pack`)).status).toBe(404)
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(404)
  })

  it.each([
    ['--metrics-hp', (address: string) => ({ args: ['--metrics-hp', address], env: {} })],
    ['NATS_ACCOUNTS_METRICS_LISTEN', (address: string) => ({ args: [], env: { NATS_ACCOUNTS_METRICS_LISTEN: address } })],
  ])('takes the address from %s', async (_, how) => {
    const port = await freePort()
    const { args, env } = how(`127.0.0.1:${port}`)
    const server = await startServer(['--sqlite', join(await tempDir(), 'a.db'), ...args], { env })
    try {
      expect((await fetch(`${server.base}/metrics`)).status).toBe(404)
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200)
    } finally {
      await server.stop()
    }
  })

  it('refuses a bad address at start-up', async () => {
    await expect(
      startAccountServer({
        http: { ...defaultConfig().http },
        store: { type: 'sqlite', file: join(await tempDir(), 'a.db') },
        metrics: { listen: 'nope' },
      }),
    ).rejects.toThrow('error parsing hostport: address nope: missing port in address')
  })
})
