/**
 * Operator mistakes stop the built CLI at start-up with exit 1 and a message that names the
 * file and the fix, instead of a server that runs and fails later (or serves nothing).
 */
import { spawn } from 'node:child_process'
import { chmod, cp, mkdir, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { CLI, runCli, startServer } from '../helpers/cli.js'
import { freePort } from '../helpers/ports.js'
import { tempDir } from '../helpers/tmp.js'

const set = loadFixtureSet('standard')
const accounts = set.accepted.slice(0, 3)

describe('NATS credentials', () => {
  it('exits 1 for a missing creds file, naming it and the fix, before any connection attempt', async () => {
    const missing = join(await tempDir(), 'sys.creds')
    const run = runCli(['-hp', '127.0.0.1:0', '-operator', set.operatorPath, '-nats', `nats://127.0.0.1:${await freePort()}`, '-creds', missing])
    expect(await run.exited).toBe(1)
    expect(run.logs()).toContain(`[ERR] cannot read NATS credentials file ${missing}: ENOENT`)
    expect(run.logs()).toContain('give -creds (nats.creds) the .creds file of a user of the system account')
    expect(run.logs()).not.toContain('connecting to NATS')
  })

  it('exits 1 for a file that is not a .creds file', async () => {
    const run = runCli(['-hp', '127.0.0.1:0', '-nats', `nats://127.0.0.1:${await freePort()}`, '-creds', set.operatorPath])
    expect(await run.exited).toBe(1)
    expect(run.logs()).toContain(`[ERR] NATS credentials file ${set.operatorPath} is not a .creds file: it does not hold a user JWT and its nkey seed`)
  })
})

describe('operator file', () => {
  it('exits 1 when -operator names an nkey seed, saying what the file is and what is expected', async () => {
    const seed = join(set.dir, 'seeds', 'operator.nk')
    const run = runCli(['-hp', '127.0.0.1:0', '-operator', seed])
    expect(await run.exited).toBe(1)
    expect(run.logs()).toContain(`[ERR] operator JWT ${seed} is an nkey seed (a private key), not an operator JWT; keep it secret: the operator setting (-operator) takes the operator JWT`)
  })
})

describe('directory layout', () => {
  async function storeWith(layout: 'flat' | 'sharded'): Promise<string> {
    const dir = await tempDir()
    for (const entry of accounts) {
      const folder = layout === 'flat' ? dir : join(dir, entry.pubkey.slice(-2))
      await mkdir(folder, { recursive: true })
      await writeFile(join(folder, `${entry.pubkey}.jwt`), set.jwt(entry))
    }
    return dir
  }

  it('refuses a sharded store started flat, naming --shard', async () => {
    const dir = await storeWith('sharded')
    const run = runCli(['-hp', '127.0.0.1:0', '-dir', dir])
    expect(await run.exited).toBe(1)
    expect(run.logs()).toContain(`[ERR] store directory ${dir} is sharded (3 JWT files in two-character folders): start with --shard (store.shard: true, NATS_ACCOUNTS_STORE_SHARD=true)`)
  })

  it('refuses a flat store started with --shard', async () => {
    const dir = await storeWith('flat')
    const run = runCli(['-hp', '127.0.0.1:0', '-dir', dir, '--shard'])
    expect(await run.exited).toBe(1)
    expect(run.logs()).toContain(`[ERR] store directory ${dir} is flat (3 JWT files at the top): start without --shard (store.shard: false)`)
  })

  it('starts with the right flag and logs how many accounts the store holds', async () => {
    const dir = await storeWith('sharded')
    const server = await startServer(['-dir', dir, '--shard'])
    expect(server.logs()).toContain(`using the directory store at ${dir} (sharded): 3 accounts`)
    expect((await fetch(`${server.base}/jwt/v1/accounts/${accounts[0]!.pubkey}`)).status).toBe(200)
    await server.stop()
  })

  it('is a usage error (exit 2) to give --shard without -dir, and a start-up error in the config file', async () => {
    const run = runCli(['-hp', '127.0.0.1:0', '--shard'])
    expect(await run.exited).toBe(2)
    const file = join(await tempDir(), 'nas.conf')
    await writeFile(file, 'store { shard: true }\n')
    const fromFile = runCli(['-hp', '127.0.0.1:0', '-c', file])
    expect(await fromFile.exited).toBe(1)
    expect(fromFile.logs()).toContain(`${file}: store.shard needs store.dir`)
  })
})

/**
 * The tests run as root, who may write anywhere whatever the mode says. A real unwritable
 * store: the server runs as an unprivileged user (nobody, as in a container with `USER`) and
 * the store folder belongs to root, read-only (0555), the mistake of a volume prepared by root.
 * Run by another user, the mode alone makes it unwritable.
 */
const asRoot = process.getuid?.() === 0
/** The built CLI where uid 65534 can read it: the checkout's own folders may be private (0700). */
let nobodyCli = CLI

beforeAll(async () => {
  if (!asRoot) return
  const copy = await tempDir()
  await chmod(copy, 0o755)
  const checkout = dirname(dirname(CLI))
  for (const part of ['package.json', 'dist', 'node_modules']) await cp(join(checkout, part), join(copy, part), { recursive: true })
  nobodyCli = join(copy, 'dist', 'cli.js')
}, 120_000)

function runAsNobody(args: string[]): Promise<{ code: number | null; logs: string }> {
  const asNobody = asRoot ? { uid: 65534, gid: 65534 } : {}
  const child = spawn(process.execPath, [nobodyCli, '-hp', '127.0.0.1:0', ...args], { ...asNobody, stdio: ['ignore', 'pipe', 'pipe'] })
  let logs = ''
  child.stdout.on('data', (chunk: Buffer) => (logs += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (logs += chunk.toString()))
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, logs })))
}

