/**
 * Migration in and out, end to end with the built CLI and a real nats-server 2.9: imports from
 * the Go server's directory layout, an nsc store and packs (file, URL, primary); exports read
 * back by nats-server as a full-resolver directory and as a MEMORY-resolver configuration.
 */
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, credsAuthenticator } from '@nats-io/transport-node'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli, startServer } from '../helpers/cli.js'
import { loadFixtureSet, natsServerOperatorConfig } from '../helpers/fixtures.js'
import { startNatsServer } from '../helpers/nats-server.js'
import { tempDir } from '../helpers/tmp.js'

const set = loadFixtureSet('standard')
const op = ['-operator', set.operatorPath]
const byName = (name: string) => set.manifest.fixtures.find((f) => f.name === name)!

async function run(args: string[], cwd?: string) {
  const proc = runCli(args, { cwd })
  const code = await proc.exited
  return { code, out: proc.logs() }
}

/** Every accepted fixture, the way the Go server stored them: sharded, trailing newline kept. */
async function goStoreDir(): Promise<string> {
  const dir = await tempDir()
  for (const entry of set.accepted) {
    await mkdir(join(dir, entry.pubkey.slice(-2)), { recursive: true })
    await writeFile(join(dir, entry.pubkey.slice(-2), `${entry.pubkey}.jwt`), `${set.jwt(entry).trim()}\n`)
  }
  return dir
}

async function expectUsersConnect(config: string) {
  const nats = await startNatsServer({ config })
  try {
    for (const cred of set.manifest.creds) {
      const nc = await connect({
        servers: nats.url,
        authenticator: credsAuthenticator(await readFile(set.credsPath(cred.account))),
        reconnect: false,
      })
      await nc.flush()
      await nc.close()
    }
  } finally {
    await nats.stop()
  }
}

const servers: { stop(): Promise<unknown> }[] = []
afterAll(async () => {
  for (const server of servers) await server.stop()
})

describe('nats-accounts import', () => {
  it('imports the Go server directory layout, reporting deleted and rejected files', async () => {
    const source = await goStoreDir()
    const foreign = byName('foreign-operator')
    await writeFile(join(source, `${foreign.pubkey}.jwt`), set.jwt(foreign))
    await writeFile(join(source, `${byName('A0').pubkey}.jwt.deleted`), set.jwt(byName('A0')))
    const db = join(await tempDir(), 'a.db')
    const first = await run(['import', source, '--sqlite', db, ...op])
    expect(first.code).toBe(1)
    for (const entry of set.accepted) {
      expect(first.out).toMatch(new RegExp(`^stored +${entry.pubkey} ${entry.pubkey.slice(-2)}/${entry.pubkey}\\.jwt$`, 'm'))
    }
    expect(first.out).toMatch(new RegExp(`^rejected +${foreign.pubkey} ${foreign.pubkey}\\.jwt: untrusted issuer in request: issuer ${foreign.issuer} is not operator`, 'm'))
    expect(first.out).toMatch(/^skipped +- +AAQ66\S+\.jwt\.deleted: deleted account \(nats-server tombstone\)$/m)
    expect(first.out).toContain('6 stored, 0 unchanged, 0 stale, 1 rejected, 1 skipped')
    const again = await run(['import', await goStoreDir(), '--sqlite', db, ...op])
    expect(again.code).toBe(0)
    expect(again.out).toContain('0 stored, 6 unchanged, 0 stale, 0 rejected, 0 skipped')
  })

  it('imports an nsc store: accounts in, operator and user JWTs skipped', async () => {
    const nsc = join(await tempDir(), 'nats', 'TestOperator')
    await mkdir(join(nsc, 'accounts', 'A1', 'users'), { recursive: true })
    await copyFile(set.operatorPath, join(nsc, 'TestOperator.jwt'))
    await writeFile(join(nsc, 'accounts', 'A1', 'A1.jwt'), set.jwt(byName('A1')))
    const userJwt = (await readFile(set.credsPath('A1'), 'utf8')).split('\n')[1]!
    await writeFile(join(nsc, 'accounts', 'A1', 'users', 'A1-user.jwt'), userJwt)
    const dir = await tempDir()
    const result = await run(['import', join(nsc, '..', '..'), '-dir', dir, ...op])
    expect(result.code).toBe(0)
    expect(result.out).toMatch(new RegExp(`^stored +${byName('A1').pubkey} nats/TestOperator/accounts/A1/A1\\.jwt$`, 'm'))
    expect(result.out).toMatch(/^skipped .* nats\/TestOperator\/TestOperator\.jwt: operator JWT$/m)
    expect(result.out).toMatch(/^skipped .*\/users\/A1-user\.jwt: user JWT$/m)
    expect(await readdir(dir)).toEqual([`${byName('A1').pubkey}.jwt`])
  })

  it('imports a pack file and a pack URL, newest wins, and a dry run writes nothing', async () => {
    const packFile = join(await tempDir(), 'pack.txt')
    const r = byName('R')
    const rOld = byName('R-old')
    await writeFile(packFile, `${r.pubkey}|${set.jwt(r).trim()}\n\n${rOld.pubkey}|${set.jwt(rOld).trim()}\nnot a line\n`)
    const db = join(await tempDir(), 'p.db')
    const dry = await run(['import', packFile, '--sqlite', db, '--dry-run', ...op])
    expect(dry.out).toContain('dry run, nothing written: 1 stored, 0 unchanged, 1 stale, 0 rejected, 1 skipped')
    expect(dry.out).toMatch(new RegExp(`^would store +${r.pubkey} ${packFile.replace(/[.]/g, '\\.')}:1$`, 'm'))
    expect(dry.out).not.toMatch(/^stored /m)
    const exported = await tempDir()
    expect((await run(['export', exported, '--sqlite', db])).out).toContain('0 exported')
    const real = await run(['import', packFile, '--sqlite', db, ...op])
    expect(real.code).toBe(0)
    expect(real.out).toMatch(new RegExp(`^stale +${r.pubkey} ${packFile.replace(/[.]/g, '\\.')}:3: stale JWT in request: `, 'm'))
    expect(real.out).toMatch(/^skipped .*:4: line is not <pubkey>\|<jwt>$/m)

    const primary = await startServer(['-dir', await tempDir(), ...op])
    servers.push(primary)
    for (const entry of set.accepted) {
      await fetch(`${primary.base}/jwt/v1/accounts/${entry.pubkey}`, { method: 'POST', body: set.jwt(entry) })
    }
    const fromUrl = await run(['import', `${primary.base}/jwt/v1`, '--sqlite', join(await tempDir(), 'u.db'), ...op])
    expect(fromUrl.code).toBe(0)
    expect(fromUrl.out).toContain('6 stored, 0 unchanged, 0 stale, 0 rejected, 0 skipped')
  })

  it('needs an operator to check what it imports', async () => {
    const result = await run(['import', await goStoreDir(), '--sqlite', join(await tempDir(), 'x.db')])
    expect(result.code).toBe(1)
    expect(result.out).toContain('this command needs -operator <operator JWT file>')
  })
})

