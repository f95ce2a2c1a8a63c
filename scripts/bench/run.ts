/**
 * `npm run bench`: nats-accounts beside nginx serving the same sharded directory as static
 * files, on this machine, with wrk on loopback. For each store (directory, SQLite) and size
 * (1,000 and 100,000 accounts, real signatures): GET hit, GET 304, GET miss, the resolver
 * probe, POST of new and of re-issued accounts; start-up time and RSS. Median of 3 runs per
 * case. Writes docs/benchmarks.md. Options: --sizes 1000,100000 --runs 3 --seconds 5
 * --workers 1 (the production setting the README recommends; the reads, POSTs and memory are
 * also measured with --workers 2 and auto beside it).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { readStoredMeta } from '../../src/jwt/decode.js'
import type { StoredAccount } from '../../src/jwt/types.js'
import { mintAccount } from '../../test/helpers/mint.js'
import { freePort } from '../../test/helpers/ports.js'
import { kvBench } from './kv.js'
import { loadDirectory, loadSqlite, mib, postLua, mintFleet, randomAccountKey, tempDir, type Fleet } from './lib.js'
import { benchPosts, benchScale, report as durabilityReport } from './post.js'
import { measureReads, readsSection } from './reads.js'
import { median, need, startNginx, stop, waitUntilServing, wrk as runWrk, type Sample, type WrkOptions } from './servers.js'
import { NODE_FLAGS } from '../../src/node-flags.js'

const { values: opts } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,100000' },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    workers: { type: 'string', default: '1' },
    out: { type: 'string', default: 'docs/benchmarks.md' },
  },
})
const SIZES = opts.sizes.split(',').map(Number)
const RUNS = Number(opts.runs)
const SECONDS = Number(opts.seconds)
const WORKERS = opts.workers
const CONNECTIONS = 50
/** JWTs per POST case: enough that no run posts one twice (each run starts at its own offset). */
const POSTS = 60_000
const POSTS_PER_RUN = Math.floor(POSTS / RUNS)
const CLI = new URL('../../../dist/cli.js', import.meta.url).pathname

type Row = { store: string; size: number; case: string; sample: Sample; nginx?: Sample; rss?: number }

const wrk = (url: string, options: Partial<WrkOptions> = {}) => runWrk(url, { seconds: SECONDS, connections: CONNECTIONS, ...options })

function runs(fn: () => Sample, warmUp: () => unknown = fn): Sample {
  warmUp() // fills caches (ours and the page cache), lets the JIT settle
  return median(Array.from({ length: RUNS }, fn))
}

/** Resident memory of a process and its children (the workers), in bytes: total and largest. */
function rssOf(pid: number): { total: number; largest: number } {
  const pids = [pid]
  try {
    pids.push(...execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number))
  } catch {
    // no children
  }
  let total = 0
  let largest = 0
  for (const p of pids) {
    const status = readFileSync(`/proc/${p}/status`, 'utf8')
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024
    total += rss
    largest = Math.max(largest, rss)
  }
  return { total, largest }
}

async function startOurs(args: string[], probeKey: string): Promise<{ child: ChildProcess; base: string; startupMs: number }> {
  const port = await freePort()
  const started = performance.now()
  // The production settings the README recommends: JSON logs, the V8 settings of npm start.
  const child = spawn(process.execPath, [...NODE_FLAGS, CLI, '-hp', `127.0.0.1:${port}`, '--workers', WORKERS, '--log-format', 'json', ...args], {
    stdio: ['ignore', 'ignore', 'ignore'],
  })
  const base = `http://127.0.0.1:${port}`
  await waitUntilServing(`${base}/jwt/v1/accounts/${probeKey}`, (status) => status === 200, 'nats-accounts to serve')
  return { child, base, startupMs: performance.now() - started }
}

/** Lua for wrk: GETs of random keys from a file, or POSTs of the lines `<key> <jwt>` in turn. */
async function luaScripts(dir: string, fleet: Fleet, reissued: StoredAccount[], fresh: StoredAccount[]) {
  await writeFile(join(dir, 'keys.txt'), fleet.accounts.map((a) => a.pubkey).join('\n'))
  await writeFile(join(dir, 'missing.txt'), Array.from({ length: 10_000 }, randomAccountKey).join('\n'))
  await writeFile(join(dir, 'new.txt'), fresh.map((a) => `${a.pubkey} ${a.jwt}`).join('\n'))
  await writeFile(join(dir, 'reissued.txt'), reissued.map((a) => `${a.pubkey} ${a.jwt}`).join('\n'))
  const getScript = (file: string) => `
local keys = {}
for line in io.lines("${join(dir, file)}") do keys[#keys + 1] = line end
request = function() return wrk.format("GET", "/jwt/v1/accounts/" .. keys[math.random(#keys)]) end
`
  const postScript = (file: string) => postLua(join(dir, file))
  const scripts = {
    hit: join(dir, 'hit.lua'),
    miss: join(dir, 'miss.lua'),
    postNew: join(dir, 'post-new.lua'),
    postReissued: join(dir, 'post-reissued.lua'),
  }
  await writeFile(scripts.hit, getScript('keys.txt'))
  await writeFile(scripts.miss, getScript('missing.txt'))
  await writeFile(scripts.postNew, postScript('new.txt'))
  await writeFile(scripts.postReissued, postScript('reissued.txt'))
  return scripts
}