async function rootOwnedFolder(): Promise<string> {
  const parent = await tempDir()
  await chmod(parent, 0o755)
  const dir = join(parent, 'store')
  await mkdir(dir)
  await chmod(dir, 0o555)
  return dir
}

describe('unwritable store', () => {
  it('exits 1 for a directory store the server cannot write, naming it and the fix', async () => {
    const dir = await rootOwnedFolder()
    const { code, logs } = await runAsNobody(['-dir', dir])
    expect(logs).toContain(`[ERR] [directory] store directory ${dir} is not writable: EACCES`)
    expect(logs).toContain("give the server's user write access to it")
    expect(code).toBe(1)
  })

  it('exits 1 for a SQLite file the server cannot write, naming it and the fix', async () => {
    const file = join(await rootOwnedFolder(), 'accounts.db')
    const { code, logs } = await runAsNobody(['--sqlite', file])
    expect(logs).toContain(`[ERR] [sqlite] cannot open ${file} for writing:`)
    expect(logs).toContain("give the server's user write access to the file and its folder")
    expect(code).toBe(1)
  })

  it('logs a store failure during a POST at ERR as a server fault (500), not as a rejected JWT', async () => {
    const dir = await tempDir()
    const store = join(dir, 'store')
    const server = await startServer(['-operator', set.operatorPath, '-dir', store])
    // What root cannot write through either: the store folder replaced by a regular file.
    await rm(store, { recursive: true })
    await writeFile(store, '')
    const entry = accounts[0]!
    const res = await fetch(`${server.base}/jwt/v1/accounts/${entry.pubkey}`, { method: 'POST', body: set.jwt(entry) })
    expect(res.status).toBe(500)
    await server.stop()
    // The push line (the store may log the failed read on a line of its own before it).
    const line = server.logs().split('\n').find((l) => l.includes(`account=${entry.pubkey}`) && l.includes('client='))
    expect(line).toMatch(/\[ERR\] push failed, nothing stored: \[directory\] /)
    expect(line).not.toContain('verdict=rejected')
  })
})

describe('-dump', () => {
  it('prints NATS URLs without their password or token', async () => {
    const port = await freePort()
    const server = await startServer(['-dump', '-nats', `nats://nats-user:s3cr3t-pw@127.0.0.1:${port},nats://t0k3n-value@127.0.0.1:${port}`])
    await server.stop()
    expect(server.logs()).toContain(`"nats://nats-user:[REDACTED]@127.0.0.1:${port}"`)
    expect(server.logs()).not.toContain('s3cr3t-pw')
    expect(server.logs()).not.toContain('t0k3n-value')
  })
})