describe('nats-accounts export', () => {
  async function storeWithFixtures() {
    const db = join(await tempDir(), 's.db')
    expect((await run(['import', await goStoreDir(), '--sqlite', db, ...op])).code).toBe(0)
    return db
  }

  it('exports a flat directory that a nats-server full resolver serves users from', async () => {
    const db = await storeWithFixtures()
    const dir = join(await tempDir(), 'jwt')
    const dry = await run(['export', dir, '--sqlite', db, '--dry-run'])
    expect(dry.out).toContain('6 exported, 0 unchanged, 0 stale (newer in the target), 0 deleted in the target, 0 skipped (dry run, nothing written)')
    await expect(readdir(dir)).resolves.toEqual([])
    const result = await run(['export', dir, '--sqlite', db])
    expect(result.code).toBe(0)
    expect((await readdir(dir)).sort()).toEqual(set.accepted.map((e) => `${e.pubkey}.jwt`).sort())
    await expectUsersConnect(`${natsServerOperatorConfig(set)}resolver: { type: full, dir: ${JSON.stringify(dir)} }\n`)
  })

  it('exports a sharded directory with --shard, readable as a -dir store', async () => {
    const db = await storeWithFixtures()
    const dir = await tempDir()
    expect((await run(['export', dir, '--sqlite', db, '--shard'])).code).toBe(0)
    const a0 = byName('A0').pubkey!
    expect(await readdir(join(dir, a0.slice(-2)))).toContain(`${a0}.jwt`)
    const reexport = await tempDir()
    expect((await run(['export', reexport, '-dir', dir])).out).toContain('6 exported')
  })

  it('exports a MEMORY-resolver configuration nats-server starts from, with the directory export\'s summary', async () => {
    const db = await storeWithFixtures()
    const file = join(await tempDir(), 'resolver.conf')
    const result = await run(['export', file, '--format', 'config', '--sqlite', db, ...op])
    expect(result.code).toBe(0)
    expect(result.out).toContain('6 exported, 0 unchanged, 0 stale (newer in the target), 0 deleted in the target, 0 skipped\n')
    const config = await readFile(file, 'utf8')
    expect(config).toContain(`system_account: ${set.systemAccount}`)
    expect(config).toContain('resolver: MEMORY')
    await expectUsersConnect(config)
    const stdout = runCli(['export', '-', '--format', 'config', '--sqlite', db, ...op])
    let text = ''
    stdout.child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()))
    expect(await stdout.exited).toBe(0)
    expect(text).toBe(config)
    expect(stdout.logs()).toContain('6 exported, 0 unchanged, 0 stale (newer in the target), 0 deleted in the target, 0 skipped\n')
    const dry = join(await tempDir(), 'dry.conf')
    const dryRun = await run(['export', dry, '--format', 'config', '--sqlite', db, '--dry-run', ...op])
    expect(dryRun.out).toContain('6 exported, 0 unchanged, 0 stale (newer in the target), 0 deleted in the target, 0 skipped (dry run, nothing written)')
    expect(dryRun.out).toMatch(new RegExp(`^would export +${set.systemAccount} `, 'm'))
    await expect(readFile(dry)).rejects.toThrow('ENOENT')
  })

  it('writes what --format says, and refuses to guess for - and *.conf (exit 2, nothing written)', async () => {
    const db = await storeWithFixtures()
    const parent = await tempDir()
    for (const [target, message] of [
      [join(parent, 'x.conf'), `export ${join(parent, 'x.conf')} needs --format config (a nats-server configuration) or --format dir (a directory); see --help\n`],
      ['-', 'export - writes a nats-server configuration to stdout: it needs --format config; see --help\n'],
    ] as const) {
      const refused = await run(['export', target, '--sqlite', db, ...op])
      expect(refused.code).toBe(2)
      expect(refused.out).toBe(message)
    }
    expect(await readdir(parent)).toEqual([])
    const asDir = await run(['export', join(parent, 'x.conf'), '--format', 'dir', '--sqlite', db])
    expect(asDir.code).toBe(0)
    expect((await readdir(join(parent, 'x.conf'))).length).toBe(6)
    const asConfig = await run(['export', join(parent, 'resolver.txt'), '--format', 'config', '--sqlite', db, ...op])
    expect(asConfig.code).toBe(0)
    expect(await readFile(join(parent, 'resolver.txt'), 'utf8')).toContain('resolver: MEMORY')
  })

  it('refuses a configuration without the system account in the store', async () => {
    const db = join(await tempDir(), 'e.db')
    const single = await run(['import', join(set.dir, byName('A1').path), '--sqlite', db, ...op])
    expect(single.out).toContain('1 stored, 0 unchanged, 0 stale, 0 rejected, 0 skipped')
    const result = await run(['export', join(await tempDir(), 'x.conf'), '--format', 'config', '--sqlite', db, ...op])
    expect(result.code).toBe(1)
    expect(result.out).toContain(`the system account ${set.systemAccount} is not in the store`)
  })
})

