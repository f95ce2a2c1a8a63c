/**
 * nats-accounts on NATS with real nats-server 2.9 processes: live notifications to a URL
 * resolver, PACK sync with a full resolver, LOOKUPs for a cache resolver, the
 * $SYS.REQ.CLAIMS.* management subjects, start-up with NATS down, forged updates.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node'
import { afterAll, describe, expect, it } from 'vitest'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { loadFixtureSet, natsServerOperatorConfig } from '../helpers/fixtures.js'
import { mintAccount, mintJwt, newKey, signerFromSeed, UNLIMITED } from '../helpers/mint.js'
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js'
import { waitFor } from '../helpers/wait.js'
import { freePort } from '../helpers/ports.js'
import { startAccountServer, type RunningAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'

const set = loadFixtureSet('standard')
const entry = (name: string) => set.manifest.fixtures.find((f) => f.name === name)!
const jwtOf = (name: string) => set.jwt(entry(name)).trim()
const keyOf = (name: string) => entry(name).pubkey!
const seed = async (name: string) => signerFromSeed(await readFile(join(set.dir, 'seeds', `${name}.nk`), 'utf8'))
const SYS_CREDS = set.credsPath('SYS')

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

async function accountServer(nats: string, extra: Parameters<typeof startAccountServer>[0] = {}) {
  const server = await startAccountServer({
    operator: set.operatorPath,
    store: { type: 'sqlite', file: join(await tempDir(), 'accounts.db') },
    ...extra,
    nats: { servers: [nats], credentials: SYS_CREDS, reconnectWaitMs: 100, ...extra.nats },
  })
  cleanups.push(() => server.stop())
  return server
}

async function natsServer(config: string, port?: number): Promise<NatsServer> {
  const server = await startNatsServer({ config: `${natsServerOperatorConfig(set)}${config}`, port })
  cleanups.push(() => server.stop())
  return server
}

async function client(nats: NatsServer, creds = SYS_CREDS): Promise<NatsConnection> {
  const nc = await connect({
    servers: nats.url,
    authenticator: credsAuthenticator(await readFile(creds)),
    reconnect: false,
  })
  cleanups.push(() => nc.close())
  return nc
}

function post(server: RunningAccountServer, pubkey: string, jwt: string) {
  return fetch(`${server.base}/jwt/v1/accounts/${pubkey}`, { method: 'POST', body: jwt })
}

const connected = (server: RunningAccountServer) =>
  waitFor(() => server.logs().includes('connected to NATS for account notifications'), {
    timeoutMs: 10_000,
    message: 'the account server to connect to NATS',
  })

describe('(a) URL resolver: a running nats-server applies a POST at once', () => {
  it('revokes a connected user within 1 s of the POST that re-issues the account', async () => {
    // The account server must be up before nats-server (its start-up probe): it starts with
    // NATS down, pointed at a free port, and connects once nats-server listens there.
    const port = await freePort()
    const server = await accountServer(`nats://127.0.0.1:${port}`)
    for (const name of ['SYS', 'A1']) expect((await post(server, keyOf(name), jwtOf(name))).status).toBe(202)
    const nats = await natsServer(`resolver: URL(${server.base}/jwt/v1/accounts/)\n`, port)
    await connected(server)
    const user = await client(nats, set.credsPath('A1'))
    const closed = user.closed()
    const userKey = readStoredMeta((await readFile(set.credsPath('A1'), 'utf8')).split('\n')[1]!).pubkey
    const revoking = mintAccount(keyOf('A1'), await seed('operator-sk'), {
      name: 'A1',
      nats: { limits: UNLIMITED, revocations: { [userKey]: Math.floor(Date.now() / 1000) } },
    })
    const started = performance.now()
    const res = await post(server, keyOf('A1'), revoking)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('notified 1 nats-server: 1 updated, 0 skipped (account not in use)\n')
    await closed
    expect(performance.now() - started).toBeLessThan(1000)
    const history = (await (await fetch(`${server.base}/jwt/v1/accounts/${keyOf('A1')}/history`)).json()) as { notification: string }[]
    expect(history[0]!.notification).toBe('notified 1 nats-server: 1 updated, 0 skipped (account not in use)')
  })
})

describe('(b) full resolver: both stores converge through PACK', () => {
  it('pulls what the full resolver holds and gives it what it lacks', async () => {
    const dir = await tempDir()
    for (const name of ['SYS', 'A2']) await writeFile(join(dir, `${keyOf(name)}.jwt`), jwtOf(name))
    const port = await freePort()
    const server = await accountServer(`nats://127.0.0.1:${port}`, { nats: { packIntervalMs: 300 } })
    for (const name of ['SYS', 'A1', 'A3']) expect((await post(server, keyOf(name), jwtOf(name))).status).toBe(202)
    await natsServer(`resolver: { type: full, dir: ${JSON.stringify(dir)}, interval: "1s" }\n`, port)
    await connected(server)
    await waitFor(async () => (await fetch(`${server.base}/jwt/v1/accounts/${keyOf('A2')}`)).status === 200, {
      timeoutMs: 10_000,
      message: 'A2 to reach the account server',
    })
    await waitFor(async () => (await readdir(dir)).includes(`${keyOf('A3')}.jwt`), {
      timeoutMs: 15_000,
      message: 'A1 and A3 to reach the full resolver directory',
    })
    expect(await readFile(join(dir, `${keyOf('A1')}.jwt`), 'utf8')).toBe(jwtOf('A1'))
    expect(await (await fetch(`${server.base}/jwt/v1/accounts/${keyOf('A2')}`)).text()).toBe(jwtOf('A2'))
  })
})

describe('(c) cache resolver: resolves through our LOOKUP answers', () => {
  it('lets a user of an account only we hold connect, and caches it', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, `${keyOf('SYS')}.jwt`), jwtOf('SYS'))
    const port = await freePort()
    const server = await accountServer(`nats://127.0.0.1:${port}`)
    expect((await post(server, keyOf('A0'), jwtOf('A0'))).status).toBe(202)
    const nats = await natsServer(`resolver: { type: cache, dir: ${JSON.stringify(dir)} }\n`, port)
    await connected(server)
    const user = await client(nats, set.credsPath('A0'))
    await user.flush()
    expect(await readFile(join(dir, `${keyOf('A0')}.jwt`), 'utf8')).toBe(jwtOf('A0'))
    const stranger = await connect({ servers: nats.url, authenticator: credsAuthenticator(await readFile(set.credsPath('A2'))), reconnect: false }).catch((err: Error) => err)
    expect(stranger).toBeInstanceOf(Error)
  })
})

describe('(d) $SYS.REQ.CLAIMS.* with the nats-server reply envelope', () => {
  it('updates, lists and deletes; refuses unsigned and untrusted deletes', async () => {
    const port = await freePort()
    const server = await accountServer(`nats://127.0.0.1:${port}`)
    expect((await post(server, keyOf('SYS'), jwtOf('SYS'))).status).toBe(202)
    const nats = await natsServer(`resolver: URL(${server.base}/jwt/v1/accounts/)\n`, port)
    await connected(server)
    const nc = await client(nats)
    const ask = async (subject: string, body: string) => JSON.parse((await nc.request(subject, body, { timeout: 2000 })).string())
    const serverInfo = { name: 'nats-accounts', host: expect.any(String), id: expect.stringMatching(/^N[A-Z2-7]{55}$/), ver: expect.any(String), seq: expect.any(Number), jetstream: false, time: expect.stringMatching(/Z$/) }

    expect(await ask('$SYS.REQ.CLAIMS.UPDATE', jwtOf('A3'))).toEqual({
      data: { account: keyOf('A3'), code: 200, message: 'jwt updated' },
      server: serverInfo,
    })
    const refused = await ask('$SYS.REQ.CLAIMS.UPDATE', set.jwt(entry('foreign-operator')))
    expect(refused).toEqual({
      error: { account: keyOf('foreign-operator'), code: 500, description: expect.stringMatching(/^jwt update resulted in error - untrusted issuer in request: issuer O/) },
      server: serverInfo,
    })
    const list = await ask('$SYS.REQ.CLAIMS.LIST', '')
    expect(list).toEqual({ server: serverInfo, data: [keyOf('SYS'), keyOf('A3')].sort() })
    expect(list.server.seq).toBeGreaterThan(refused.server.seq)

    const operator = await seed('operator')
    const foreign = await seed('foreign-operator')
    const now = Math.floor(Date.now() / 1000)
    const deleteRequest = (signer: typeof operator, accounts: string[], sub = signer.publicKey) =>
      mintJwt('generic', sub, signer, { accounts }, { iat: now })
    const failure = (reason: string) => ({ error: { code: 500, description: `delete accounts request by ${operator.publicKey} failed - ${reason}` }, server: serverInfo })
    expect(await ask('$SYS.REQ.CLAIMS.DELETE', deleteRequest(operator, [keyOf('A3')], keyOf('A3')))).toEqual({
      error: { code: 500, description: `delete accounts request by ${keyOf('A3')} failed - not self signed` },
      server: serverInfo,
    })
    expect(await ask('$SYS.REQ.CLAIMS.DELETE', deleteRequest(foreign, [keyOf('A3')]))).toEqual({
      error: { code: 500, description: `delete accounts request by ${foreign.publicKey} failed - not trusted` },
      server: serverInfo,
    })
    expect(await ask('$SYS.REQ.CLAIMS.DELETE', deleteRequest(operator, [keyOf('SYS')]))).toEqual(failure('not allowed to delete system account'))
    expect(await ask('$SYS.REQ.CLAIMS.DELETE', deleteRequest(operator, ['nope']))).toEqual(failure('malformed request'))
    expect(await ask('$SYS.REQ.CLAIMS.DELETE', mintJwt('generic', operator.publicKey, operator, { accounts: [keyOf('A3')] }, { iat: now - 3600 }))).toEqual(
      failure('stale request: issued 3600 s ago, at most 600 s are accepted'),
    )
    expect((await fetch(`${server.base}/jwt/v1/accounts/${keyOf('A3')}`)).status).toBe(200)

    expect(await ask('$SYS.REQ.CLAIMS.DELETE', deleteRequest(operator, [keyOf('A3')]))).toEqual({
      data: { code: 200, message: 'deleted 1 accounts' },
      server: serverInfo,
    })
    expect((await fetch(`${server.base}/jwt/v1/accounts/${keyOf('A3')}`)).status).toBe(404)
    expect((await ask('$SYS.REQ.CLAIMS.LIST', '')).data).toEqual([keyOf('SYS')])
    const lookup = await nc.request(`$SYS.REQ.ACCOUNT.${keyOf('A3')}.CLAIMS.LOOKUP`, '', { timeout: 500 }).catch((e: Error) => e)
    expect(lookup).toBeInstanceOf(Error)
    const pack = await nc.requestMany('$SYS.REQ.CLAIMS.PACK', new Uint8Array(0), { strategy: 'sentinel', maxWait: 2000 })
    const lines: string[] = []
    for await (const msg of pack) lines.push(msg.string())
    expect(lines).toEqual([`${keyOf('SYS')}|${jwtOf('SYS')}`, ''])
    expect((await post(server, keyOf('A3'), jwtOf('A3'))).status).toBe(409)
    const history = (await (await fetch(`${server.base}/jwt/v1/accounts/${keyOf('A3')}/history`)).json()) as { event: string; source_detail: string }[]
    expect(history[0]).toMatchObject({ event: 'deleted', source_detail: expect.stringContaining(`delete request by ${operator.publicKey}`) })
  })
})

describe('(e) NATS down at start: notifications flow once it is up', () => {
  it('answers 202 while NATS is down, sends the notification when it comes up, 200 after', async () => {
    const port = await freePort()
    const server = await accountServer(`nats://127.0.0.1:${port}`)
    expect((await post(server, keyOf('SYS'), jwtOf('SYS'))).status).toBe(202)
    const res = await post(server, keyOf('A1'), jwtOf('A1'))
    expect(res.status).toBe(202)
    expect(await res.text()).toMatch(/^stored, but the update notification was not sent \(NATS is not connected\): it is sent again when NATS is back\n$/)
    await waitFor(() => /failed to connect to NATS/.test(server.logs()), { message: 'a failed connection attempt' })
    const nats = await natsServer(`resolver: URL(${server.base}/jwt/v1/accounts/)\n`, port)
    await connected(server)
    await waitFor(() => server.logs().includes('delayed update notification'), { timeoutMs: 5000, message: 'the delayed notification' })
    const user = await client(nats, set.credsPath('A1'))
    await user.flush()
    const reissued = mintAccount(keyOf('A1'), await seed('operator-sk'), { name: 'A1', nats: { limits: { ...UNLIMITED, conn: 10 } } })
    const again = await post(server, keyOf('A1'), reissued)
    expect(await again.text()).toBe('notified 1 nats-server: 1 updated, 0 skipped (account not in use)\n')
    expect(again.status).toBe(200)
  })
})

describe('(f) forged updates on $SYS.ACCOUNT.*.CLAIMS.UPDATE are not stored', () => {
  it('refuses a foreign operator and a stale iat, with an error reply', async () => {
    const port = await freePort()
    const server = await accountServer(`nats://127.0.0.1:${port}`)
    expect((await post(server, keyOf('R'), jwtOf('R'))).status).toBe(202)
    const nats = await natsServer(`resolver: URL(${server.base}/jwt/v1/accounts/)\n`, port)
    await connected(server)
    const nc = await client(nats)
    // nats-server answers this subject too ("jwt update skipped" for accounts it has not loaded).
    const ours = async (subject: string, jwt: string) => {
      for await (const msg of await nc.requestMany(subject, jwt, { strategy: 'timer', maxWait: 500 })) {
        const reply = JSON.parse(msg.string())
        if (reply.server.name === 'nats-accounts') return reply
      }
      throw new Error(`no reply from nats-accounts on ${subject}`)
    }
    const forged = set.jwt(entry('foreign-operator')).trim()
    const foreignKey = keyOf('foreign-operator')
    const reply = await ours(`$SYS.ACCOUNT.${foreignKey}.CLAIMS.UPDATE`, forged)
    expect(reply.error.description).toMatch(/^jwt update resulted in error - untrusted issuer in request/)
    const stale = await ours(`$SYS.ACCOUNT.${keyOf('R')}.CLAIMS.UPDATE`, set.jwt(entry('R-old')))
    expect(stale.error.description).toMatch(/^jwt update resulted in error - stale JWT in request/)
    nc.publish(`$SYS.ACCOUNT.${foreignKey}.CLAIMS.UPDATE`, forged)
    await nc.flush()
    expect((await fetch(`${server.base}/jwt/v1/accounts/${foreignKey}`)).status).toBe(404)
    expect(await (await fetch(`${server.base}/jwt/v1/accounts/${keyOf('R')}`)).text()).toBe(jwtOf('R'))
    const valid = mintAccount(newKey('account').publicKey, await seed('operator-sk'))
    const accepted = await ours(`$SYS.ACCOUNT.${readStoredMeta(valid).pubkey}.CLAIMS.UPDATE`, valid)
    expect(accepted.data.message).toBe('jwt updated')
    expect((await fetch(`${server.base}/jwt/v1/accounts/${readStoredMeta(valid).pubkey}`)).status).toBe(200)
  })
})
