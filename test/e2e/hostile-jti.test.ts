/**
 * Attack: operator-signed account JWTs whose `jti` holds a control or non-Latin-1 character
 * (nats-io/jwt and nats-server accept them). The ETag used to be built from the `jti`, so the
 * first GET threw ERR_INVALID_CHAR and killed the process, again after every restart. Pushed
 * over HTTP, `$SYS.REQ.CLAIMS.UPDATE` and a full resolver's PACK, against the built CLI.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, credsAuthenticator } from '@nats-io/transport-node'
import { afterAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../helpers/cli.js'
import { loadFixtureSet, natsServerOperatorConfig } from '../helpers/fixtures.js'
import { mintAccount, newKey, operatorSigningKey } from '../helpers/mint.js'
import { startNatsServer } from '../helpers/nats-server.js'
import { waitFor } from '../helpers/wait.js'
import { tempDir } from '../helpers/tmp.js'

const set = loadFixtureSet('standard')
const signer = operatorSigningKey(set.dir)
const HOSTILE_JTIS = { LF: 'a\nb', CR: 'a\rb', DEL: 'a\u007fb', 'U+0100': 'a\u0100b', emoji: 'a\u{1F600}b' }

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

function hostileAccounts() {
  return Object.entries(HOSTILE_JTIS).map(([name, jti]) => {
    const pubkey = newKey('account').publicKey
    return { name, pubkey, jwt: mintAccount(pubkey, signer, { jti, name }) }
  })
}

async function serve(args: string[]): Promise<RunningServer> {
  const server = await startServer([...args, '-operator', set.operatorPath])
  cleanups.push(() => server.stop())
  return server
}

const alive = (server: RunningServer) => server.child.exitCode === null && server.child.signalCode === null

/** Every way of reading an account (fast path, HEAD, 304 check, routes), each answered 200. */
async function expectServed(server: RunningServer, pubkey: string, jwt: string): Promise<void> {
  const url = `${server.base}/jwt/v1/accounts/${pubkey}`
  const got = await fetch(url)
  expect(got.status).toBe(200)
  expect(await got.text()).toBe(jwt)
  const etag = got.headers.get('ETag')!
  expect(etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/)
  expect((await fetch(url, { method: 'HEAD' })).status).toBe(200)
  expect((await fetch(url, { headers: { 'If-None-Match': etag } })).status).toBe(304)
  const routed = await fetch(`${url}?check=true`)
  expect(routed.status).toBe(200)
  expect(routed.headers.get('ETag')).toBe(etag)
  expect(await (await fetch(`${server.base}/jwt/v1//accounts/${pubkey}`)).text()).toBe(jwt)
}

async function expectStillServing(server: RunningServer): Promise<void> {
  const other = newKey('account').publicKey
  const jwt = mintAccount(other, signer)
  expect((await fetch(`${server.base}/jwt/v1/accounts/${other}`, { method: 'POST', body: jwt })).status).toBeLessThan(300)
  expect(await (await fetch(`${server.base}/jwt/v1/accounts/${other}`)).text()).toBe(jwt)
  expect(alive(server)).toBe(true)
}

describe('a jti with a control or non-Latin-1 character', () => {
  it('is stored and served over HTTP, cached and after a restart, and the process lives', async () => {
    const dir = await tempDir()
    const accounts = hostileAccounts()
    let server = await serve(['-dir', dir])
    for (const { name, pubkey, jwt } of accounts) {
      const res = await fetch(`${server.base}/jwt/v1/accounts/${pubkey}`, { method: 'POST', body: jwt })
      expect(res.status, name).toBe(200)
      await expectServed(server, pubkey, jwt)
    }
    await expectStillServing(server)
    await server.stop()
    // Uncached: the first read of each after a restart comes from the store.
    server = await serve(['-dir', dir])
    for (const { pubkey, jwt } of accounts) await expectServed(server, pubkey, jwt)
    await expectStillServing(server)
  })

  it('is stored from $SYS.REQ.CLAIMS.UPDATE and from a full resolver PACK without a crash', async () => {
    const resolverDir = await tempDir()
    await writeFile(join(resolverDir, `${set.systemAccount}.jwt`), set.sysJwt.trim())
    const packed = hostileAccounts()
    for (const { pubkey, jwt } of packed) await writeFile(join(resolverDir, `${pubkey}.jwt`), jwt)
    const nats = await startNatsServer({
      config: `${natsServerOperatorConfig(set)}resolver: { type: full, dir: ${JSON.stringify(resolverDir)}, interval: "1s" }\n`,
    })
    cleanups.push(() => nats.stop())
    const server = await serve(['--sqlite', join(await tempDir(), 'a.db'), '-nats', nats.url, '-creds', set.credsPath('SYS')])
    for (const { pubkey, jwt } of packed) {
      await waitFor(async () => (await fetch(`${server.base}/jwt/v1/accounts/${pubkey}`)).status === 200, {
        timeoutMs: 15_000,
        message: 'the PACK to reach the account server',
      })
      await expectServed(server, pubkey, jwt)
    }
    const nc = await connect({ servers: nats.url, authenticator: credsAuthenticator(await readFile(set.credsPath('SYS'))) })
    cleanups.push(() => nc.close())
    for (const { name, pubkey, jwt } of hostileAccounts()) {
      const replies = await nc.requestMany('$SYS.REQ.CLAIMS.UPDATE', jwt, { strategy: 'timer', maxWait: 1000 })
      const ours: { data?: { message: string } }[] = []
      for await (const reply of replies) {
        const envelope = JSON.parse(reply.string())
        if (envelope.server.name === 'nats-accounts') ours.push(envelope)
      }
      expect(ours.map((r) => r.data?.message), name).toEqual(['jwt updated'])
      await expectServed(server, pubkey, jwt)
    }
    await expectStillServing(server)
  })
})