type Rss = { total: number; largest: number }

async function bench(size: number): Promise<{ rows: Row[]; startup: Record<string, number>; rss: Record<string, { serving: Rss; afterPosts: Rss }> }> {
  const root = await tempDir()
  console.error(`[${size}] minting ${size} accounts, ${POSTS} new, ${POSTS} re-issued...`)
  const fleet = mintFleet(size)
  const later = Math.floor(Date.now() / 1000)
  // Round after round over the accounts, each round issued a second later than the previous.
  const reissued = Array.from({ length: POSTS }, (_, i) => {
    const jwt = mintAccount(fleet.accounts[i % size]!.pubkey, fleet.operator, { iat: later + Math.floor(i / size), name: `re-${i}` })
    return { ...readStoredMeta(jwt), jwt }
  })
  const fresh = mintFleet(POSTS).accounts.map((a) => {
    const jwt = mintAccount(a.pubkey, fleet.operator, { iat: later })
    return { ...readStoredMeta(jwt), jwt }
  })
  const operatorFile = join(root, 'operator.jwt')
  await writeFile(operatorFile, fleet.operatorJwt)
  const scripts = await luaScripts(root, fleet, reissued, fresh)
  const hot = fleet.accounts[0]!
  const rows: Row[] = []
  const startup: Record<string, number> = {}
  const rss: Record<string, { serving: Rss; afterPosts: Rss }> = {}

  const dir = join(root, 'jwt')
  await loadDirectory(dir, fleet.accounts)
  const nginx = await startNginx(dir)
  const nginxEtag = (await fetch(`${nginx.base}/jwt/v1/accounts/${hot.pubkey}`)).headers.get('etag')!
  const ceiling = {
    hit: runs(() => wrk(nginx.base, { script: scripts.hit })),
    notModified: runs(() => wrk(`${nginx.base}/jwt/v1/accounts/${hot.pubkey}`, { header: `If-None-Match: ${nginxEtag}` })),
    miss: runs(() => wrk(nginx.base, { script: scripts.miss })),
  }
  await stop(nginx.child)

  const stores = [
    { name: 'directory', args: ['-dir', dir, '--shard'], load: async () => undefined },
    { name: 'sqlite', args: ['--sqlite', join(root, 'accounts.db')], load: () => loadSqlite(join(root, 'accounts.db'), fleet.accounts) },
  ]
  for (const store of stores) {
    console.error(`[${size}] ${store.name}: loading and measuring`)
    await store.load()
    const ours = await startOurs([...store.args, '-operator', operatorFile], hot.pubkey)
    startup[store.name] = ours.startupMs
    const add = (name: string, sample: Sample, nginxSample?: Sample) => rows.push({ store: store.name, size, case: name, sample, nginx: nginxSample })
    // Steady state: every account requested a few times, so each worker has it cached; then
    // more rounds until the rate stops climbing (a slow store fills the caches later).
    const warm = () => {
      let last = wrk(ours.base, { script: scripts.hit, seconds: Math.max(SECONDS, Math.ceil((4 * size) / 8000)) }).rps
      for (let round = 0; round < 20; round++) {
        const next = wrk(ours.base, { script: scripts.hit }).rps
        if (next < last * 1.05) break
        last = next
      }
    }
    add('GET hit (random keys)', runs(() => wrk(ours.base, { script: scripts.hit }), warm), ceiling.hit)
    const etag = (await fetch(`${ours.base}/jwt/v1/accounts/${hot.pubkey}`)).headers.get('etag')!
    add('GET 304 (If-None-Match)', runs(() => wrk(`${ours.base}/jwt/v1/accounts/${hot.pubkey}`, { header: `If-None-Match: ${etag}` })), ceiling.notModified)
    add('GET miss (404)', runs(() => wrk(ours.base, { script: scripts.miss })), ceiling.miss)
    add('resolver probe', runs(() => wrk(`${ours.base}/jwt/v1/accounts/`)))
    const serving = rssOf(ours.child.pid!)
    const posts = (script: string) => median(Array.from({ length: RUNS }, (_, run) => wrk(ours.base, { script, offset: run * POSTS_PER_RUN })))
    add('POST new accounts', posts(scripts.postNew))
    add('POST re-issued accounts', posts(scripts.postReissued))
    rss[store.name] = { serving, afterPosts: rssOf(ours.child.pid!) }
    await stop(ours.child)
  }
  await rm(root, { recursive: true, force: true })
  return { rows, startup, rss }
}

