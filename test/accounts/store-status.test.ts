/**
 * What a server does with the status of a store that lives elsewhere (a KV bucket): `/readyz`,
 * the stale-answer header and the log, here over real HTTP with the memory store given a
 * status the test sets. The real KV bucket and cluster are in test/e2e/kv-failures.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { STALE_WARNING } from '../../src/http/account-response.js'
import { memoryStore } from '../../src/store/drivers/memory.js'
import type { StoreStatus } from '../../src/store/types.js'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { startAccountServer, type RunningAccountServer } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'

const set = loadFixtureSet('standard')
const entry = set.accepted[0]!
const servers: RunningAccountServer[] = []
afterAll(async () => {
  for (const server of servers) await server.stop()
})

const READY: StoreStatus = { connected: true, caughtUp: true, writable: true, reason: '' }

async function start() {
  let status = READY
  const store = Object.assign(memoryStore(), { status: () => status })
  const server = await startAccountServer({ operator: set.operatorPath }, store)
  servers.push(server)
  const url = `${server.base}/jwt/v1/accounts/${entry.pubkey}`
  expect((await fetch(url, { method: 'POST', body: set.jwt(entry) })).status).toBe(200)
  return { server, url, set: (next: StoreStatus) => (status = next) }
}

describe('a store with a status', () => {
  it('/readyz is 503 with the reason while the store cannot write, 200 again once it can', async () => {
    const { server, set: setStatus } = await start()
    expect((await fetch(`${server.base}/readyz`)).status).toBe(200)
    setStatus({ connected: false, caughtUp: false, writable: false, reason: 'no connection to the KV servers' })
    const ready = await fetch(`${server.base}/readyz`)
    expect(ready.status).toBe(503)
    expect(await ready.text()).toBe('not ready: store: no connection to the KV servers\n')
    expect((await fetch(`${server.base}/healthz`)).status).toBe(200)
    setStatus({ connected: true, caughtUp: false, writable: true, reason: 'loading the bucket' })
    expect((await fetch(`${server.base}/readyz`)).status).toBe(503)
    setStatus(READY)
    expect((await fetch(`${server.base}/readyz`)).status).toBe(200)
  })

  it('serves what it holds with a stale Warning while out of reach or catching up, without it otherwise', async () => {
    const { url, set: setStatus } = await start()
    const fresh = await fetch(url)
    expect(fresh.headers.get('warning')).toBeNull()
    const etag = fresh.headers.get('etag')!
    setStatus({ connected: false, caughtUp: false, writable: false, reason: 'no connection' })
    for (const init of [{}, { method: 'HEAD' }, { headers: { 'If-None-Match': etag } }]) {
      const res = await fetch(url, init)
      expect([200, 304]).toContain(res.status)
      expect(res.headers.get('warning')).toBe(STALE_WARNING)
    }
    expect(await (await fetch(url)).text()).toBe(set.jwt(entry))
    // The framework route (a query string) marks it too.
    expect((await fetch(`${url}?x=1`)).headers.get('warning')).toBe(STALE_WARNING)
    setStatus({ connected: true, caughtUp: false, writable: true, reason: 'catching up' })
    expect((await fetch(url)).headers.get('warning')).toBe(STALE_WARNING)
    // Connected and caught up: current, even if a write could not be made now.
    setStatus({ connected: true, caughtUp: true, writable: false, reason: 'no stream leader' })
    expect((await fetch(url)).headers.get('warning')).toBeNull()
  })

  it('logs once when the store stops being ready and once when it is ready again', async () => {
    const { server, set: setStatus } = await start()
    setStatus({ connected: false, caughtUp: false, writable: false, reason: 'no connection to the KV servers' })
    await waitFor(() => server.logs().includes('store is not ready: no connection to the KV servers'), { timeoutMs: 10_000, message: 'the not-ready line' })
    expect(server.logs()).toContain('POSTs answer 503')
    setStatus(READY)
    await waitFor(() => server.logs().includes('store is ready again'), { timeoutMs: 10_000, message: 'the ready-again line' })
    expect(server.logs().match(/store is not ready/g)).toHaveLength(1)
  })

  it('local stores have no status: no Warning, /readyz from a store read', async () => {
    const server = await startAccountServer({ operator: set.operatorPath }, memoryStore())
    servers.push(server)
    const url = `${server.base}/jwt/v1/accounts/${entry.pubkey}`
    await fetch(url, { method: 'POST', body: set.jwt(entry) })
    expect((await fetch(url)).headers.get('warning')).toBeNull()
    expect((await fetch(`${server.base}/readyz`)).status).toBe(200)
  })
})
