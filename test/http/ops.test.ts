/** Probes and metrics, scraped over a real socket from an in-process server. */
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openStore } from '../../src/store/index.js'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { freePort } from '../helpers/ports.js'
import { startAccountServer, type RunningAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'

const set = loadFixtureSet('standard')
const servers: RunningAccountServer[] = []
afterAll(async () => {
  for (const server of servers) await server.stop()
})

async function start(nats?: { servers: string[]; required: boolean }) {
  const server = await startAccountServer({
    operator: set.operatorPath,
    store: { type: 'sqlite', file: join(await tempDir(), 'a.db') },
    ...(nats ? { nats } : {}),
  })
  servers.push(server)
  return server
}

function metric(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(name))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}

describe('/metrics', () => {
  it('counts requests by route and status, latencies, pushes, store operations and accounts', async () => {
    const server = await start()
    const entry = set.accepted[0]!
    await fetch(`${server.base}/jwt/v1/accounts/${entry.pubkey}`, { method: 'POST', body: set.jwt(entry) })
    await fetch(`${server.base}/jwt/v1/accounts/${entry.pubkey}`, { method: 'POST', body: 'garbage' })
    for (let i = 0; i < 3; i++) await fetch(`${server.base}/jwt/v1/accounts/${entry.pubkey}`)
    await fetch(`${server.base}/nope`)
    const res = await fetch(`${server.base}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = await res.text()
    expect(metric(text, 'nats_accounts_http_requests_total{route="/jwt/v1/accounts/:pubkey",method="GET",status="200"}')).toBe(3)
    expect(metric(text, 'nats_accounts_http_requests_total{route="/jwt/v1/accounts/:pubkey",method="POST",status="200"}')).toBe(1)
    expect(metric(text, 'nats_accounts_http_requests_total{route="/jwt/v1/accounts/:pubkey",method="POST",status="400"}')).toBe(1)
    expect(metric(text, 'nats_accounts_http_requests_total{route="unmatched",method="GET",status="404"}')).toBe(1)
    expect(metric(text, 'nats_accounts_http_request_duration_seconds_count{route="/jwt/v1/accounts/:pubkey",method="GET"}')).toBe(3)
    expect(metric(text, 'nats_accounts_jwt_pushes_total{verdict="stored"}')).toBe(1)
    expect(metric(text, 'nats_accounts_jwt_pushes_total{verdict="rejected"}')).toBe(1)
    expect(metric(text, 'nats_accounts_store_operations_total{operation="put",result="ok"}')).toBe(1)
    expect(metric(text, 'nats_accounts_accounts_stored')).toBe(1)
    expect(metric(text, 'nats_accounts_process_resident_memory_bytes')).toBeGreaterThan(0)
    expect(text).not.toContain('nats_accounts_nats_connected')
  })

  it('reports the NATS connection state when NATS is configured', async () => {
    const server = await start({ servers: [`nats://127.0.0.1:${await freePort()}`], required: false })
    expect(metric(await (await fetch(`${server.base}/metrics`)).text(), 'nats_accounts_nats_connected')).toBe(0)
  })
})

describe('probes', () => {
  it('/healthz and /readyz answer 200 when the store answers', async () => {
    const server = await start()
    expect((await fetch(`${server.base}/healthz`)).status).toBe(200)
    const ready = await fetch(`${server.base}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.text()).toBe('ready\n')
  })

  it('/readyz is 503 while a required NATS is down; /healthz stays 200', async () => {
    const server = await start({ servers: [`nats://127.0.0.1:${await freePort()}`], required: true })
    const ready = await fetch(`${server.base}/readyz`)
    expect(ready.status).toBe(503)
    expect(await ready.text()).toBe('not ready: NATS: not connected\n')
    expect((await fetch(`${server.base}/healthz`)).status).toBe(200)
  })

  it('/readyz is 503 when the store fails', async () => {
    const store = await openStore({ type: 'sqlite', file: join(await tempDir(), 'a.db') })
    const server = await startAccountServer({ operator: set.operatorPath }, store)
    servers.push(server)
    await store.close()
    const ready = await fetch(`${server.base}/readyz`)
    expect(ready.status).toBe(503)
    expect(await ready.text()).toMatch(/^not ready: store: /)
  })
})
