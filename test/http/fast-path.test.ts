/**
 * The fast path (raw node:http, before Hono) must answer exactly as the routes do: same status,
 * body and headers, for hits, 304s, misses, bad keys, HEAD, CORS and every POST verdict.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { getRequestListener } from '@hono/node-server'
import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { fastPath } from '../../src/http/fast-path.js'
import { loadOperatorFile } from '../../src/jwt/trust.js'
import { etagOf } from '../../src/accounts/cache.js'
import { AccountService } from '../../src/accounts/service.js'
import { memoryStore } from '../../src/store/drivers/memory.js'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { mintAccount, newKey, operatorSigningKey } from '../helpers/mint.js'
import { startAccountServer, type RunningAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'

const set = loadFixtureSet('standard')
const servers: RunningAccountServer[] = []
const listeners: Server[] = []
afterAll(async () => {
  for (const server of servers) await server.stop()
  for (const listener of listeners) await new Promise((resolve) => listener.close(resolve))
})

/**
 * What a client sees, minus the framing headers the socket adds to either path (in-process
 * responses have none), with max-age blurred (two requests may straddle a second).
 */
async function seen(res: Response) {
  const framing = ['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']
  const headers = Object.fromEntries([...res.headers].filter(([name]) => !framing.includes(name)))
  if (headers['cache-control']) headers['cache-control'] = headers['cache-control'].replace(/max-age=\d+/, 'max-age=N')
  return { status: res.status, body: await res.text(), headers }
}

describe('fast path answers like the routes', () => {
  it('for GET/HEAD hits, 304s, misses, bad keys and CORS, and for POST verdicts', async () => {
    const server = await startAccountServer({
      operator: set.operatorPath,
      store: { type: 'sqlite', file: join(await tempDir(), 'a.db') },
    })
    servers.push(server)
    const signer = operatorSigningKey(set.dir)
    const account = newKey('account').publicKey
    const expiring = mintAccount(account, signer, { exp: Math.floor(Date.now() / 1000) + 3600 })
    const plain = set.accepted[0]!
    const requests: [string, RequestInit][] = [
      [`/jwt/v1/accounts/${account}`, { method: 'POST', body: expiring }],
      [`/jwt/v1/accounts/${account}`, { method: 'POST', body: expiring }],
      [`/jwt/v1/accounts/${plain.pubkey}`, { method: 'POST', body: set.jwt(plain), headers: { Origin: 'https://ui' } }],
      [`/jwt/v1/accounts/${plain.pubkey}`, { method: 'POST', body: 'garbage' }],
      [`/jwt/v1/accounts/${plain.pubkey}`, { method: 'POST', body: set.jwt(set.rejected.find((e) => e.reason === 'expired')!) }],
      [`/jwt/v1/accounts/${account}`, {}],
      [`/jwt/v1/accounts/${account}`, { headers: { Origin: 'https://ui' } }],
      [`/jwt/v1/accounts/${account}`, { method: 'HEAD' }],
      [`/jwt/v1/accounts/${account}`, { headers: { 'If-None-Match': etagOf(Buffer.from(expiring)) } }],
      [`/jwt/v1/accounts/${plain.pubkey}`, {}],
      [`/jwt/v1/accounts/${newKey('account').publicKey}`, {}],
      [`/jwt/v1/accounts/${newKey('account').publicKey}`, { method: 'HEAD' }],
      [`/jwt/v1/accounts/${newKey('user').publicKey}`, {}],
      [`/jwt/v1/accounts/${'A'.repeat(55)}B`, { headers: { Origin: 'https://ui' } }],
    ]
    for (const [path, init] of requests) {
      const viaSocket = await seen(await fetch(`${server.base}${path}`, init))
      const viaRoutes = await seen(await server.app.request(path, init))
      expect(viaSocket, `${init.method ?? 'GET'} ${path}`).toEqual(viaRoutes)
    }
  })
})

describe('fast path answers like the routes, failures included', () => {
  it('for 413 (declared and chunked bodies) and 500 (GET, HEAD, POST)', async () => {
    const broken = newKey('account').publicKey
    const store = memoryStore()
    // Not a StoreError: what the server did not foresee.
    const fire = () => Promise.reject(new Error('disk on fire'))
    const failing: typeof store = {
      ...store,
      get: (key) => (key === broken ? fire() : store.get(key)),
      put: (account, ...rest) => (account.pubkey === broken ? fire() : store.put(account, ...rest)),
    }
    const service = new AccountService({ store: failing, trust: await loadOperatorFile(set.operatorPath) })
    const signer = operatorSigningKey(set.dir)
    const logger = pino({ level: 'silent' })
    const maxBodyBytes = 4096
    const app = buildApp({ service, logger, maxBodyBytes })
    const fast = fastPath({ service, logger, maxBodyBytes })
    const routed = getRequestListener(app.fetch)
    let fastAnswered = 0
    const listener = createServer((req, res) => {
      if (fast(req, res)) fastAnswered++
      else void routed(req, res)
    })
    listeners.push(listener)
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
    const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`
    const large = 'x'.repeat(maxBodyBytes + 1)
    const chunked = () =>
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(large))
          controller.close()
        },
      })
    const requests: [string, () => RequestInit][] = [
      [`/jwt/v1/accounts/${newKey('account').publicKey}`, () => ({ method: 'POST', body: large })],
      [`/jwt/v1/accounts/${newKey('account').publicKey}`, () => ({ method: 'POST', body: chunked(), duplex: 'half' }) as RequestInit],
      [`/jwt/v1/accounts/${broken}`, () => ({})],
      [`/jwt/v1/accounts/${broken}`, () => ({ method: 'HEAD', headers: { Origin: 'https://ui' } })],
      [`/jwt/v1/accounts/${broken}`, () => ({ method: 'POST', body: 'garbage' })],
      [`/jwt/v1/accounts/${broken}`, () => ({ method: 'POST', body: mintAccount(broken, signer) })],
    ]
    const statuses: number[] = []
    for (const [path, init] of requests) {
      const viaSocket = await seen(await fetch(`${base}${path}`, init()))
      const viaRoutes = await seen(await app.request(path, init()))
      expect(viaSocket, `${init().method ?? 'GET'} ${path}`).toEqual(viaRoutes)
      statuses.push(viaSocket.status)
    }
    expect(statuses).toEqual([413, 413, 500, 500, 400, 500])
    expect(fastAnswered).toBe(requests.length)
  })
})
