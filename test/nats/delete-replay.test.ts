/**
 * A captured `$SYS.REQ.CLAIMS.DELETE`, replayed over a real nats-server: the same request is
 * refused, and no delete request removes an account JWT issued at or after it.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, credsAuthenticator } from '@nats-io/transport-node'
import { afterAll, describe, expect, it } from 'vitest'
import { loadFixtureSet, natsServerOperatorConfig } from '../helpers/fixtures.js'
import { mintAccount, mintJwt, signerFromSeed } from '../helpers/mint.js'
import { startNatsServer } from '../helpers/nats-server.js'
import { waitFor } from '../helpers/wait.js'
import { freePort } from '../helpers/ports.js'
import { startAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'

const set = loadFixtureSet('standard')
const entry = (name: string) => set.manifest.fixtures.find((f) => f.name === name)!
const jwtOf = (name: string) => set.jwt(entry(name)).trim()
const keyOf = (name: string) => entry(name).pubkey!
const SYS_CREDS = set.credsPath('SYS')

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

const iso = (seconds: number) => `${new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')} (iat ${seconds})`

describe('$SYS.REQ.CLAIMS.DELETE replayed', () => {
  it('is refused, and never deletes an account re-created after the request', async () => {
    const port = await freePort()
    const server = await startAccountServer({
      operator: set.operatorPath,
      store: { type: 'sqlite', file: join(await tempDir(), 'accounts.db') },
      nats: { servers: [`nats://127.0.0.1:${port}`], credentials: SYS_CREDS, reconnectWaitMs: 100 },
    })
    cleanups.push(() => server.stop())
    const post = (pubkey: string, jwt: string) => fetch(`${server.base}/jwt/v1/accounts/${pubkey}`, { method: 'POST', body: jwt })
    const served = async (pubkey: string) => {
      const res = await fetch(`${server.base}/jwt/v1/accounts/${pubkey}`)
      return res.status === 200 ? res.text() : res.status
    }
    expect((await post(keyOf('SYS'), jwtOf('SYS'))).status).toBe(202)
    const nats = await startNatsServer({ config: `${natsServerOperatorConfig(set)}resolver: URL(${server.base}/jwt/v1/accounts/)\n`, port })
    cleanups.push(() => nats.stop())
    await waitFor(() => server.logs().includes('connected to NATS for account notifications'), { timeoutMs: 10_000, message: 'NATS' })
    const nc = await connect({ servers: nats.url, authenticator: credsAuthenticator(await readFile(SYS_CREDS)), reconnect: false })
    cleanups.push(() => nc.close())
    const ask = async (body: string) => JSON.parse((await nc.request('$SYS.REQ.CLAIMS.DELETE', body, { timeout: 2000 })).string())

    const operator = signerFromSeed(await readFile(join(set.dir, 'seeds', 'operator.nk'), 'utf8'))
    const account = keyOf('A3')
    expect((await post(account, jwtOf('A3'))).status).toBe(200)
    const now = Math.floor(Date.now() / 1000)
    const captured = mintJwt('generic', operator.publicKey, operator, { accounts: [account] }, { iat: now })
    expect((await ask(captured)).data).toEqual({ code: 200, message: 'deleted 1 accounts' })
    expect(await served(account)).toBe(404)

    // The operator re-creates the account; the captured request comes back.
    const recreated = mintAccount(account, operator, { name: 'A3', iat: now + 1 })
    expect((await post(account, recreated)).status).toBe(200)
    const replayed = await ask(captured)
    expect(replayed.error.description).toMatch(
      new RegExp(`^delete accounts request by ${operator.publicKey} failed - replayed request: jti \\S+ was already applied$`),
    )
    expect(await served(account)).toBe(recreated)

    // Another request (a new jti, as after a restart that forgot the first) issued before the JWT.
    const older = mintJwt('generic', operator.publicKey, operator, { accounts: [account] }, { iat: now })
    expect((await ask(older)).error.description).toBe(
      `delete accounts request by ${operator.publicKey} failed - deleted 0 accounts; kept 1 issued at or after the request (issued ${iso(now)}): ${account} issued ${iso(now + 1)}`,
    )
    expect(await served(account)).toBe(recreated)

    // A request issued after the JWT still deletes it.
    const newer = mintJwt('generic', operator.publicKey, operator, { accounts: [account] }, { iat: now + 2 })
    expect((await ask(newer)).data).toEqual({ code: 200, message: 'deleted 1 accounts' })
    expect(await served(account)).toBe(404)
  })
})
