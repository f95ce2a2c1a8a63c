/**
 * The mixed setup of docs/nats-auth.md, with real nats-server 2.9 processes: a server with
 * static accounts and NKey users (named by the accounts' public keys), an operator-mode server
 * resolving JWT accounts from nats-accounts, bridged by routes, as in a migration from static
 * configuration to decentralized JWT auth. nats-accounts connects to the static server with an
 * NKey of the system account; its update notifications reach the operator-mode server over the
 * route, which revokes a user at once.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, credsAuthenticator } from '@nats-io/transport-node'
import { afterAll, describe, expect, it } from 'vitest'
import { loadFixtureSet, natsServerOperatorConfig } from '../helpers/fixtures.js'
import { formatCreds, mintAccount, mintUser, newKey, operatorSigningKey, signerFromSeed, UNLIMITED } from '../helpers/mint.js'
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js'
import { freePort } from '../helpers/ports.js'
import { startAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const set = loadFixtureSet('standard')
const A1 = set.manifest.fixtures.find((f) => f.name === 'A1')!
const seeds = join(set.dir, 'seeds')
const sysUser = signerFromSeed(await readFile(join(seeds, 'SYS-user.nk'), 'utf8'))

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

async function natsServer(config: string, port?: number): Promise<NatsServer> {
  const server = await startNatsServer({ config, port })
  cleanups.push(() => server.stop())
  return server
}

describe('static NKey server + operator-mode server, bridged by routes', () => {
  it('nats-accounts on the static server with an NKey; its POST revokes a user on the operator-mode server', async () => {
    const [routeStatic, routeJwt, jwtPort, staticPort] = [await freePort(), await freePort(), await freePort(), await freePort()]
    // One nats-accounts: the URL resolver of the operator-mode server, connected to the static one.
    const server = await startAccountServer({
      operator: set.operatorPath,
      store: { type: 'sqlite', file: join(await tempDir(), 'accounts.db') },
      nats: { servers: [`nats://127.0.0.1:${staticPort}`], nkey: join(seeds, 'SYS-user.nk'), reconnectWaitMs: 100 },
    })
    cleanups.push(() => server.stop())
    for (const name of ['SYS', 'A1']) {
      const entry = set.manifest.fixtures.find((f) => f.name === name)!
      expect((await fetch(`${server.base}/jwt/v1/accounts/${entry.pubkey}`, { method: 'POST', body: set.jwt(entry) })).status).toBe(202)
    }
    await natsServer(
      `server_name: jwt-server
${natsServerOperatorConfig(set)}resolver: URL(${server.base}/jwt/v1/accounts/)
cluster { name: migration, listen: 127.0.0.1:${routeJwt}, routes: [nats://127.0.0.1:${routeStatic}] }
`,
      jwtPort,
    )
    const staticServer = await natsServer(
      `server_name: static-server
accounts {
  ${set.systemAccount}: { users: [ { nkey: ${sysUser.publicKey} } ] }
  ${A1.pubkey}: { users: [ { user: legacy-app, password: legacy-pw } ] }
}
system_account: ${set.systemAccount}
cluster { name: migration, listen: 127.0.0.1:${routeStatic}, routes: [nats://127.0.0.1:${routeJwt}] }
`,
      staticPort,
    )
    await waitFor(() => server.logs().includes('[DBG] the NATS user is in the system account'), { timeoutMs: 15_000, message: 'the NKey connection' })

    // A JWT user of A1 on the operator-mode server; a legacy user of the same account on the static one.
    const a1Account = signerFromSeed(await readFile(join(seeds, 'A1.nk'), 'utf8'))
    const user = newKey('user')
    const jwtUser = await connect({
      servers: `nats://127.0.0.1:${jwtPort}`,
      authenticator: credsAuthenticator(new TextEncoder().encode(formatCreds(mintUser(user.publicKey, a1Account), user.seed!))),
      reconnect: false,
    })
    cleanups.push(() => jwtUser.close())
    const legacy = await connect({ servers: staticServer.url, user: 'legacy-app', pass: 'legacy-pw', reconnect: false })
    cleanups.push(() => legacy.close())
    // One account across both servers: a message crosses the route.
    const sub = jwtUser.subscribe('orders', { max: 1 })
    await jwtUser.flush()
    await waitFor(async () => {
      legacy.publish('orders', 'from the static side')
      await legacy.flush()
      return sub.getReceived() === 1
    }, { timeoutMs: 10_000, message: 'a message from the static server to the JWT server' })

    const closed = jwtUser.closed()
    const revoking = mintAccount(A1.pubkey!, operatorSigningKey(set.dir), {
      name: 'A1',
      nats: { limits: UNLIMITED, revocations: { [user.publicKey]: Math.floor(Date.now() / 1000) } },
    })
    const res = await fetch(`${server.base}/jwt/v1/accounts/${A1.pubkey}`, { method: 'POST', body: revoking })
    expect(res.status).toBe(200)
    // The notification, published on the static server, reached the JWT server over the route.
    await closed
    expect(jwtUser.isClosed()).toBe(true)
  })
})
