/**
 * Every NATS auth method against a real nats-server 2.9, through the CLI with trace and debug
 * logging and `-dump`: creds (operator mode), an NKey seed, user/password (URL, environment),
 * a token (config file, token file) and a TLS client certificate (verify_and_map). Each run
 * proves the user is in the system account (a POST's update notification reaches a real
 * subscriber there), and no secret appears in the output. Wrong files stop start-up (exit 1).
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makePki, type Pki } from '../helpers/certs.js'
import { runCli, startServer, type RunningServer } from '../helpers/cli.js'
import { loadFixtureSet, memoryResolverConfig, natsServerOperatorConfig } from '../helpers/fixtures.js'
import { signerFromSeed } from '../helpers/mint.js'
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js'
import { freePort } from '../helpers/ports.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const set = loadFixtureSet('standard')
const a1 = set.accepted.find((e) => e.name === 'A1')!
const seedPath = join(set.dir, 'seeds', 'SYS-user.nk')
let userSeed: string
let pki: Pki
const stops: (() => Promise<unknown>)[] = []
beforeAll(async () => {
  userSeed = (await readFile(seedPath, 'utf8')).trim()
  pki = await makePki()
})
afterAll(async () => {
  for (const stop of stops.reverse()) await stop()
})

async function natsServer(config: string): Promise<NatsServer> {
  const nats = await startNatsServer({ config })
  stops.push(() => nats.stop())
  return nats
}

/** A user of the system account that watches update notifications. */
async function watcher(options: ConnectionOptions): Promise<{ nc: NatsConnection; seen: string[] }> {
  const nc = await connect({ ...options, reconnect: false })
  stops.push(() => nc.close())
  const seen: string[] = []
  nc.subscribe('$SYS.ACCOUNT.*.CLAIMS.UPDATE', { callback: (_, msg) => void seen.push(msg.subject) })
  await nc.flush()
  return { nc, seen }
}

async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
  const server = await startServer(['--sqlite', join(await tempDir(), 'a.db'), '-operator', set.operatorPath, '-DV', '-dump', ...args], { env })
  stops.push(() => server.stop())
  return server
}

/** In the system account: the PING answered, and a POST's notification reaches the watcher. */
async function provesSystemAccount(server: RunningServer, seen: string[], secrets: string[]): Promise<void> {
  await waitFor(() => server.logs().includes('[DBG] the NATS user is in the system account'), {
    timeoutMs: 15_000,
    message: `the identity check:\n${server.logs()}`,
  })
  const res = await fetch(`${server.base}/jwt/v1/accounts/${a1.pubkey}`, { method: 'POST', body: set.jwt(a1) })
  expect(res.status).toBe(200)
  await waitFor(() => seen.includes(`$SYS.ACCOUNT.${a1.pubkey}.CLAIMS.UPDATE`), { timeoutMs: 10_000, message: 'the notification' })
  await server.stop()
  const logs = server.logs()
  expect(logs).toContain('effective configuration')
  expect(logs).toMatch(/\[TRC\]|POST \/jwt\/v1\/accounts/)
  for (const secret of secrets) expect(logs).not.toContain(secret)
}

const staticSys = (users: string) => `accounts { SYS { users: [ ${users}, { user: watcher, password: watcher-pw } ] } }\nsystem_account: SYS\n`

