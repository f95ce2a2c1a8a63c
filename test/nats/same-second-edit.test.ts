/**
 * An nsc edit made within the same second (same `jti` and `iat`, other limits) over NATS, with
 * real nats-server 2.9 processes: nsc's `$SYS.REQ.CLAIMS.UPDATE` push stores it, and PACK sync
 * with a full resolver that still holds the first version does not bring that one back.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, credsAuthenticator } from '@nats-io/transport-node'
import { afterAll, describe, expect, it } from 'vitest'
import { SAME_JTI_WARNING } from '../../src/accounts/local-writer.js'
import { loadFixtureSet, natsServerOperatorConfig } from '../helpers/fixtures.js'
import { newKey, operatorSigningKey } from '../helpers/mint.js'
import { startNatsServer } from '../helpers/nats-server.js'
import { waitFor } from '../helpers/wait.js'
import { sameSecondEdit } from '../helpers/nsc.js'
import { freePort } from '../helpers/ports.js'
import { startAccountServer, type RunningAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'

const set = loadFixtureSet('standard')
const SYS_CREDS = set.credsPath('SYS')
const signer = operatorSigningKey(set.dir)

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

async function accountServer(nats: string, packIntervalMs = 0): Promise<RunningAccountServer> {
  const server = await startAccountServer({
    operator: set.operatorPath,
    store: { type: 'sqlite', file: join(await tempDir(), 'accounts.db') },
    nats: { servers: [nats], credentials: SYS_CREDS, reconnectWaitMs: 100, packIntervalMs },
  })
  cleanups.push(() => server.stop())
  return server
}

async function natsServer(resolver: string, port: number) {
  const server = await startNatsServer({ config: `${natsServerOperatorConfig(set)}${resolver}`, port })
  cleanups.push(() => server.stop())
  return server
}

const connected = (server: RunningAccountServer) =>
  waitFor(() => server.logs().includes('connected to NATS for account notifications'), {
    timeoutMs: 10_000,
    message: 'the account server to connect to NATS',
  })

const served = async (server: RunningAccountServer, pubkey: string) =>
  (await fetch(`${server.base}/jwt/v1/accounts/${pubkey}`)).text()

describe('a same-second edit over NATS', () => {
  it('is stored from nsc push ($SYS.REQ.CLAIMS.UPDATE), with the warning in the reply', async () => {
    const port = await freePort()
    const server = await accountServer(`nats://127.0.0.1:${port}`)
    const sys = await fetch(`${server.base}/jwt/v1/accounts/${set.systemAccount}`, { method: 'POST', body: set.sysJwt.trim() })
    expect(sys.status).toBe(202)
    const nats = await natsServer(`resolver: URL(${server.base}/jwt/v1/accounts/)\n`, port)
    await connected(server)
    const nc = await connect({ servers: nats.url, authenticator: credsAuthenticator(await readFile(SYS_CREDS)) })
    cleanups.push(() => nc.close())
    const account = newKey('account').publicKey
    const { added, edited } = sameSecondEdit(account, signer)
    const push = async (jwt: string) => JSON.parse((await nc.request('$SYS.REQ.CLAIMS.UPDATE', jwt, { timeout: 2000 })).string())

    expect((await push(added)).data).toEqual({ account, code: 200, message: 'jwt updated' })
    expect((await push(edited)).data).toEqual({ account, code: 200, message: `jwt updated - ${SAME_JTI_WARNING}` })
    expect(await served(server, account)).toBe(edited)
    expect((await push(edited)).data.message).toBe('jwt updated')
    expect(await served(server, account)).toBe(edited)
  })

  it('is kept when a full resolver that missed it sends the first version by PACK', async () => {
    const dir = await tempDir()
    const account = newKey('account').publicKey
    const { added, edited } = sameSecondEdit(account, signer)
    await writeFile(join(dir, `${set.systemAccount}.jwt`), set.sysJwt.trim())
    await writeFile(join(dir, `${account}.jwt`), added)
    // The edit was pushed while this store had no NATS: the full resolver never heard of it.
    const file = join(await tempDir(), 'accounts.db')
    const offline = await startAccountServer({ operator: set.operatorPath, store: { type: 'sqlite', file } })
    const sys = await fetch(`${offline.base}/jwt/v1/accounts/${set.systemAccount}`, { method: 'POST', body: set.sysJwt.trim() })
    expect(sys.status).toBe(200)
    const res = await fetch(`${offline.base}/jwt/v1/accounts/${account}`, { method: 'POST', body: edited })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
    await offline.stop()
    const port = await freePort()
    const server = await startAccountServer({
      operator: set.operatorPath,
      store: { type: 'sqlite', file },
      nats: { servers: [`nats://127.0.0.1:${port}`], credentials: SYS_CREDS, reconnectWaitMs: 100, packIntervalMs: 300 },
    })
    cleanups.push(() => server.stop())
    await natsServer(`resolver: { type: full, dir: ${JSON.stringify(dir)}, interval: "1s" }\n`, port)
    await connected(server)
    // Its PACK brings the same system account and the first version: both change nothing.
    const unchanged = async () => {
      const text = await (await fetch(`${server.base}/metrics`)).text()
      return Number(/^nats_accounts_jwt_pushes_total\{verdict="unchanged"\} (\d+)$/m.exec(text)?.[1] ?? 0)
    }
    await waitFor(async () => (await unchanged()) >= 2, { timeoutMs: 10_000, message: 'a PACK merge' })
    expect(await served(server, account)).toBe(edited)
    // An update notification reaches it: full resolvers store an update with other bytes.
    expect((await fetch(`${server.base}/jwt/v1/accounts/${account}?notify=true`)).status).toBe(200)
    await waitFor(async () => (await readFile(join(dir, `${account}.jwt`), 'utf8')) === edited, {
      timeoutMs: 5000,
      message: 'the notified edit to reach the full resolver',
    })
    expect(await served(server, account)).toBe(edited)
  })
})
