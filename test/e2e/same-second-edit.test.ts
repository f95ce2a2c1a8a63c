/**
 * `nsc add account A; nsc edit account A --conns 5; nsc push -a A` within one second, end to
 * end with the built CLI: imported, and pushed to a server whose nats-server (2.9, resolver
 * URL(...)) must enforce the edited connection limit once the notification arrives.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, credsAuthenticator } from '@nats-io/transport-node'
import { afterAll, describe, expect, it } from 'vitest'
import { SAME_JTI_WARNING } from '../../src/accounts/local-writer.js'
import { runCli, startServer } from '../helpers/cli.js'
import { loadFixtureSet, natsServerOperatorConfig } from '../helpers/fixtures.js'
import { formatCreds, mintUser, newKey, operatorSigningKey } from '../helpers/mint.js'
import { startNatsServer } from '../helpers/nats-server.js'
import { waitFor } from '../helpers/wait.js'
import { sameSecondEdit } from '../helpers/nsc.js'
import { freePort } from '../helpers/ports.js'
import { tempDir } from '../helpers/tmp.js'

const set = loadFixtureSet('standard')
const signer = operatorSigningKey(set.dir)
const op = ['-operator', set.operatorPath]

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

async function run(args: string[]) {
  const proc = runCli(args)
  const code = await proc.exited
  return { code, out: proc.logs() }
}

describe('a same-second edit, end to end', () => {
  it.each([
    ['sqlite', (dir: string) => ['--sqlite', join(dir, 'a.db')]],
    ['directory', (dir: string) => ['-dir', join(dir, 'jwt')]],
  ])('is imported over the first version (%s store)', async (_, storeArgs) => {
    const dir = await tempDir()
    const account = newKey('account').publicKey
    const { added, edited } = sameSecondEdit(account, signer)
    for (const [name, jwt] of [['added', added], ['edited', edited]] as const) await writeFile(join(dir, `${name}.jwt`), jwt)
    const store = storeArgs(dir)
    const first = await run(['import', join(dir, 'added.jwt'), ...store, ...op])
    expect(first.out).toContain('1 stored, 0 unchanged')
    const dryRun = await run(['import', join(dir, 'edited.jwt'), '--dry-run', ...store, ...op])
    expect(dryRun.out).toContain('dry run, nothing written: 1 stored, 0 unchanged')
    const second = await run(['import', join(dir, 'edited.jwt'), ...store, ...op])
    expect(second.code).toBe(0)
    expect(second.out).toContain('1 stored, 0 unchanged')
    expect((await run(['import', join(dir, 'edited.jwt'), ...store, ...op])).out).toContain('0 stored, 1 unchanged')
    const server = await startServer([...store, ...op])
    cleanups.push(() => server.stop())
    expect(await (await fetch(`${server.base}/jwt/v1/accounts/${account}`)).text()).toBe(edited)
  })

  it('is served by every worker once its POST is answered (--workers 2)', async () => {
    const server = await startServer(['--sqlite', join(await tempDir(), 'a.db'), ...op, '--workers', '2'])
    cleanups.push(() => server.stop())
    await waitFor(() => server.logs().includes('all 2 workers are serving'), { message: 'both workers serving' })
    const account = newKey('account').publicKey
    const { added, edited } = sameSecondEdit(account, signer)
    const url = `${server.base}/jwt/v1/accounts/${account}`
    // A new connection per request, so the cluster hands each to any worker.
    const get = () => fetch(url, { headers: { Connection: 'close' } })
    expect((await fetch(url, { method: 'POST', body: added, headers: { Connection: 'close' } })).status).toBe(200)
    const before = await Promise.all(Array.from({ length: 10 }, get))
    for (const res of before) expect(await res.text()).toBe(added)
    const res = await fetch(url, { method: 'POST', body: edited, headers: { Connection: 'close' } })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(`${SAME_JTI_WARNING}\n`)
    const oldTag = before[0]!.headers.get('ETag')!
    for (const after of await Promise.all(Array.from({ length: 10 }, () => fetch(url, { headers: { Connection: 'close', 'If-None-Match': oldTag } })))) {
      expect(after.status).toBe(200)
      expect(await after.text()).toBe(edited)
    }
  })

  it('reaches a nats-server with resolver: URL(...): the edited connection limit applies', async () => {
    const port = await freePort()
    const server = await startServer([
      '--sqlite', join(await tempDir(), 'a.db'), ...op,
      '-nats', `nats://127.0.0.1:${port}`, '-creds', set.credsPath('SYS'),
    ])
    cleanups.push(() => server.stop())
    const push = (key: string, jwt: string) => fetch(`${server.base}/jwt/v1/accounts/${key}`, { method: 'POST', body: jwt })
    expect((await push(set.systemAccount, set.sysJwt.trim())).status).toBe(202)
    const account = newKey('account')
    const { added, edited } = sameSecondEdit(account.publicKey, signer)
    expect((await push(account.publicKey, added)).status).toBe(202)
    const nats = await startNatsServer({ config: `${natsServerOperatorConfig(set)}resolver: URL(${server.resolverUrl})\n`, port })
    cleanups.push(() => nats.stop())
    await waitFor(() => server.logs().includes('connected to NATS for account notifications'), { timeoutMs: 10_000 })

    const user = () => {
      const key = newKey('user')
      const creds = formatCreds(mintUser(key.publicKey, account), key.seed!)
      return connect({ servers: nats.url, authenticator: credsAuthenticator(new TextEncoder().encode(creds)), reconnect: false })
    }
    // One user loads the account (conn -1), so the notification updates it in place.
    const first = await user()
    cleanups.push(() => first.close())
    const sys = await connect({ servers: nats.url, authenticator: credsAuthenticator(await readFile(set.credsPath('SYS'))) })
    cleanups.push(() => sys.close())
    const applied = async () => {
      const reply = await sys.request('$SYS.REQ.SERVER.PING.ACCOUNTZ', JSON.stringify({ account: account.publicKey }), { timeout: 2000 })
      return JSON.parse(reply.string()).data.account_detail.jwt as string
    }
    expect(await applied()).toBe(added)

    const res = await push(account.publicKey, edited)
    expect(res.status).toBe(200)
    const [summary, warning, end] = (await res.text()).split('\n')
    expect(summary).toMatch(/^notified 1 nats-server: /)
    expect([warning, end]).toEqual([SAME_JTI_WARNING, ''])
    await waitFor(async () => (await applied()) === edited, { message: 'nats-server to apply the edit' })
    const more = await Promise.all(Array.from({ length: 4 }, user))
    cleanups.push(() => Promise.all(more.map((nc) => nc.close())))
    // nats-server sends the -ERR and closes at once: the client may see a reset or EPIPE first.
    await expect(user()).rejects.toThrow()
  })
})