describe('each NATS auth method connects in the system account, and no secret is logged', () => {
  it('creds file (-creds), operator mode', async () => {
    const nats = await natsServer(`${natsServerOperatorConfig(set)}${memoryResolverConfig(set)}`)
    const { seen } = await watcher({ servers: nats.url, authenticator: credsAuthenticator(await readFile(set.credsPath('SYS'))) })
    const server = await serve(['-nats', nats.url, '-creds', set.credsPath('SYS')])
    const credsSeed = /SU[A-Z2-7]{56}/.exec(await readFile(set.credsPath('SYS'), 'utf8'))![0]
    await provesSystemAccount(server, seen, [credsSeed])
  })

  it('NKey seed file (--nkey): challenge-response, the seed never leaves the process', async () => {
    const nats = await natsServer(staticSys(`{ nkey: ${signerFromSeed(userSeed).publicKey} }`))
    const { seen } = await watcher({ servers: nats.url, user: 'watcher', pass: 'watcher-pw' })
    const server = await serve(['-nats', nats.url, '--nkey', seedPath])
    await provesSystemAccount(server, seen, [userSeed])
  })

  it('NKey seed file from the config file (nats { nkey })', async () => {
    const nats = await natsServer(staticSys(`{ nkey: ${signerFromSeed(userSeed).publicKey} }`))
    const { seen } = await watcher({ servers: nats.url, user: 'watcher', pass: 'watcher-pw' })
    const conf = join(await tempDir(), 'a.conf')
    await writeFile(conf, `nats { servers: ${JSON.stringify(nats.url)}, nkey: ${JSON.stringify(seedPath)} }\n`)
    const server = await serve(['-c', conf])
    await provesSystemAccount(server, seen, [userSeed])
  })

  it('user and password in the URL', async () => {
    const nats = await natsServer(staticSys('{ user: sys, password: "url-pw-s3cret" }'))
    const { seen } = await watcher({ servers: nats.url, user: 'watcher', pass: 'watcher-pw' })
    const server = await serve(['-nats', `nats://sys:url-pw-s3cret@127.0.0.1:${nats.port}`])
    expect(server.logs()).not.toContain('url-pw-s3cret')
    await provesSystemAccount(server, seen, ['url-pw-s3cret'])
  })

  it('user and password from the environment', async () => {
    const nats = await natsServer(staticSys('{ user: sys, password: "env-pw-s3cret" }'))
    const { seen } = await watcher({ servers: nats.url, user: 'watcher', pass: 'watcher-pw' })
    const server = await serve(['-nats', nats.url], { NATS_ACCOUNTS_NATS_USER: 'sys', NATS_ACCOUNTS_NATS_PASSWORD: 'env-pw-s3cret' })
    await provesSystemAccount(server, seen, ['env-pw-s3cret'])
  })

  it('token in the config file, and in a token file', async () => {
    const nats = await natsServer('authorization { token: "tok-s3cret-value" }\nsystem_account: "$G"\n')
    const { seen } = await watcher({ servers: nats.url, token: 'tok-s3cret-value' })
    const conf = join(await tempDir(), 'a.conf')
    await writeFile(conf, `nats { servers: ${JSON.stringify(nats.url)}, token: "tok-s3cret-value" }\n`)
    await provesSystemAccount(await serve(['-c', conf]), seen, ['tok-s3cret-value'])
    const tokenFile = join(await tempDir(), 'token')
    await writeFile(tokenFile, 'tok-s3cret-value\n', { mode: 0o600 })
    const fromFile = await serve(['-nats', nats.url], { NATS_ACCOUNTS_NATS_TOKEN_FILE: tokenFile })
    seen.length = 0
    await provesSystemAccount(fromFile, seen, ['tok-s3cret-value'])
  })

  it('TLS client certificate mapped to the user (verify_and_map)', async () => {
    const tls = `tls { cert_file: ${JSON.stringify(pki.serverCert)}, key_file: ${JSON.stringify(pki.serverKey)}, ca_file: ${JSON.stringify(pki.ca)}, verify_and_map: true }\n`
    const nats = await natsServer(`${tls}accounts { SYS { users: [ { user: "CN=nats-server" } ] } }\nsystem_account: SYS\n`)
    const clientTls = { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey }
    const { seen } = await watcher({ servers: nats.url, tls: clientTls })
    const server = await serve(['-nats', `tls://127.0.0.1:${nats.port}`], {
      NATS_ACCOUNTS_NATS_TLS_CA: pki.ca,
      NATS_ACCOUNTS_NATS_TLS_CERT: pki.clientCert,
      NATS_ACCOUNTS_NATS_TLS_KEY: pki.clientKey,
    })
    const keyBody = (await readFile(pki.clientKey, 'utf8')).split('\n')[1]!
    await provesSystemAccount(server, seen, [keyBody])
  })
})

describe('start-up errors', () => {
  it('exits 1 before connecting for an account seed given as --nkey, naming the file, the cause and the fix', async () => {
    const accountSeed = join(set.dir, 'seeds', 'SYS.nk')
    const run = runCli(['-hp', '127.0.0.1:0', '-nats', `nats://127.0.0.1:${await freePort()}`, '--nkey', accountSeed])
    expect(await run.exited).toBe(1)
    expect(run.logs()).toContain(`[ERR] NKey seed file ${accountSeed} holds an account seed (SA…`)
    expect(run.logs()).toContain('where a user seed (SU…) is expected')
    expect(run.logs()).toContain('give -creds (nats.creds) the .creds file of a user of the system account')
    expect(run.logs()).not.toContain('connecting to NATS')
    expect(run.logs()).not.toContain((await readFile(accountSeed, 'utf8')).trim())
  })

  it('exits 1 for a seed file given as -creds', async () => {
    const run = runCli(['-hp', '127.0.0.1:0', '-nats', `nats://127.0.0.1:${await freePort()}`, '-creds', seedPath])
    expect(await run.exited).toBe(1)
    expect(run.logs()).toContain(`[ERR] NATS credentials file ${seedPath} is an NKey seed file, not a .creds file`)
  })
})
