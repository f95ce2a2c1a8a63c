/**
 * Store benchmark: durable saves/s and loads/s per driver, start-up time of the built server to
 * its first served account, and the size on disk. `npm run bench:store -- [count]`.
 */
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { directoryStore } from '../../src/store/drivers/directory.js'
import { sqliteStore } from '../../src/store/drivers/sqlite.js'
import type { JwtStore } from '../../src/store/types.js'
import { mib, mintFleet, rate, sizeOf, tempDir } from './lib.js'

const count = Number(process.argv[2] ?? 100_000)
const CLI = new URL('../../../dist/cli.js', import.meta.url).pathname

async function timeToFirstServe(args: string[], pubkey: string): Promise<number> {
  const started = performance.now()
  const child = spawn(process.execPath, [CLI, '-hp', '127.0.0.1:0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()))
  try {
    for (;;) {
      const url = /resolver: URL\((\S+)\)/.exec(log)?.[1]
      if (url) {
        const res = await fetch(`${url}${pubkey}`)
        if (res.status === 200) return performance.now() - started
        throw new Error(`first GET answered ${res.status}`)
      }
      if (child.exitCode !== null) throw new Error(`server exited: ${log}`)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  } finally {
    child.kill('SIGKILL')
  }
}

async function bench(name: string, open: () => Promise<JwtStore>, location: string, serveArgs: string[], fleet: ReturnType<typeof mintFleet>) {
  const store = await open()
  let started = performance.now()
  for (const account of fleet.accounts) await store.put(account, { kind: 'import' })
  const saveMs = performance.now() - started
  await store.close()
  const reopened = await open()
  const order = fleet.accounts.map((a) => a.pubkey).sort(() => Math.random() - 0.5)
  started = performance.now()
  for (const pubkey of order) {
    if ((await reopened.get(pubkey)) === null) throw new Error(`lost ${pubkey}`)
  }
  const loadMs = performance.now() - started
  await reopened.close()
  const startupMs = await timeToFirstServe(serveArgs, fleet.accounts[0]!.pubkey)
  return { name, saves: rate(count, saveMs), loads: rate(count, loadMs), startup: `${Math.round(startupMs)} ms`, size: mib(await sizeOf(location)) }
}

const root = await tempDir()
const mintStarted = performance.now()
const fleet = mintFleet(count)
console.error(`minted ${count} signed accounts in ${Math.round(performance.now() - mintStarted)} ms`)
const operatorFile = join(root, 'operator.jwt')
await writeFile(operatorFile, fleet.operatorJwt)
const db = join(root, 'accounts.db')
const dir = join(root, 'jwt')
const rows = [
  await bench('sqlite', () => sqliteStore({ file: db }), root, ['--sqlite', db, '-operator', operatorFile], fleet),
  await bench('directory (sharded)', () => directoryStore({ dir, shard: true }), dir, ['-dir', dir, '--shard', '-operator', operatorFile], fleet),
]
console.log(`\n${count.toLocaleString('en-US')} accounts, one durable put at a time\n`)
console.log('| driver | saves/s | loads/s | start-up to first served GET | size on disk |')
console.log('| --- | --- | --- | --- | --- |')
for (const r of rows) console.log(`| ${r.name} | ${r.saves} | ${r.loads} | ${r.startup} | ${r.size} |`)
