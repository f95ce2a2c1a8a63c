/**
 * The directory store under faults, with the built CLI on real directories: a corrupt `.jwt`
 * file (empty or garbage) never kills the process nor blocks pack, list or a replacing POST;
 * OS errors answer without file paths (those go to the log); temp files a killed writer left
 * are swept at start-up.
 */
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../helpers/cli.js'
import { loadFixtureSet, natsServerOperatorConfig } from '../helpers/fixtures.js'
import { startNatsServer } from '../helpers/nats-server.js'
import { waitFor } from '../helpers/wait.js'
import { tempDir } from '../helpers/tmp.js'

const set = loadFixtureSet('standard')
const entry = (name: string) => set.manifest.fixtures.find((f) => f.name === name)!
const jwtOf = (name: string) => set.jwt(entry(name)).trim()
const keyOf = (name: string) => entry(name).pubkey!

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

async function serve(args: string[]): Promise<RunningServer> {
  const server = await startServer(['-operator', set.operatorPath, ...args])
  cleanups.push(() => server.stop())
  return server
}

const unreadableGauge = async (server: RunningServer) =>
  Number(/^nats_accounts_store_unreadable_entries (\d+)$/m.exec(await (await fetch(`${server.base}/metrics`)).text())?.[1])

describe('a corrupt .jwt file in a directory store', () => {
  it('is skipped (logged once, counted) while NATS syncs, and a valid POST replaces it', async () => {
    const natsDir = await tempDir()
    for (const name of ['SYS', 'A2']) await writeFile(join(natsDir, `${keyOf(name)}.jwt`), jwtOf(name))
    const nats = await startNatsServer({
      config: `${natsServerOperatorConfig(set)}resolver: { type: full, dir: ${JSON.stringify(natsDir)}, interval: "1s" }\n`,
    })
    cleanups.push(() => nats.stop())
    const dir = await tempDir()
    await writeFile(join(dir, `${keyOf('SYS')}.jwt`), jwtOf('SYS'))
    const empty = join(dir, `${keyOf('A0')}.jwt`)
    const garbage = join(dir, `${keyOf('A1')}.jwt`)
    await writeFile(empty, '')
    await writeFile(garbage, 'garbage\n')
    const server = await serve(['-dir', dir, '-nats', nats.url, '-creds', set.credsPath('SYS')])
    // The PACK exchange at connect reads every file; it used to die here within 3 s.
    await waitFor(async () => (await fetch(`${server.base}/jwt/v1/accounts/${keyOf('A2')}`)).status === 200, {
      timeoutMs: 10_000,
      message: 'A2 merged from the full resolver',
    })
    expect(server.child.exitCode).toBeNull()
    const pack = await fetch(`${server.base}/jwt/v1/pack`)
    expect(pack.status).toBe(200)
    expect((await pack.text()).split('\n').filter(Boolean).map((line) => line.split('|')[0]).sort()).toEqual(
      [keyOf('SYS'), keyOf('A2')].sort(),
    )
    expect(await unreadableGauge(server)).toBe(2)
    const miss = await fetch(`${server.base}/jwt/v1/accounts/${keyOf('A1')}`)
    expect(miss.status).toBe(404)
    expect(await miss.text()).not.toContain(dir)
    for (const path of [empty, garbage]) {
      expect(server.logs().split('\n').filter((line) => line.includes('[ERR]') && line.includes(path))).toHaveLength(1)
    }

    const replaced = await fetch(`${server.base}/jwt/v1/accounts/${keyOf('A1')}`, { method: 'POST', body: jwtOf('A1') })
    expect(replaced.status).toBe(200)
    expect(await readFile(garbage, 'utf8')).toBe(jwtOf('A1'))
    expect(await (await fetch(`${server.base}/jwt/v1/accounts/${keyOf('A1')}`)).text()).toBe(jwtOf('A1'))
    expect(await unreadableGauge(server)).toBe(1)
    expect(server.child.exitCode).toBeNull()
  })
})

describe('directory-store OS errors', () => {
  it('answer with the account and the failure, and log the path', async () => {
    const dir = await tempDir()
    const server = await serve(['-dir', dir, '--shard'])
    // A dangling link where a shard directory should be: the read finds nothing, the write fails.
    const shardOfA2 = join(dir, keyOf('A2').slice(-2))
    await symlink(join(dir, 'nowhere'), shardOfA2)
    // A directory where a JWT file should be: the read fails with EISDIR.
    const readBlocked = join(dir, keyOf('A1').slice(-2), `${keyOf('A1')}.jwt`)
    await mkdir(readBlocked, { recursive: true })
    const failedRead = await fetch(`${server.base}/jwt/v1/accounts/${keyOf('A1')}`)
    expect(failedRead.status).toBe(500)
    const readBody = await failedRead.text()
    expect(readBody).not.toContain(dir)
    expect(readBody).toBe(`error loading JWT: [directory] cannot read the JWT of account ${keyOf('A1')}: EISDIR: illegal operation on a directory\n`)
    expect(server.logs()).toContain(readBlocked)

    const failedWrite = await fetch(`${server.base}/jwt/v1/accounts/${keyOf('A2')}`, { method: 'POST', body: jwtOf('A2') })
    expect(failedWrite.status).toBe(500)
    const writeBody = await failedWrite.text()
    expect(writeBody).toBe(`error saving JWT: [directory] cannot write the JWT of account ${keyOf('A2')}: ENOENT: no such file or directory\n`)
    expect(writeBody).not.toContain(dir)
    expect(server.logs()).toContain(shardOfA2)
  })
})

describe('temp files left by a killed writer', () => {
  for (const shard of [false, true]) {
    it(`are removed at start-up, real JWTs and foreign files stay (shard: ${shard})`, async () => {
      const dir = await tempDir()
      const folderOf = (pubkey: string) => (shard ? join(dir, pubkey.slice(-2)) : dir)
      const kept: string[] = []
      const left: string[] = []
      for (const name of ['A0', 'A1']) {
        const folder = folderOf(keyOf(name))
        await mkdir(folder, { recursive: true })
        await writeFile(join(folder, `${keyOf(name)}.jwt`), jwtOf(name))
        kept.push(join(folder, `${keyOf(name)}.jwt`))
        for (const hex of ['0123456789ab', 'deadbeef0042']) {
          await writeFile(join(folder, `.${keyOf(name)}.jwt.${hex}.tmp`), jwtOf(name).slice(0, 40))
          left.push(join(folder, `.${keyOf(name)}.jwt.${hex}.tmp`))
        }
      }
      const foreign = join(dir, '.notes.0123456789ab.tmp')
      await writeFile(foreign, 'not ours')
      const server = await serve(['-dir', dir, ...(shard ? ['--shard'] : [])])
      const remaining = async (folder: string) => (await readdir(folder)).map((name) => join(folder, name))
      const files = new Set([...(await remaining(dir)), ...(shard ? [...(await remaining(folderOf(keyOf('A0')))), ...(await remaining(folderOf(keyOf('A1'))))] : [])])
      for (const path of left) expect(files.has(path)).toBe(false)
      for (const path of [...kept, foreign]) expect(files.has(path)).toBe(true)
      for (const name of ['A0', 'A1']) {
        expect(await (await fetch(`${server.base}/jwt/v1/accounts/${keyOf(name)}`)).text()).toBe(jwtOf(name))
      }
      expect(server.logs()).toContain('removed 4 temp files')
    })
  }
})
