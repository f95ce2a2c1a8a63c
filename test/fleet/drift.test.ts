/**
 * The fleet view with two real nats-server 2.9 processes in a cluster, both on `resolver:
 * URL(...)` pointing at nats-accounts, which talks to NATS through server A only. Server B
 * misses an update because its route to A is down while the update is pushed (B's route is
 * removed by a configuration reload and added back afterwards, as a network partition between
 * the two would do): when the route is back, B still runs the older JWT.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node'
import { afterAll, describe, expect, it } from 'vitest'
import type { FleetView } from '../../src/accounts/ports.js'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { scanFleet } from '../../src/fleet/scan.js'
import { sqliteStore } from '../../src/store/drivers/sqlite.js'
import { loadFixtureSet, natsServerOperatorConfig } from '../helpers/fixtures.js'
import { mintAccount, signerFromSeed } from '../helpers/mint.js'
import { runCli, startServer } from '../helpers/cli.js'
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js'
import { freePort } from '../helpers/ports.js'
import { startAccountServer, type RunningAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const set = loadFixtureSet('standard')
const keyOf = (name: string) => set.manifest.fixtures.find((f) => f.name === name)!.pubkey!
const jwtOf = (name: string) => set.jwt(set.manifest.fixtures.find((f) => f.name === name)!).trim()
const A1 = keyOf('A1')
const SYS_CREDS = set.credsPath('SYS')
const WAIT = { timeoutMs: 30_000, intervalMs: 100 }

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

async function signingKey() {
  return signerFromSeed(await readFile(join(set.dir, 'seeds', 'operator-sk.nk'), 'utf8'))
}

/** A1 re-issued `secondsLater` after now (each version newer than the one before). */
async function a1Version(secondsLater: number): Promise<string> {
  return mintAccount(A1, await signingKey(), { name: 'A1', iat: Math.floor(Date.now() / 1000) + secondsLater })
}

type Setup = { natsPort: number; httpPort: number; db: string }

async function accountServer(setup: Setup, nats: Partial<Parameters<typeof startAccountServer>[0]['nats']> = {}) {
  const server = await startAccountServer({
    operator: set.operatorPath,
    store: { type: 'sqlite', file: setup.db },
    http: { host: '127.0.0.1', port: setup.httpPort, maxBodyBytes: 1024 * 1024, readTimeoutMs: 5000, tls: { cert: '', key: '', ca: '' } },
    nats: { servers: [`nats://127.0.0.1:${setup.natsPort}`], credentials: SYS_CREDS, reconnectWaitMs: 100, ...nats },
  })
  cleanups.push(() => server.stop())
  return server
}

function post(server: RunningAccountServer, pubkey: string, jwt: string) {
  return fetch(`${server.base}/jwt/v1/accounts/${pubkey}`, { method: 'POST', body: jwt })
}

/** Retried: nats-server fetches the account while the client waits, which can outlast the client's patience here. */
async function connectTo(nats: NatsServer, creds: string): Promise<NatsConnection> {
  const authenticator = credsAuthenticator(await readFile(creds))
  const nc = await waitFor(() => connect({ servers: nats.url, authenticator, reconnect: false, timeout: 10_000 }).catch(() => undefined), {
    ...WAIT,
    message: `a user connected to ${nats.url}`,
  })
  cleanups.push(() => nc.close())
  return nc
}

/** Cluster C: A listens for routes, B routes to A (the route can be cut by reloading B without it). */
async function cluster(setup: Setup) {
  const resolver = `resolver: URL(http://127.0.0.1:${setup.httpPort}/jwt/v1/accounts/)\n`
  const routePort = await freePort()
  // nats-server exits when its start-up probe of the resolver URL takes over 1.9 s, which a
  // busy account server on this loaded machine sometimes does: a failed start is tried again.
  const start = (options: Parameters<typeof startNatsServer>[0]) =>
    waitFor(() => startNatsServer(options).catch(() => undefined), { ...WAIT, message: 'nats-server started' })
  const a = await start({
    port: setup.natsPort,
    config: `server_name: A\n${natsServerOperatorConfig(set)}${resolver}cluster { name: C, listen: 127.0.0.1:${routePort} }\n`,
  })
  cleanups.push(() => a.stop())
  const bConfig = (routes: string) =>
    `server_name: B\n${natsServerOperatorConfig(set)}${resolver}cluster { name: C, listen: 127.0.0.1:-1, routes: [${routes}] }\n`
  const b = await start({ config: bConfig(`nats-route://127.0.0.1:${routePort}`) })
  cleanups.push(() => b.stop())
  await a.waitForLog(/Route connection created/, 10_000)
  return {
    a,
    b,
    cutRoute: () => b.reload(bConfig('')),
    restoreRoute: () => b.reload(bConfig(`nats-route://127.0.0.1:${routePort}`)),
  }
}

const jtiOn = (fleet: FleetView, server: string) => fleet.account(A1).find((s) => s.server === server)?.jti

