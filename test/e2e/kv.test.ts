/**
 * The kv store with the built CLI and a real nats-server with JetStream: start-up failures that
 * name their cause and fix, two servers on one bucket, and migration in and out (import from a
 * running SQLite server's pack and from the Go server's directory, export to a directory that a
 * nats-server full resolver reads).
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, startServer, type RunningServer } from '../helpers/cli.js'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { freshBucket, startJetStream } from '../helpers/kv.js'
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js'
import { freePort } from '../helpers/ports.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const set = loadFixtureSet('standard')
const op = ['-operator', set.operatorPath]

async function run(args: string[]) {
  const proc = runCli(args)
  const code = await proc.exited
  return { code, out: proc.logs() }
}

let js: NatsServer
const running: { stop(): Promise<unknown> }[] = []
beforeAll(async () => {
  js = await startJetStream()
})
afterAll(async () => {
  await Promise.all(running.splice(0).map((server) => server.stop()))
  await js.stop()
}, 120_000)

async function serve(args: string[]): Promise<RunningServer> {
  const server = await startServer(args)
  running.push(server)
  return server
}

describe('kv store: start-up', () => {
  it('exits 1 when the servers are out of reach, naming them and the fix', async () => {
    const port = await freePort()
    const result = await run(['--kv', 'accounts', '--kv-servers', `nats://127.0.0.1:${port}`, ...op])
    expect(result.code).toBe(1)
    expect(result.out).toContain(`cannot connect to the NATS servers of KV bucket accounts (nats://127.0.0.1:${port})`)
    expect(result.out).toContain('check --kv-servers (store.kv.servers), --kv-creds (store.kv.creds)')
  })

  it('uses user:password@ from the URL, never logs the password, and exits 1 for a wrong one', async () => {
    const guarded = await startJetStream({ config: 'authorization { user: kvuser, password: "s3cret-pw" }' })
    running.push(guarded)
    const wrong = await run(['--kv', 'accounts', '--kv-servers', `nats://kvuser:wrong-pw@127.0.0.1:${guarded.port}`, ...op])
    expect(wrong.code).toBe(1)
    expect(wrong.out).toContain(`cannot connect to the NATS servers of KV bucket accounts (nats://kvuser:[REDACTED]@127.0.0.1:${guarded.port})`)
    expect(wrong.out).toMatch(/authorization violation/i)
    expect(wrong.out).not.toContain('wrong-pw')
    const server = await serve(['--kv', 'accounts', '--kv-servers', `nats://kvuser:s3cret-pw@127.0.0.1:${guarded.port}`, '-dump', ...op])
    await waitFor(() => server.logs().includes('effective configuration'), { message: 'the dump' })
    expect(server.logs()).toContain('using the NATS KV store, bucket accounts: 0 accounts')
    expect(server.logs()).not.toContain('s3cret-pw')
  })

  it('exits 1 for a missing creds file, and when the account has no JetStream', async () => {
    const missing = await run(['--kv', 'accounts', '--kv-servers', js.url, '--kv-creds', '/nonexistent/kv.creds', ...op])
    expect(missing.code).toBe(1)
    expect(missing.out).toContain('cannot read the KV credentials file /nonexistent/kv.creds')
    const plain = await startNatsServer()
    running.push(plain)
    const noJs = await run(['--kv', 'accounts', '--kv-servers', plain.url, ...op])
    expect(noJs.code).toBe(1)
    expect(noJs.out).toContain(`cannot open KV bucket accounts on ${plain.url}`)
    expect(noJs.out).toContain('the servers run JetStream for the account that holds the bucket')
  })
})

describe('kv store: the local snapshot at start-up', () => {
  it('starts from the snapshot when the bucket is down: GETs served, POSTs 503 with the reason', async () => {
    const own = await startJetStream()
    running.push(own)
    const snapshot = join(await tempDir(), 'kv.snapshot')
    const kv = ['--kv', freshBucket(), '--kv-servers', own.url, '--kv-snapshot', snapshot, ...op]
    const [stored, later] = set.accepted.filter((e) => e.pubkey !== set.systemAccount)
    const first = await serve(kv)
    expect((await fetch(`${first.base}/jwt/v1/accounts/${stored!.pubkey}`, { method: 'POST', body: set.jwt(stored!) })).status).toBe(200)
    expect(await first.stop()).toBe(0)
    await own.stop()
    const second = await serve(kv)
    expect(second.logs()).toContain('serving 1 account from the snapshot')
    const served = await fetch(`${second.base}/jwt/v1/accounts/${stored!.pubkey}`)
    expect(served.status).toBe(200)
    expect(await served.text()).toBe(set.jwt(stored!).trim())
    const refused = await fetch(`${second.base}/jwt/v1/accounts/${later!.pubkey}`, { method: 'POST', body: set.jwt(later!) })
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('2')
    expect(await refused.text()).toMatch(/^store unavailable, retry: \[kv\] cannot store \S+: serving the local snapshot of KV bucket/)
    expect((await fetch(`${second.base}/jwt/v1/accounts/${later!.pubkey}`)).status).toBe(404)
  }, 120_000)
})

describe('kv store: two servers on one bucket', () => {
  it('serves on one server what was posted to the other, with its history', async () => {
    const bucket = freshBucket()
    const kv = ['--kv', bucket, '--kv-servers', js.url, ...op]
    const a = await serve(kv)
    const b = await serve(kv)
    const entry = set.accepted.find((e) => e.pubkey !== set.systemAccount)!
    const posted = await fetch(`${a.base}/jwt/v1/accounts/${entry.pubkey}`, { method: 'POST', body: set.jwt(entry) })
    expect(posted.status).toBe(200)
    const served = await waitFor(
      async () => {
        const res = await fetch(`${b.base}/jwt/v1/accounts/${entry.pubkey}`)
        return res.status === 200 ? res.text() : null
      },
      { timeoutMs: 10_000, message: 'b to serve the JWT posted to a' },
    )
    expect(served).toBe(set.jwt(entry).trim())
    const history = (await (await fetch(`${b.base}/jwt/v1/accounts/${entry.pubkey}/history`)).json()) as { jti: string }[]
    expect(history.map((h) => h.jti)).toEqual([entry.jti])
  }, 90_000)
})

describe('kv store: migration in and out', () => {
  it('imports a running SQLite server (its pack) and the Go server directory layout, then exports to a directory', async () => {
    const old = await serve(['--sqlite', join(await tempDir(), 'old.db'), ...op])
    for (const entry of set.accepted) {
      await fetch(`${old.base}/jwt/v1/accounts/${entry.pubkey}`, { method: 'POST', body: set.jwt(entry) })
    }
    const bucket = freshBucket()
    const kv = ['--kv', bucket, '--kv-servers', js.url]
    const fromPack = await run(['import', old.base, ...kv, ...op])
    expect(fromPack.code).toBe(0)
    expect(fromPack.out).toContain(`importing ${old.base} into the NATS KV store, bucket ${bucket}`)
    expect(fromPack.out).toContain(`${set.accepted.length} stored, 0 unchanged, 0 stale, 0 rejected, 0 skipped`)

    const goDir = await tempDir()
    for (const entry of set.accepted) {
      await mkdir(join(goDir, entry.pubkey.slice(-2)), { recursive: true })
      await writeFile(join(goDir, entry.pubkey.slice(-2), `${entry.pubkey}.jwt`), `${set.jwt(entry).trim()}\n`)
    }
    const fromDir = await run(['import', goDir, ...kv, ...op])
    expect(fromDir.code).toBe(0)
    expect(fromDir.out).toContain(`0 stored, ${set.accepted.length} unchanged, 0 stale, 0 rejected, 0 skipped`)

    const target = await tempDir()
    const exported = await run(['export', target, ...kv])
    expect(exported.code).toBe(0)
    expect(exported.out).toContain(`${set.accepted.length} exported`)
    expect((await readdir(target)).sort()).toEqual(set.accepted.map((e) => `${e.pubkey}.jwt`).sort())
    for (const entry of set.accepted) {
      expect(await readFile(join(target, `${entry.pubkey}.jwt`), 'utf8')).toBe(set.jwt(entry).trim())
    }
    const server = await serve([...kv, ...op])
    const history = (await (await fetch(`${server.base}/jwt/v1/accounts/${set.accepted[0]!.pubkey}/history`)).json()) as {
      source: string
      source_detail: string
    }[]
    expect(history).toEqual([expect.objectContaining({ source: 'import' })])
  }, 180_000)
})