describe('serve', () => {
  it('stores into ./data/accounts.db by default and keeps everything across restarts and kill -9', async () => {
    const cwd = await tempDir()
    const a1 = byName('A1')
    const first = await startServer(op, { cwd })
    servers.push(first)
    expect(first.logs()).toContain('using the SQLite store at ./data/accounts.db')
    expect((await fetch(`${first.base}/jwt/v1/accounts/${a1.pubkey}`, { method: 'POST', body: set.jwt(a1) })).status).toBe(200)
    first.child.kill('SIGKILL')
    await first.exited
    expect(await readdir(join(cwd, 'data'))).toContain('accounts.db')
    const second = await startServer(op, { cwd })
    servers.push(second)
    expect(await (await fetch(`${second.base}/jwt/v1/accounts/${a1.pubkey}`)).text()).toBe(set.jwt(a1).trim())
  })

  it('copies every JWT of a -primary at start-up, and starts anyway when the primary is down', async () => {
    const primary = await startServer(['-dir', await tempDir(), ...op])
    servers.push(primary)
    for (const entry of set.accepted) {
      await fetch(`${primary.base}/jwt/v1/accounts/${entry.pubkey}`, { method: 'POST', body: set.jwt(entry) })
    }
    const replica = await startServer(['-dir', await tempDir(), ...op, '-primary', primary.base])
    servers.push(replica)
    expect(replica.logs()).toContain(`grabbing initial JWT pack from primary ${primary.base}`)
    for (const entry of set.accepted) {
      expect(await (await fetch(`${replica.base}/jwt/v1/accounts/${entry.pubkey}`)).text()).toBe(set.jwt(entry).trim())
    }
    await primary.stop()
    const orphan = await startServer(['-dir', await tempDir(), ...op, '-primary', primary.base])
    servers.push(orphan)
    expect(orphan.logs()).toContain('unable to initialize from primary')
    expect(orphan.logs()).toContain('will use what is on disk')
  })
})