async function gauge(server: RunningAccountServer, name: string): Promise<number> {
  const text = await (await fetch(`${server.base}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return Number(line?.split(' ')[1])
}

async function newSetup(): Promise<Setup> {
  return { natsPort: await freePort(), httpPort: await freePort(), db: join(await tempDir(), 'accounts.db') }
}

describe('fleet and drift with a two-server cluster', () => {
  it('lists the servers; one that missed an update is drifted (view, gauge, log) until the account is notified again; one that shuts down leaves', async () => {
    const setup = await newSetup()
    // No periodic scans: the test asks for each one, so that only the re-check after a
    // notification can clear the drift at the end.
    const server = await accountServer(setup, { fleetIntervalMs: 0 })
    for (const name of ['SYS', 'A1']) expect((await post(server, keyOf(name), jwtOf(name))).status).toBe(202)
    const { a, b, cutRoute, restoreRoute } = await cluster(setup)
    const fleet = server.fleet!
    // Users of A1 on both servers: both load A1 from nats-accounts and hold it.
    await connectTo(a, set.credsPath('A1'))
    await connectTo(b, set.credsPath('A1'))
    const first = readStoredMeta(jwtOf('A1')).jti
    const scanUntil = (seen: () => boolean, message: string) =>
      waitFor(() => seen() || void server.fleet!.scanSoon(), { ...WAIT, message })
    await scanUntil(() => jtiOn(fleet, 'A') === first && jtiOn(fleet, 'B') === first, 'both servers seen running A1')

    const servers = fleet.servers()
    expect(servers.map((s) => [s.name, s.version, s.cluster, s.jetstream])).toEqual([
      ['A', '2.9.10', 'C', false],
      ['B', '2.9.10', 'C', false],
    ])
    expect(servers.every((s) => /^N[A-Z2-7]{55}$/.test(s.id) && Date.now() - s.lastSeen < 60_000)).toBe(true)
    expect(fleet.drifted()).toEqual([])
    expect(await gauge(server, 'nats_accounts_fleet_servers')).toBe(2)
    expect(await gauge(server, 'nats_accounts_fleet_drifted_accounts')).toBe(0)

    await cutRoute()
    await scanUntil(() => fleet.servers().length === 1, 'B out of sight while its route is down')
    const second = await a1Version(1)
    // Stored, and applied by A alone (B is out of reach).
    const pushed = await post(server, A1, second)
    expect(pushed.status).toBe(200)
    expect(await pushed.text()).toMatch(/notified 1 nats-server: 1 updated/)
    await restoreRoute()
    const secondJti = readStoredMeta(second).jti
    await scanUntil(() => fleet.drifted().length === 1, 'B seen drifted')
    expect(fleet.drifted()).toEqual([{ pubkey: A1, servers: ['B'] }])
    expect(fleet.account(A1).map((s) => [s.server, s.jti, s.drifted])).toEqual([
      ['A', secondJti, false],
      ['B', first, true],
    ])
    expect(await gauge(server, 'nats_accounts_fleet_drifted_accounts')).toBe(1)

    // Drift is reported (logged once the scan ends), not touched: a later scan still finds it.
    const scans = server.fleet!.lastScan
    await scanUntil(() => server.fleet!.lastScan !== scans, 'another scan')
    expect(jtiOn(fleet, 'B')).not.toBe(secondJti)
    expect(server.logs()).toMatch(/1 accounts run an older version than stored: \w+ on B; notify them again/)

    await server.fleet!.settled()
    const lastScan = server.fleet!.lastScan
    expect((await fetch(`${server.base}/jwt/v1/accounts/${A1}?notify=true`)).status).toBe(200)
    await waitFor(() => fleet.drifted().length === 0, { ...WAIT, message: 'drift gone after the notification' })
    // No scan ran: the holders of A1 were asked again after its notification.
    expect(server.fleet!.lastScan).toBe(lastScan)
    expect(jtiOn(fleet, 'B')).toBe(secondJti)
    expect(await gauge(server, 'nats_accounts_fleet_drifted_accounts')).toBe(0)

    // A server that shuts down says so ($SYS.SERVER.<id>.SHUTDOWN): it leaves the list at once.
    await b.stop()
    await waitFor(() => fleet.servers().length === 1, { ...WAIT, message: 'B gone after its shutdown event' })
    expect(fleet.servers().map((s) => s.name)).toEqual(['A'])
    expect(server.fleet!.lastScan).toBe(lastScan)
  }, 120_000)

  it('finds drift at start-up when the store changed while nats-accounts was down; --auto-resync fixes it', async () => {
    const setup = await newSetup()
    const first = await accountServer(setup, { fleetIntervalMs: 0 })
    for (const name of ['SYS', 'A1']) expect((await post(first, keyOf(name), jwtOf(name))).status).toBe(202)
    const { a, b } = await cluster(setup)
    await connectTo(a, set.credsPath('A1'))
    await connectTo(b, set.credsPath('A1'))
    const running = readStoredMeta(jwtOf('A1')).jti
    // This server scanned when NATS connected, before the users did: the one-shot scan (what
    // `nats-accounts check` uses) shows both servers running A1 now.
    const nc = await connectTo(a, SYS_CREDS)
    await waitFor(async () => {
      const { view } = await scanFleet(nc, first.service.reader)
      return view.account(A1).every((s) => s.jti === running) && view.servers().length === 2
    }, { ...WAIT, message: 'both servers running A1' })
    await first.stop()

    // While nats-accounts is down, its store gets a newer A1 (e.g. restored from a backup).
    const restored = await a1Version(2)
    const store = await sqliteStore({ file: setup.db })
    await store.put({ ...readStoredMeta(restored), jwt: restored }, { kind: 'import', detail: 'backup' })
    await store.close()

    const reporting = await accountServer(setup, { fleetIntervalMs: 0 })
    await waitFor(() => reporting.fleet!.drifted().length === 1 || undefined, { ...WAIT, message: 'drift found by the start-up scan' })
    expect(reporting.fleet!.drifted()).toEqual([{ pubkey: A1, servers: ['A', 'B'] }])
    expect(reporting.fleet!.account(A1).map((s) => s.jti)).toEqual([running, running])
    await reporting.stop()

    const resyncing = await accountServer(setup, { fleetIntervalMs: 0, autoResync: true })
    const restoredJti = readStoredMeta(restored).jti
    // Nothing was pushed: only the re-notification after the start-up scan can update them.
    await waitFor(() => jtiOn(resyncing.fleet!, 'A') === restoredJti && jtiOn(resyncing.fleet!, 'B') === restoredJti, {
      ...WAIT,
      message: 'both servers re-notified',
    })
    expect(resyncing.fleet!.drifted()).toEqual([])
    expect(resyncing.logs()).toMatch(/a nats-server runs an older version \(fleet scan\)/)
    const direct = await scanFleet(nc, resyncing.service.reader)
    expect(direct.view.account(A1).map((s) => [s.server, s.jti])).toEqual([
      ['A', restoredJti],
      ['B', restoredJti],
    ])
  }, 120_000)

  it('end to end (the built CLI): GET /api/v1/fleet shows the drifted server, and nats-accounts check -nats reports it', async () => {
    const setup = await newSetup()
    const op = ['-operator', set.operatorPath]
    const nats = ['-nats', `nats://127.0.0.1:${setup.natsPort}`, '-creds', SYS_CREDS]
    const server = await startServer(['--sqlite', setup.db, ...op, '-hp', `127.0.0.1:${setup.httpPort}`, ...nats], {
      env: { NATS_ACCOUNTS_FLEET_INTERVAL: '300ms' },
    })
    cleanups.push(() => server.stop())
    for (const name of ['SYS', 'A1']) {
      expect((await fetch(`${server.base}/jwt/v1/accounts/${keyOf(name)}`, { method: 'POST', body: jwtOf(name) })).status).toBe(202)
    }
    const { a, b, cutRoute, restoreRoute } = await cluster(setup)
    await connectTo(a, set.credsPath('A1'))
    await connectTo(b, set.credsPath('A1'))
    type Fleet = { servers: { name: string; version: string; cluster: string }[]; drifted: { account: string; servers: string[] }[] }
    const fleet = async () => (await (await fetch(`${server.base}/api/v1/fleet`)).json()) as Fleet
    await waitFor(async () => (await fleet()).servers.length === 2, { ...WAIT, message: 'two servers in /api/v1/fleet' })

    await cutRoute()
    await waitFor(async () => (await fleet()).servers.length === 1, { ...WAIT, message: 'B out of sight' })
    expect((await fetch(`${server.base}/jwt/v1/accounts/${A1}`, { method: 'POST', body: await a1Version(1) })).status).toBe(200)
    await restoreRoute()
    const seen = await waitFor(async () => {
      const now = await fleet()
      return now.drifted.length > 0 ? now : undefined
    }, { ...WAIT, message: 'drift in /api/v1/fleet' })
    expect(seen.drifted).toEqual([{ account: A1, servers: ['B'] }])
    expect(seen.servers.map((s) => [s.name, s.version, s.cluster])).toEqual([
      ['A', '2.9.10', 'C'],
      ['B', '2.9.10', 'C'],
    ])

    const check = runCli(['check', '--sqlite', setup.db, ...op, ...nats])
    expect(await check.exited).toBe(0)
    expect(check.logs()).toContain('server   A 2.9.10 cluster C\nserver   B 2.9.10 cluster C\n')
    expect(check.logs()).toContain(`drifted  account A1 (${A1}) runs an older version than stored on B: notify it again`)
    expect(check.logs()).toContain('2 nats-servers, 1 drifted account\n')
    const json = runCli(['check', '--json', '--sqlite', setup.db, ...op, ...nats])
    expect(await json.exited).toBe(0)
    expect(JSON.parse(json.stdout()).fleet.drifted).toEqual([{ account: A1, servers: ['B'] }])
  }, 120_000)
})

