/**
 * The KV store's own NATS connection uses the same auth module as the system-account link,
 * against a real nats-server 2.9 with JetStream: an NKey seed (`--kv-nkey`), user and password
 * from the environment (a password file), no secret in the output; and rotation: the seed file
 * is read again when the connection comes back, so a server that dropped the old user
 * takes the new one without a restart of nats-accounts.
 */
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../helpers/cli.js'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { freshBucket, kvConfig, startJetStream } from '../helpers/kv.js'
import { newKey } from '../helpers/mint.js'
import type { NatsServer } from '../helpers/nats-server.js'
import { startAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const set = loadFixtureSet('standard')
const [A1, A2] = set.accepted.filter((e) => e.pubkey !== set.systemAccount)

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
}, 60_000)

async function jetStream(users: string, options: { port?: number; storeDir?: string } = {}): Promise<NatsServer & { storeDir: string }> {
  const server = await startJetStream({ ...options, config: `accounts { KV: { jetstream: enabled, users: [ ${users} ] } }\n` })
  cleanups.push(() => server.stop())
  return server
}

async function secretFile(text: string): Promise<string> {
  const path = join(await tempDir(), 'secret')
  await writeFile(path, text, { mode: 0o600 })
  return path
}

async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
  const server = await startServer(['-operator', set.operatorPath, '-DV', '-dump', ...args], { env })
  cleanups.push(() => server.stop())
  return server
}

async function postsAndServes(base: string, entry = A1!): Promise<void> {
  expect((await fetch(`${base}/jwt/v1/accounts/${entry.pubkey}`, { method: 'POST', body: set.jwt(entry) })).status).toBe(200)
  expect(await (await fetch(`${base}/jwt/v1/accounts/${entry.pubkey}`)).text()).toBe(set.jwt(entry).trim())
}

describe('the KV connection authenticates like the system-account link', () => {
  it('--kv-nkey: an NKey seed file, the seed never logged', async () => {
    const user = newKey('user')
    const js = await jetStream(`{ nkey: ${user.publicKey} }`)
    const bucket = freshBucket()
    const server = await serve(['--kv', bucket, '--kv-servers', js.url, '--kv-nkey', await secretFile(`${user.seed}\n`)])
    expect(server.logs()).toContain(`using the NATS KV store, bucket ${bucket}: 0 accounts`)
    await postsAndServes(server.base)
    await server.stop()
    expect(server.logs()).not.toContain(user.seed)
  })

  it('store.kv user and password file from the environment', async () => {
    const js = await jetStream('{ user: kv-writer, password: "kv-pw-s3cret" }')
    const server = await serve([], {
      NATS_ACCOUNTS_STORE_KV_BUCKET: freshBucket(),
      NATS_ACCOUNTS_STORE_KV_SERVERS: js.url,
      NATS_ACCOUNTS_STORE_KV_USER: 'kv-writer',
      NATS_ACCOUNTS_STORE_KV_PASSWORD_FILE: await secretFile('kv-pw-s3cret\n'),
    })
    await postsAndServes(server.base)
    await server.stop()
    expect(server.logs()).not.toContain('kv-pw-s3cret')
  })

  it('an account seed given as --kv-nkey stops start-up with the cause and the fix', async () => {
    const account = newKey('account')
    const path = await secretFile(`${account.seed}\n`)
    const proc = startServer(['-operator', set.operatorPath, '--kv', freshBucket(), '--kv-servers', 'nats://127.0.0.1:1', '--kv-nkey', path])
    await expect(proc).rejects.toThrow(`NKey seed file ${path} holds an account seed (SA…, public key ${account.publicKey}) where a user seed (SU…) is expected`)
    await expect(proc).rejects.toThrow('give --kv-creds the .creds file (or --kv-nkey the seed file) of a user of the account that holds the bucket')
  })
})

describe('rotation on the KV connection', () => {
  it('the seed file replaced, the old user dropped by nats-server: the KV store comes back as the new user', async () => {
    const [u1, u2] = [newKey('user'), newKey('user')]
    const js = await jetStream(`{ nkey: ${u1.publicKey} }, { nkey: ${u2.publicKey} }`)
    const seedPath = await secretFile(`${u1.seed}\n`)
    const server = await startAccountServer({ operator: set.operatorPath, store: kvConfig(js, freshBucket(), { nkey: seedPath }) })
    cleanups.push(() => server.stop())
    await postsAndServes(server.base)
    await writeFile(`${seedPath}.new`, `${u2.seed}\n`, { mode: 0o600 })
    await rename(`${seedPath}.new`, seedPath)
    // The same JetStream data and port, without the old user.
    await js.stop()
    await jetStream(`{ nkey: ${u2.publicKey} }`, { port: js.port, storeDir: js.storeDir })
    await waitFor(() => server.logs().includes(`connecting as the NATS user ${u2.publicKey} (NKey of ${seedPath})`), {
      timeoutMs: 20_000,
      message: `the KV connection to read the new seed:\n${server.logs()}`,
    })
    await waitFor(async () => (await fetch(`${server.base}/jwt/v1/accounts/${A2!.pubkey}`, { method: 'POST', body: set.jwt(A2!) })).status === 200, {
      timeoutMs: 30_000,
      message: 'a POST to the KV store as the new user',
    })
    expect(await (await fetch(`${server.base}/jwt/v1/accounts/${A2!.pubkey}`)).text()).toBe(set.jwt(A2!).trim())
    expect(server.logs()).not.toContain(u1.seed)
    expect(server.logs()).not.toContain(u2.seed)
    expect(await readFile(seedPath, 'utf8')).toContain(u2.seed)
  })
})
