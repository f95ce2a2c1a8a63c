/**
 * What an operator sees of the NATS link, against real nats-server processes: a user of the
 * wrong account is named at connect (log, /readyz, metrics), reconnects back off instead of
 * logging every second, and no password or token of a NATS URL reaches the log.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { redactUrl, urlCredentials } from '../../src/nats/auth.js'
import { backoffDelay, MAX_BACKOFF_MS } from '../../src/nats/link.js'
import { loadFixtureSet, memoryResolverConfig, natsServerOperatorConfig } from '../helpers/fixtures.js'
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js'
import { waitFor } from '../helpers/wait.js'
import { freePort } from '../helpers/ports.js'
import { startAccountServer, type RunningAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'
import { join } from 'node:path'

const set = loadFixtureSet('standard')
const A0 = set.manifest.creds.find((c) => c.account === 'A0')!

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

async function accountServer(nats: Partial<Parameters<typeof startAccountServer>[0]['nats']>): Promise<RunningAccountServer> {
  const server = await startAccountServer({
    operator: set.operatorPath,
    store: { type: 'sqlite', file: join(await tempDir(), 'accounts.db') },
    nats: { servers: [], reconnectWaitMs: 100, ...nats },
  })
  cleanups.push(() => server.stop())
  return server
}

async function natsServer(config: string): Promise<NatsServer> {
  const server = await startNatsServer({ config })
  cleanups.push(() => server.stop())
  return server
}

async function metric(server: RunningAccountServer, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${server.base}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return line === undefined ? undefined : Number(line.split(' ')[1])
}

describe('wrong NATS identity', () => {
  it('names the account of the creds and the system account: ERR log, /readyz 503, metric', async () => {
    const nats = await natsServer(`${natsServerOperatorConfig(set)}${memoryResolverConfig(set)}`)
    const server = await accountServer({ servers: [nats.url], credentials: set.credsPath('A0') })
    const problem = `the NATS user ${A0.user_pubkey} of ${set.credsPath('A0')} belongs to account ${A0.account_pubkey}, not to the system account ${set.systemAccount}`
    await waitFor(async () => (await metric(server, 'nats_accounts_nats_wrong_account')) === 1, { message: 'the wrong-account metric' })
    expect(server.logs()).toContain(`[ERR] ${problem}: update notifications and resolver requests cannot reach nats-server`)
    const ready = await fetch(`${server.base}/readyz`)
    expect(ready.status).toBe(503)
    expect(await ready.text()).toContain(`NATS: ${problem}`)
    expect(await metric(server, 'nats_accounts_nats_connected')).toBe(1)
    const sys = set.manifest.fixtures.find((f) => f.name === 'SYS')!
    const res = await fetch(`${server.base}/jwt/v1/accounts/${sys.pubkey}`, { method: 'POST', body: set.jwt(sys) })
    expect(res.status).toBe(202)
    expect(await res.text()).toBe(`stored, but the update notification was not sent: ${problem}: update notifications and resolver requests cannot reach nats-server; give -creds (nats.creds) the .creds file of a user of the system account, e.g. made by \`nsc generate creds --account SYS\`\n`)
  })

  it('is ready with a user of the system account', async () => {
    const nats = await natsServer(`${natsServerOperatorConfig(set)}${memoryResolverConfig(set)}`)
    const server = await accountServer({ servers: [nats.url], credentials: set.credsPath('SYS') })
    await waitFor(async () => (await metric(server, 'nats_accounts_nats_connected')) === 1, { message: 'the connection' })
    await waitFor(() => server.logs().includes('[DBG] the NATS user is in the system account'), { message: 'the identity check' })
    expect((await fetch(`${server.base}/readyz`)).status).toBe(200)
    expect(await metric(server, 'nats_accounts_nats_wrong_account')).toBe(0)
    expect(server.logs()).not.toContain('[ERR]')
  })
})

describe('reconnect back-off', () => {
  it('doubles the wait up to 30 s, with half of it random', () => {
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, 1000, MAX_BACKOFF_MS, () => 1))).toEqual([1000, 2000, 4000, 8000])
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, 1000, MAX_BACKOFF_MS, () => 0))).toEqual([500, 1000, 2000, 4000])
    expect(backoffDelay(5, 1000, MAX_BACKOFF_MS, () => 1)).toBe(30_000)
    expect(backoffDelay(1000, 1000, MAX_BACKOFF_MS, () => 1)).toBe(30_000)
    expect(backoffDelay(1000, 1000, MAX_BACKOFF_MS, () => 0)).toBe(15_000)
  })

  it('NATS down at start: few attempts and one error line over 3 s, not one pair per attempt', async () => {
    const server = await accountServer({ servers: [`nats://127.0.0.1:${await freePort()}`] })
    const started = Date.now()
    await waitFor(() => Date.now() - started > 3000, { timeoutMs: 5000, intervalMs: 100, message: '3 s of NATS down' })
    // 100 ms doubling: attempts at ~0, 0.1, 0.3, 0.7, 1.5, 3.1 s at most (a fixed wait made 30).
    const attempts = (await metric(server, 'nats_accounts_nats_connect_attempts_total'))!
    expect(attempts).toBeGreaterThanOrEqual(3)
    expect(attempts).toBeLessThanOrEqual(7)
    const natsLines = server.logs().split('\n').filter((l) => /NATS/.test(l) && !/\[DBG\]/.test(l))
    expect(natsLines).toHaveLength(2)
    expect(natsLines[0]).toMatch(/\[INF\] connecting to NATS nats:\/\/127\.0\.0\.1:\d+$/)
    expect(natsLines[1]).toMatch(/\[ERR\] failed to connect to NATS: .*; trying again with back-off \(at most 30 s between attempts\)$/)
  })

  it('NATS gone after connecting: one line for the disconnect, back-off between reconnect attempts', async () => {
    const nats = await natsServer(`${natsServerOperatorConfig(set)}${memoryResolverConfig(set)}`)
    const server = await accountServer({ servers: [nats.url], credentials: set.credsPath('SYS') })
    await waitFor(async () => (await metric(server, 'nats_accounts_nats_connected')) === 1, { message: 'the connection' })
    const before = server.logs().length
    await nats.stop()
    await waitFor(async () => (await metric(server, 'nats_accounts_nats_connected')) === 0, { message: 'the disconnect' })
    const stopped = Date.now()
    await waitFor(() => Date.now() - stopped > 3000, { timeoutMs: 5000, intervalMs: 100, message: '3 s of NATS down' })
    const attempts = (await metric(server, 'nats_accounts_nats_connect_attempts_total'))!
    expect(attempts).toBeGreaterThanOrEqual(1 + 3)
    expect(attempts).toBeLessThanOrEqual(1 + 8)
    const lines = server.logs().slice(before).split('\n').filter((l) => l !== '' && !/\[DBG\]/.test(l))
    expect(lines).toEqual([
      expect.stringMatching(/\[WRN\] disconnected from NATS server 127\.0\.0\.1:\d+; reconnecting with back-off \(at most 30 s between attempts\)$/),
    ])
  })
})

describe('credentials in NATS URLs', () => {
  it.each([
    ['nats://nats-user:s3cr3t-pw@127.0.0.1:4222', 'nats://nats-user:[REDACTED]@127.0.0.1:4222'],
    ['tls://t0k3n-value@host:4443', 'tls://[REDACTED]@host:4443'],
    ['nats-user:s3cr3t-pw@host', 'nats-user:[REDACTED]@host'],
    ['nats://127.0.0.1:4222', 'nats://127.0.0.1:4222'],
  ])('redacts %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected)
  })

  it('gives the client the credentials of the URLs, which it does not read from them itself', () => {
    expect(urlCredentials(['nats://u%40x:p%3Aw:d@a:4222', 'nats://t@b:4222', 'c:4222'])).toEqual({
      servers: ['nats://a:4222', 'nats://b:4222', 'c:4222'],
      auth: { user: 'u@x', pass: 'p:w:d' },
    })
    expect(urlCredentials(['tls://t0k3n@a:4443']).auth).toEqual({ token: 't0k3n' })
    expect(urlCredentials(['nats://a:4222']).auth).toBeNull()
  })

  it('never logs the password of a user:password URL, connected or not', async () => {
    const nats = await natsServer('authorization { user: nats-user, password: s3cr3t-pw }\n')
    const port = await freePort()
    const server = await accountServer({ servers: [`nats://nats-user:s3cr3t-pw@127.0.0.1:${nats.port}`, `nats://t0k3n-value@127.0.0.1:${port}`] })
    await waitFor(async () => (await metric(server, 'nats_accounts_nats_connected')) === 1, { message: `the connection ${server.logs()}` })
    await waitFor(async () => (await metric(server, 'nats_accounts_nats_wrong_account')) === 1, { message: 'the identity check' })
    await nats.stop()
    await waitFor(() => /disconnected from NATS/.test(server.logs()), { message: 'the disconnect' })
    await server.stop()
    const logs = server.logs()
    expect(logs).toContain('nats://nats-user:[REDACTED]@127.0.0.1')
    expect(logs).not.toContain('s3cr3t-pw')
    expect(logs).not.toContain('t0k3n-value')
  })
})
