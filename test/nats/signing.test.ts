/**
 * The signing service (the Go server's `signrequestsubject`) against a real nats-server 2.9: a
 * POSTed self-signed account JWT is sent as a NATS request to a small signing service in this
 * test, which signs it with the operator's signing key; the signed JWT is checked and stored.
 * A message reply is a 202, and a silent, absent or wrong service stores nothing.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, credsAuthenticator } from '@nats-io/transport-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadFixtureSet, memoryResolverConfig, natsServerOperatorConfig } from '../helpers/fixtures.js'
import { mintAccount, newKey, operatorSigningKey, type Signer } from '../helpers/mint.js'
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js'
import { freePort } from '../helpers/ports.js'
import { startAccountServer, type RunningAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const set = loadFixtureSet('standard')
const SUBJECT = 'ops.sign.account'

type Mode = 'sign' | 'message' | 'silent' | 'echo' | 'foreign'
let mode: Mode = 'sign'
const received: string[] = []
let nats: NatsServer
let server: RunningAccountServer

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

function claimsOf(jwt: string): { sub: string; iss: string; name: string; jti: string } {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { sub: string; iss: string; name: string; jti: string }
}

async function accountServer(nats: Record<string, unknown>): Promise<RunningAccountServer> {
  const started = await startAccountServer({
    operator: set.operatorPath,
    store: { type: 'sqlite', file: join(await tempDir(), 'accounts.db') },
    nats: { credentials: set.credsPath('SYS'), reconnectWaitMs: 100, ...nats },
  })
  cleanups.push(() => started.stop())
  return started
}

const connected = (s: RunningAccountServer) =>
  waitFor(() => s.logs().includes('[DBG] the NATS user is in the system account'), { timeoutMs: 15_000, message: 'the NATS connection' })

beforeAll(async () => {
  nats = await startNatsServer({ config: `${natsServerOperatorConfig(set)}${memoryResolverConfig(set)}` })
  cleanups.push(() => nats.stop())
  // The signing service: a user of the system account holding the operator's signing key.
  const operatorKey = operatorSigningKey(set.dir)
  const foreign = newKey('operator')
  const service = await connect({ servers: nats.url, authenticator: credsAuthenticator(await readFile(set.credsPath('SYS'))) })
  cleanups.push(() => service.close())
  service.subscribe(SUBJECT, {
    callback: (_, msg) => {
      const posted = msg.string()
      received.push(posted)
      const { sub, name } = claimsOf(posted)
      const signWith = (signer: Signer) => msg.respond(mintAccount(sub, signer, { name }))
      if (mode === 'sign') signWith(operatorKey)
      else if (mode === 'foreign') signWith(foreign)
      else if (mode === 'echo') msg.respond(posted)
      else if (mode === 'message') msg.respond('queued for approval by the operator team (ticket 42)')
    },
  })
  await service.flush()
  server = await accountServer({ servers: [nats.url], signRequestSubject: SUBJECT, signRequestTimeoutMs: 1000 })
  await connected(server)
})

function selfSigned(): { key: string; jwt: string } {
  const account = newKey('account')
  return { key: account.publicKey, jwt: mintAccount(account.publicKey, account, { name: 'self-made' }) }
}

const post = (s: RunningAccountServer, key: string, jwt: string) => fetch(`${s.base}/jwt/v1/accounts/${key}`, { method: 'POST', body: jwt })
const stored = async (s: RunningAccountServer, key: string) => (await fetch(`${s.base}/jwt/v1/accounts/${key}`)).status

describe('signing service round trip', () => {
  it('sends the self-signed JWT, stores the operator-signed reply (200), never the posted JWT', async () => {
    mode = 'sign'
    const { key, jwt } = selfSigned()
    const before = received.length
    const res = await post(server, key, jwt)
    expect(res.status).toBe(200)
    expect(received.slice(before)).toEqual([jwt])
    const served = await (await fetch(`${server.base}/jwt/v1/accounts/${key}`)).text()
    expect(served).not.toBe(jwt)
    expect(claimsOf(served)).toMatchObject({ sub: key, iss: operatorSigningKey(set.dir).publicKey, name: 'self-made' })
    const history = (await (await fetch(`${server.base}/jwt/v1/accounts/${key}/history`)).json()) as { issuer: string }[]
    expect(history.map((h) => h.issuer)).toEqual([operatorSigningKey(set.dir).publicKey])
  })

  it('a JWT already signed by the operator does not go to the signing service', async () => {
    const account = newKey('account')
    const before = received.length
    expect((await post(server, account.publicKey, mintAccount(account.publicKey, operatorSigningKey(set.dir)))).status).toBe(200)
    expect(received.length).toBe(before)
  })

  it('a reply that is not a JWT is the answer (202, as the Go server), and nothing is stored', async () => {
    mode = 'message'
    const { key, jwt } = selfSigned()
    const res = await post(server, key, jwt)
    expect(res.status).toBe(202)
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await res.text()).toBe('queued for approval by the operator team (ticket 42)')
    expect(await stored(server, key)).toBe(404)
    expect(server.logs()).toContain(`Initiated JWT signing process for ${claimsOf(jwt).jti}`)
  })
})

describe('a signing service that fails stores nothing', () => {
  it('a reply JWT that is not signed by the operator is refused (502)', async () => {
    for (const [replyMode, why] of [
      ['echo', 'the account JWT is self-signed by'],
      ['foreign', 'is not operator'],
    ] as const) {
      mode = replyMode
      const { key, jwt } = selfSigned()
      const res = await post(server, key, jwt)
      expect(res.status).toBe(502)
      const body = await res.text()
      expect(body).toMatch(/^the signing service returned a JWT that is refused: /)
      expect(body).toContain(why)
      expect(await stored(server, key)).toBe(404)
    }
  })

  it('no answer within the timeout (503)', async () => {
    mode = 'silent'
    const { key, jwt } = selfSigned()
    const res = await post(server, key, jwt)
    expect(res.status).toBe(503)
    expect(await res.text()).toBe(`Failure during signature request: signing service unavailable: no answer on ${SUBJECT} within 1000 ms\n`)
    expect(await stored(server, key)).toBe(404)
  })

  it('no signing service listening (no responders, 503)', async () => {
    const other = await accountServer({ servers: [nats.url], signRequestSubject: 'nobody.signs.here' })
    await connected(other)
    const { key, jwt } = selfSigned()
    const res = await post(other, key, jwt)
    expect(res.status).toBe(503)
    expect(await res.text()).toBe('Failure during signature request: signing service unavailable: nothing answers on nobody.signs.here (no responders)\n')
    expect(await stored(other, key)).toBe(404)
  })

  it('NATS not connected (503)', async () => {
    const other = await accountServer({ servers: [`nats://127.0.0.1:${await freePort()}`], signRequestSubject: SUBJECT })
    const { key, jwt } = selfSigned()
    const res = await post(other, key, jwt)
    expect(res.status).toBe(503)
    expect(await res.text()).toBe('Failure during signature request: nats-server unavailable: NATS is not connected, the signing service cannot be asked\n')
    expect(await stored(other, key)).toBe(404)
  })
})

describe('configuration', () => {
  it('without a signing service the answer stays the Go server\'s "Signing service not enabled"', async () => {
    const plain = await accountServer({ servers: [nats.url] })
    const { key, jwt } = selfSigned()
    const res = await post(plain, key, jwt)
    expect(res.status).toBe(400)
    expect(await res.text()).toMatch(/^Signing service not enabled: the account JWT is self-signed by /)
  })

  it('a signing subject without NATS stops start-up', async () => {
    await expect(accountServer({ servers: [], signRequestSubject: SUBJECT })).rejects.toThrow(
      `signrequestsubject ${SUBJECT} needs NATS to reach the signing service: give -nats (nats.servers) too`,
    )
  })
})
