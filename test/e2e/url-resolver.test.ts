/**
 * End to end: the built CLI serving a real nats-server 2.9 through `resolver: URL(...)`.
 * Accounts are pushed over HTTP as nsc push does; users connect with the fixtures' creds.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node'
import { afterAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../helpers/cli.js'
import { FIXTURE_SET_NAMES, loadFixtureSet, natsServerOperatorConfig } from '../helpers/fixtures.js'
import { formatCreds, mintAccount, mintOperator, mintUser, newKey, signerFromSeed } from '../helpers/mint.js'
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js'
import { tempDir } from '../helpers/tmp.js'

/** What nsc push sends: POST <url>/accounts/<pubkey>, Content-Type application/jwt. */
function nscPush(server: RunningServer, pubkey: string, jwt: string) {
  return fetch(`${server.base}/jwt/v1/accounts/${pubkey}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/jwt', 'User-Agent': 'Go-http-client/1.1' },
    body: jwt,
  })
}

async function connectWith(nats: NatsServer, creds: string): Promise<NatsConnection> {
  return connect({
    servers: nats.url,
    authenticator: credsAuthenticator(new TextEncoder().encode(creds)),
    reconnect: false,
    timeout: 5000,
  })
}

async function roundTrip(nc: NatsConnection): Promise<string> {
  const sub = nc.subscribe('e2e.echo', {
    max: 1,
    callback: (_, msg) => {
      msg.respond(msg.data)
    },
  })
  const reply = await nc.request('e2e.echo', 'ping', { timeout: 2000 })
  sub.unsubscribe()
  return reply.string()
}

const cleanup: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const stop of cleanup.reverse()) await stop()
})

for (const name of FIXTURE_SET_NAMES) {
  describe(`URL resolver with the ${name} fixtures`, () => {
    const set = loadFixtureSet(name)

    it('serves every pushed account to nats-server; their users connect, others are refused', async () => {
      const server = await startServer(['-dir', await tempDir(), '-operator', set.operatorPath])
      cleanup.push(() => server.stop())
      for (const entry of set.accepted) {
        const res = await nscPush(server, entry.pubkey, set.jwt(entry))
        expect(res.status, entry.name).toBe(200)
      }
      for (const entry of set.rejected.filter((e) => e.reason === 'strict-signing-key')) {
        expect((await nscPush(server, entry.pubkey!, set.jwt(entry))).status).toBe(400)
      }

      const nats = await startNatsServer({
        config: `${natsServerOperatorConfig(set)}resolver: URL(${server.resolverUrl})\n`,
      })
      cleanup.push(() => nats.stop())

      for (const cred of set.manifest.creds) {
        const nc = await connectWith(nats, await readFile(set.credsPath(cred.account), 'utf8'))
        expect(await roundTrip(nc), cred.account).toBe('ping')
        await nc.close()
      }

      const stranger = newKey('account')
      const user = newKey('user')
      const creds = formatCreds(mintUser(user.publicKey, stranger), user.seed!)
      await expect(connectWith(nats, creds)).rejects.toThrow(/Authorization Violation/i)
    })
  })
}

describe('implicit URL resolver from the operator account_server_url', () => {
  it('works when the URL ends in "/", which makes nats-server ask for /jwt/v1//accounts/...', async () => {
    const dir = await tempDir()
    const operator = signerFromSeed(await readFile(join(loadFixtureSet('standard').dir, 'seeds/operator.nk'), 'utf8'))
    const sys = newKey('account')
    const app = newKey('account')
    const user = newKey('user')
    const trustFile = join(dir, 'operator.jwt')
    await writeFile(trustFile, mintOperator(operator, { name: 'OP', nats: { system_account: sys.publicKey } }))
    const server = await startServer(['-dir', join(dir, 'jwt'), '-operator', trustFile])
    cleanup.push(() => server.stop())
    for (const account of [sys, app]) {
      expect((await nscPush(server, account.publicKey, mintAccount(account.publicKey, operator))).status).toBe(200)
    }
    const natsOperator = join(dir, 'operator-with-url.jwt')
    await writeFile(
      natsOperator,
      mintOperator(operator, {
        name: 'OP',
        nats: { system_account: sys.publicKey, account_server_url: `${server.base}/jwt/v1/` },
      }),
    )
    const nats = await startNatsServer({ config: `operator: "${natsOperator}"\nsystem_account: ${sys.publicKey}\n` })
    cleanup.push(() => nats.stop())
    const nc = await connectWith(nats, formatCreds(mintUser(user.publicKey, app), user.seed!))
    expect(await roundTrip(nc)).toBe('ping')
    await nc.close()
  })
})
