/**
 * Credential rotation without a restart, against real nats-server 2.9 processes: the creds file
 * is read again at every reconnect, so a user revoked by nats-server is replaced by the one in
 * the new file; SIGHUP reconnects at once when the file changed.
 */
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node'
import { afterAll, describe, expect, it } from 'vitest'
import { startServer } from '../helpers/cli.js'
import { loadFixtureSet, memoryResolverConfig, natsServerOperatorConfig } from '../helpers/fixtures.js'
import { formatCreds, mintAccount, mintUser, newKey, operatorSigningKey, signerFromSeed, UNLIMITED } from '../helpers/mint.js'
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js'
import { freePort } from '../helpers/ports.js'
import { startAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const set = loadFixtureSet('standard')
const entry = (name: string) => set.manifest.fixtures.find((f) => f.name === name)!
const A1 = entry('A1')
const sysAccount = signerFromSeed(await readFile(join(set.dir, 'seeds', 'SYS.nk'), 'utf8'))

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

/** A new user of the system account, as `.creds` text. */
function sysUser(): { publicKey: string; creds: string } {
  const user = newKey('user')
  return { publicKey: user.publicKey, creds: formatCreds(mintUser(user.publicKey, sysAccount), user.seed!) }
}

/** Replaces the file in one step, as a secret manager or `mv` does. */
async function replace(path: string, text: string): Promise<void> {
  await writeFile(`${path}.new`, text, { mode: 0o600 })
  await rename(`${path}.new`, path)
}

async function watcher(nats: NatsServer, subject: string): Promise<string[]> {
  const nc: NatsConnection = await connect({ servers: nats.url, authenticator: credsAuthenticator(await readFile(set.credsPath('SYS'))), reconnect: false })
  cleanups.push(() => nc.close())
  const seen: string[] = []
  nc.subscribe(subject, { callback: (_, msg) => void seen.push(msg.string()) })
  await nc.flush()
  return seen
}

/** The users nats-accounts is connected as, from nats-server's monitoring port. */
async function natsAccountsUsers(monitorPort: number): Promise<(string | undefined)[]> {
  const connz = (await (await fetch(`http://127.0.0.1:${monitorPort}/connz?auth=true`)).json()) as { connections?: { name?: string; authorized_user?: string }[] }
  return (connz.connections ?? []).filter((c) => c.name === 'nats-accounts').map((c) => c.authorized_user)
}

describe('rotation without a restart', () => {
  it('U1 revoked after its file was replaced by U2: reconnects as U2, no GET fails, a POST made meanwhile is notified', async () => {
    const u1 = sysUser()
    const u2 = sysUser()
    const credsPath = join(await tempDir(), 'sys.creds')
    await writeFile(credsPath, u1.creds, { mode: 0o600 })
    const port = await freePort()
    const server = await startAccountServer({
      operator: set.operatorPath,
      store: { type: 'sqlite', file: join(await tempDir(), 'accounts.db') },
      nats: { servers: [`nats://127.0.0.1:${port}`], credentials: credsPath, reconnectWaitMs: 100 },
    })
    cleanups.push(() => server.stop())
    const post = (key: string, jwt: string) => fetch(`${server.base}/jwt/v1/accounts/${key}`, { method: 'POST', body: jwt })
    for (const name of ['SYS', 'A1']) expect((await post(entry(name).pubkey!, set.jwt(entry(name)))).status).toBe(202)
    const nats = await startNatsServer({ port, config: `${natsServerOperatorConfig(set)}resolver: URL(${server.base}/jwt/v1/accounts/)\n` })
    cleanups.push(() => nats.stop())
    await waitFor(() => server.logs().includes('[DBG] the NATS user is in the system account'), { timeoutMs: 15_000, message: 'the first connection' })
    const notified = await watcher(nats, `$SYS.ACCOUNT.${A1.pubkey}.CLAIMS.UPDATE`)

    // GETs all along: none may fail.
    const failures: string[] = []
    let gets = 0
    let polling = true
    const poller = (async () => {
      while (polling) {
        const res = await fetch(`${server.base}/jwt/v1/accounts/${A1.pubkey}`).catch((err: Error) => ({ status: err.message }))
        gets++
        if (res.status !== 200) failures.push(String(res.status))
      }
    })()

    await replace(credsPath, u2.creds)
    const operatorKey = operatorSigningKey(set.dir)
    const revoking = mintAccount(set.systemAccount, operatorKey, { name: 'SYS', nats: { limits: UNLIMITED, revocations: { [u1.publicKey]: Math.floor(Date.now() / 1000) } } })
    expect((await post(set.systemAccount, revoking)).status).toBe(200)
    await waitFor(() => /disconnected from NATS server/.test(server.logs()), { timeoutMs: 10_000, message: 'nats-server to close the revoked connection' })
    const meanwhile = mintAccount(A1.pubkey!, operatorKey, { name: 'A1', nats: { limits: UNLIMITED } })
    const res = await post(A1.pubkey!, meanwhile)
    expect([200, 202]).toContain(res.status)
    await waitFor(() => server.logs().includes(`connecting as the NATS user ${u2.publicKey} of ${credsPath}`), { timeoutMs: 10_000, message: 'the new creds to be read' })
    await waitFor(() => /reconnected to NATS server/.test(server.logs()), { timeoutMs: 15_000, message: `the reconnect as U2:\n${server.logs()}` })
    await waitFor(() => notified.includes(meanwhile), { timeoutMs: 10_000, message: 'the notification of the POST made meanwhile' })
    polling = false
    await poller
    expect(failures).toEqual([])
    expect(gets).toBeGreaterThan(2)
    expect((await fetch(`${server.base}/readyz`)).status).toBe(200)
    expect(server.logs()).not.toContain(/SU[A-Z2-7]{56}/.exec(u2.creds)![0])
  })

  it('SIGHUP re-reads the creds file and reconnects at once when it changed', async () => {
    const u1 = sysUser()
    const u2 = sysUser()
    const credsPath = join(await tempDir(), 'sys.creds')
    await writeFile(credsPath, u1.creds, { mode: 0o600 })
    const monitor = await freePort()
    const nats = await startNatsServer({ config: `${natsServerOperatorConfig(set)}${memoryResolverConfig(set)}http: 127.0.0.1:${monitor}\n` })
    cleanups.push(() => nats.stop())
    const server = await startServer(['--sqlite', join(await tempDir(), 'a.db'), '-nats', nats.url, '-creds', credsPath, '-D'])
    cleanups.push(() => server.stop())
    const connectedAs = () => natsAccountsUsers(monitor)
    await waitFor(async () => (await connectedAs()).includes(u1.publicKey), { timeoutMs: 15_000, message: 'U1 connected' })
    // Unchanged file: SIGHUP does not reconnect.
    server.child.kill('SIGHUP')
    await waitFor(() => server.logs().includes('configuration reloaded'), { timeoutMs: 10_000, message: 'the first reload' })
    expect(server.logs()).not.toContain('NATS credentials changed')
    await replace(credsPath, u2.creds)
    server.child.kill('SIGHUP')
    await waitFor(async () => (await connectedAs()).includes(u2.publicKey), { timeoutMs: 15_000, message: `U2 connected:\n${server.logs()}` })
    expect(await connectedAs()).toEqual([u2.publicKey])
    expect(server.logs()).toContain(`NATS credentials changed: reconnecting as the NATS user ${u2.publicKey} of ${credsPath}`)
    expect(server.child.exitCode).toBeNull()
  })
  it('SIGHUP with another credentials file in the configuration reconnects with it; a bad one changes nothing', async () => {
    const u1 = sysUser()
    const u2 = sysUser()
    const dir = await tempDir()
    const [first, second, conf] = [join(dir, 'u1.creds'), join(dir, 'u2.creds'), join(dir, 'a.conf')]
    await writeFile(first, u1.creds, { mode: 0o600 })
    await writeFile(second, u2.creds, { mode: 0o600 })
    const monitor = await freePort()
    const nats = await startNatsServer({ config: `${natsServerOperatorConfig(set)}${memoryResolverConfig(set)}http: 127.0.0.1:${monitor}\n` })
    cleanups.push(() => nats.stop())
    const settings = (creds: string) => writeFile(conf, `nats { servers: ${JSON.stringify(nats.url)}, creds: ${JSON.stringify(creds)} }\n`)
    await settings(first)
    const server = await startServer(['--sqlite', join(dir, 'a.db'), '-c', conf])
    cleanups.push(() => server.stop())
    const connectedAs = () => natsAccountsUsers(monitor)
    await waitFor(async () => (await connectedAs()).includes(u1.publicKey), { timeoutMs: 15_000, message: 'U1 connected' })
    await settings(join(dir, 'missing.creds'))
    server.child.kill('SIGHUP')
    await waitFor(() => server.logs().includes('reload failed, keeping the running configuration: cannot read NATS credentials file'), { timeoutMs: 10_000, message: 'the refused reload' })
    expect(await connectedAs()).toEqual([u1.publicKey])
    await settings(second)
    server.child.kill('SIGHUP')
    await waitFor(async () => (await connectedAs()).includes(u2.publicKey), { timeoutMs: 15_000, message: `U2 connected:\n${server.logs()}` })
    expect(server.logs()).not.toContain('nats changes take effect only after a restart')
  })
})