need('wrk', 'wrk')
need('nginx', 'nginx-light')
const results = []
for (const size of SIZES) results.push(await bench(size))
// One process against --workers 2 (or the setting measured above, when it is not one process).
const readOptions = { sizes: SIZES, runs: RUNS, seconds: SECONDS, workers: WORKERS === '1' ? '2' : WORKERS, connections: CONNECTIONS }
const reads = await measureReads(readOptions)

/** nginx -v prints to stderr, wrk --version exits 1: take whatever it printed first. */
const version = (cmd: string, args: string[]) => {
  const run = spawnSync(cmd, args, { encoding: 'utf8' })
  return `${run.stdout}${run.stderr}`.trim().split('\n')[0]
}
const ratio = (row: Row) => (row.nginx ? `${(row.sample.rps / row.nginx.rps).toFixed(2)}×` : '–')
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const lines = [
  '# Benchmarks',
  '',
  `Run ${new Date().toISOString()} with \`npm run bench\` on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${mib(totalmem())} RAM,`,
  `Node ${process.version}, ${version('nginx', ['-v'])}, ${version('wrk', ['--version'])}. Load: wrk -t1 -c${CONNECTIONS}`,
  `on loopback, ${SECONDS} s per run, median of ${RUNS} runs after a warm-up run (for GET hits, long enough to request`,
  `every account about four times, then until the rate stops climbing); wrk shares the machine with the`,
  `servers. nats-accounts runs with --workers ${WORKERS}; nginx with one worker per CPU, sendfile and open_file_cache,`,
  'serving the same sharded directory (`/jwt/v1/accounts/<key>` → `<dir>/<last 2>/<key>.jwt`). POSTs are',
  'durable (acknowledged after fsync/commit) and include signature verification.',
  '',
  '| accounts | store | case | req/s | p50 ms | p99 ms | non-2xx/3xx | nginx req/s | nginx p99 ms | ratio to nginx |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
]
for (const { rows } of results) {
  for (const row of rows) {
    lines.push(`| ${fmt(row.size)} | ${row.store} | ${row.case} | ${fmt(row.sample.rps)} | ${row.sample.p50.toFixed(2)} | ${row.sample.p99.toFixed(2)} | ${row.sample.non2xx} | ${row.nginx ? fmt(row.nginx.rps) : '–'} | ${row.nginx ? row.nginx.p99.toFixed(2) : '–'} | ${ratio(row)} |`)
  }
}
lines.push(
  '',
  `RSS: of the primary and its workers together, and of the largest process; "serving" after the GET runs (every`,
  `account cached by every worker), then after the POST runs (new and re-issued accounts).`,
  '',
  '| accounts | store | start-up to first served GET | RSS serving: all processes | largest | RSS after the POSTs: all | largest |',
  '| --- | --- | --- | --- | --- | --- | --- |',
)
for (const [i, { startup, rss }] of results.entries()) {
  for (const store of Object.keys(startup)) {
    const { serving, afterPosts } = rss[store]!
    lines.push(`| ${fmt(SIZES[i]!)} | ${store} | ${fmt(startup[store]!)} ms | ${mib(serving.total)} | ${mib(serving.largest)} | ${mib(afterPosts.total)} | ${mib(afterPosts.largest)} |`)
  }
}
lines.push(...(await kvBench({ accounts: Math.max(...SIZES), seconds: SECONDS, runs: RUNS, workers: WORKERS })))
lines.push('', ...readsSection(reads, readOptions))
// Durable POSTs from 16 clients, start-up and RSS at the largest size, per --workers setting.
const load = { before: loadavg(), after: [] as number[] }
const durability = { seconds: SECONDS, runs: RUNS }
const workerSettings = [...new Set(['1', WORKERS, 'auto'])]
const posts = await benchPosts(durability, workerSettings)
const scale = await benchScale(mintFleet(Math.max(...SIZES)), durability, workerSettings)
load.after = loadavg()
lines.push('', ...durabilityReport(posts, scale, durability, load))
const report = `${lines.join('\n')}\n`
await writeFile(opts.out, report)
console.log(report)
