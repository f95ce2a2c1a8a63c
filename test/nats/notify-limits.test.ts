/**
 * Anonymous amplification (issue 11, item 7), performed against a running server with a real
 * nats-server: `GET …?notify=true` floods, and forged STATSZ events from a system user.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node'
import { afterAll, describe, expect, it } from 'vitest'
import { PerKeyRateLimit } from '../../src/accounts/rate-limit.js'
import { loadFixtureSet, natsServerOperatorConfig } from '../helpers/fixtures.js'
import { startNatsServer } from '../helpers/nats-server.js'
import { waitFor } from '../helpers/wait.js'
import { freePort } from '../helpers/ports.js'
import { startAccountServer, type RunningAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'

const set = loadFixtureSet('standard')
const entry = (name: string) => set.manifest.fixtures.find((f) => f.name === name)!
const SYS_CREDS = set.credsPath('SYS')

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

/** An account server and a nats-server whose URL resolver it is, both connected. */
async function system(): Promise<{ server: RunningAccountServer; nc: NatsConnection }> {
  const port = await freePort()
  const server = await startAccountServer({
    operator: set.operatorPath,
    store: { type: 'sqlite', file: join(await tempDir(), 'accounts.db') },
    nats: { servers: [`nats://127.0.0.1:${port}`], credentials: SYS_CREDS, reconnectWaitMs: 50 },
  })
  cleanups.push(() => server.stop())
  for (const name of ['SYS', 'A1']) {
    await fetch(`${server.base}/jwt/v1/accounts/${entry(name).pubkey}`, { method: 'POST', body: set.jwt(entry(name)) })
  }
  const nats = await startNatsServer({ config: `${natsServerOperatorConfig(set)}resolver: URL(${server.base}/jwt/v1/accounts/)\n`, port })
  cleanups.push(() => nats.stop())
  await waitFor(() => server.logs().includes('nats-servers known for update notifications'), { timeoutMs: 10_000, message: 'the census' })
  const nc = await connect({ servers: nats.url, authenticator: credsAuthenticator(await readFile(SYS_CREDS)), reconnect: false })
  cleanups.push(() => nc.close())
  return { server, nc }
}

async function metric(server: RunningAccountServer, line: string): Promise<number> {
  const text = await (await fetch(`${server.base}/metrics`)).text()
  const found = text.split('\n').find((l) => l.startsWith(`${line} `))
  return found === undefined ? 0 : Number(found.split(' ')[1])
}

describe('per-key rate limit', () => {
  it('allows one event per key per interval, and forgets the oldest key past its bound', () => {
    let now = 0
    const limit = new PerKeyRateLimit(1000, { maxKeys: 2, now: () => now })
    expect([limit.allow('a'), limit.allow('a'), limit.allow('b')]).toEqual([true, false, true])
    now = 999
    expect(limit.allow('a')).toBe(false)
    now = 1000
    expect(limit.allow('a')).toBe(true)
    expect(limit.allow('c')).toBe(true)
    // 'b' was forgotten to make room for 'c'; 'a' and 'c' are still limited.
    expect([limit.allow('a'), limit.allow('c'), limit.allow('b')]).toEqual([false, false, true])
  })
})

describe('anonymous ?notify=true', () => {
  it('sends at most one notification per account per second for 200 GETs, all answered 200 with the JWT', async () => {
    const { server, nc } = await system()
    const a1 = entry('A1').pubkey!
    let requests = 0
    let legacy = 0
    nc.subscribe(`$SYS.REQ.ACCOUNT.${a1}.CLAIMS.UPDATE`, { callback: () => void requests++ })
    nc.subscribe(`$SYS.ACCOUNT.${a1}.CLAIMS.UPDATE`, { callback: () => void legacy++ })
    await nc.flush()
    const started = performance.now()
    for (let batch = 0; batch < 10; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => fetch(`${server.base}/jwt/v1/accounts/${a1}?notify=true`).then(async (r) => [r.status, await r.text()])),
      )
      for (const answer of answers) expect(answer).toEqual([200, set.jwt(entry('A1')).trim()])
    }
    const seconds = (performance.now() - started) / 1000
    await nc.flush()
    const bound = Math.ceil(seconds) + 1
    expect(requests).toBeGreaterThanOrEqual(1)
    expect(requests).toBeLessThanOrEqual(bound)
    expect(legacy).toBe(requests)
    expect(await metric(server, 'nats_accounts_renotify_skipped_total')).toBe(200 - requests)
  })
})

describe('forged STATSZ events', () => {
  it('do not make the notifier wait for servers that do not exist', async () => {
    const { server, nc } = await system()
    for (let i = 0; i < 50; i++) {
      const id = `NGHOST${String(i).padStart(50, 'A')}`
      nc.publish(`$SYS.SERVER.${id}.STATSZ`, JSON.stringify({ server: { name: `ghost-${i}`, id } }))
    }
    await nc.flush()
    const before = await metric(server, 'nats_accounts_notification_gatherings_total{end="complete"}')
    const res = await fetch(`${server.base}/jwt/v1/accounts/${entry('A1').pubkey}?notify=true`)
    expect(res.status).toBe(200)
    await waitFor(async () => (await metric(server, 'nats_accounts_notification_gatherings_total{end="complete"}')) === before + 1, {
      message: 'a gathering that ended when the one real nats-server had answered',
    })
    expect(await metric(server, 'nats_accounts_notification_gatherings_total{end="waited"}')).toBe(0)
  })
})
