/**
 * Durable pushes, start-up and memory at scale: POST of new accounts from 16 keep-alive clients
 * (wrk, real signatures, acknowledged after the commit) per store; start-up to the first served
 * GET and the RSS of every process with 100,000 accounts, with the README's production settings.
 * Used by `npm run bench` (run.ts), or alone, which rewrites its section of docs/benchmarks.md:
 * `npm run bench:post -- [--accounts 100000] [--seconds 5] [--runs 3] [--post-workers 1,auto]
 * [--scale-workers 1,auto] [--builds before=old/dist/cli.js,after=dist/cli.js] [--cpu-prof dir]`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { StoredAccount } from '../../src/jwt/types.js'
import { freePort } from '../../test/helpers/ports.js'
import { waitFor } from '../../test/helpers/wait.js'
import { loadDirectory, loadSqlite, mib, postLua, mintFleet, tempDir, type Fleet } from './lib.js'
import { stop } from './servers.js'
import { NODE_FLAGS } from '../../src/node-flags.js'

const BUILT_CLI = new URL('../../../dist/cli.js', import.meta.url).pathname
/** The issue's load: 16 keep-alive clients. */
export const POST_CLIENTS = 16

export type PostOptions = {
  seconds: number
  runs: number
  cpuProfDir?: string
  /** Builds to compare in the same run (label → cli.js). @default this checkout's dist/ */
  builds?: Record<string, string>
}
export type StoreArgs = { name: string; args: (root: string) => string[] }

export const STORES: StoreArgs[] = [
  { name: 'sqlite', args: (root) => ['--sqlite', join(root, 'accounts.db')] },
  { name: 'directory', args: (root) => ['-dir', join(root, 'jwt'), '--shard'] },
]

type Server = { child: ChildProcess; base: string; startupMs: number }

async function startServer(args: string[], workers: string, probeKey: string | null, nodeArgs: string[] = [], cli = BUILT_CLI): Promise<Server> {
  const port = await freePort()
  const started = performance.now()
  const child = spawn(process.execPath, [...NODE_FLAGS, ...nodeArgs, cli, '-hp', `127.0.0.1:${port}`, '--workers', workers, '--log-format', 'json', ...args], {
    stdio: ['ignore', 'ignore', 'ignore'],
  })
  const base = `http://127.0.0.1:${port}`
  const url = probeKey === null ? `${base}/jwt/v1/accounts/` : `${base}/jwt/v1/accounts/${probeKey}`
  await waitFor(() => fetch(url).then((res) => res.status === 200, () => false), {
    timeoutMs: 120_000,
    intervalMs: 10,
    message: 'nats-accounts to serve',
  })
  return { child, base, startupMs: performance.now() - started }
}

/** Resident memory of a process and of each of its children (the workers), in bytes. */
export function rssOfTree(pid: number): number[] {
  const pids = [pid]
  try {
    pids.push(...execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number))
  } catch {
    // no children
  }
  return pids.map((p) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))![1]) * 1024)
}

async function postScript(root: string, accounts: StoredAccount[]): Promise<string> {
  const data = join(root, 'post.txt')
  await writeFile(data, accounts.map((a) => `${a.pubkey} ${a.jwt}`).join('\n'))
  const script = join(root, 'post.lua')
  await writeFile(script, postLua(data))
  return script
}

type PostSample = { rps: number; p99: number; non2xx: number }

function wrkPosts(base: string, script: string, offset: number, seconds: number): PostSample {
  const out = execFileSync('wrk', ['-t1', `-c${POST_CLIENTS}`, `-d${seconds}s`, '--latency', '-s', script, base, '--', String(offset)], {
    encoding: 'utf8',
  })
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(out)!
  const scale = p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]),
    p99: Number(p99[1]) * scale,
    non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
  }
}

export type PostRow = { build: string; store: string; workers: string; sample: PostSample }

/**
 * POSTs of accounts no store holds yet, to an empty store: a warm-up run, then the median of
 * `runs`; every request posts a JWT never posted before.
 */
export async function benchPosts(options: PostOptions, workerSettings: string[]): Promise<PostRow[]> {
  // Enough JWTs that no run wraps around at 6,000/s.
  const perRun = 6000 * options.seconds
  console.error(`[post] minting ${perRun * (options.runs + 1)} new accounts...`)
  const fleet = mintFleet(perRun * (options.runs + 1))
  const rows: PostRow[] = []
  for (const [build, cli] of Object.entries(options.builds ?? { '': BUILT_CLI })) {
    for (const workers of workerSettings) {
      for (const store of STORES) {
        const root = await tempDir()
        const operatorFile = join(root, 'operator.jwt')
        await writeFile(operatorFile, fleet.operatorJwt)
        const script = await postScript(root, fleet.accounts)
        const nodeArgs = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${join(options.cpuProfDir, `${store.name}-${workers}`)}`] : []
        const server = await startServer([...store.args(root), '-operator', operatorFile], workers, null, nodeArgs, cli)
        const samples = Array.from({ length: options.runs + 1 }, (_, run) => wrkPosts(server.base, script, run * perRun, options.seconds)).slice(1)
        await stop(server.child)
        await rm(root, { recursive: true, force: true })
        const sample = samples.sort((a, b) => a.rps - b.rps)[Math.floor(samples.length / 2)]!
        console.error(`[post] ${build} ${store.name} --workers ${workers}: ${Math.round(sample.rps)}/s`)
        rows.push({ build, store: store.name, workers, sample })
      }
    }
  }
  return rows
}

export type ScaleRow = { store: string; workers: string; accounts: number; startupMs: number; rss: number[] }

/**
 * Start-up to the first served GET (median of `runs`), then RSS per process once every account
 * was read through the caches: the keys in turn, one pass for one process, four for several
 * (each connection sticks to one worker: with two, a worker misses about 6 % of the keys). The
 * build measured is the last of `builds`.
 */
export async function benchScale(fleet: Fleet, options: PostOptions, workerSettings: string[]): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = []
  const cli = Object.values(options.builds ?? {}).at(-1) ?? BUILT_CLI
  for (const store of STORES) {
    const root = await tempDir()
    const operatorFile = join(root, 'operator.jwt')
    await writeFile(operatorFile, fleet.operatorJwt)
    console.error(`[scale] loading ${fleet.accounts.length} accounts into ${store.name}`)
    if (store.name === 'sqlite') await loadSqlite(join(root, 'accounts.db'), fleet.accounts)
    else await loadDirectory(join(root, 'jwt'), fleet.accounts)
    const args = [...store.args(root), '-operator', operatorFile]
    const hot = fleet.accounts[fleet.accounts.length - 1]!.pubkey
    const keys = join(root, 'keys.txt')
    await writeFile(keys, fleet.accounts.map((a) => a.pubkey).join('\n'))
    const script = join(root, 'all.lua')
    await writeFile(
      script,
      `
local keys = {}
for line in io.lines("${keys}") do keys[#keys + 1] = line end
local i = 0
request = function() i = i % #keys + 1 return wrk.format("GET", "/jwt/v1/accounts/" .. keys[i]) end
`,
    )
    for (const workers of workerSettings) {
      const startups: number[] = []
      for (let run = 0; run < options.runs; run++) {
        const server = await startServer(args, workers, hot, [], cli)
        startups.push(server.startupMs)
        await stop(server.child)
      }
      const server = await startServer(args, workers, hot, [], cli)
      const walk = (seconds: number) =>
        Number(/Requests\/sec:\s+([\d.]+)/.exec(execFileSync('wrk', ['-t1', `-c${POST_CLIENTS}`, `-d${seconds}s`, '-s', script, server.base], { encoding: 'utf8' }))![1])
      const rate = walk(2)
      const passes = workers === '1' ? 1.2 : 4
      walk(Math.ceil((passes * fleet.accounts.length) / rate))
      const rss = rssOfTree(server.child.pid!)
      await stop(server.child)
      startups.sort((a, b) => a - b)
      rows.push({ store: store.name, workers, accounts: fleet.accounts.length, startupMs: startups[Math.floor(startups.length / 2)]!, rss })
      console.error(`[scale] ${store.name} --workers ${workers}: start-up ${Math.round(startups[0]!)} ms, RSS ${rss.map(mib).join(' + ')}`)
    }
    await rm(root, { recursive: true, force: true })
  }
  return rows
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

export const SECTION = '## Durable pushes, start-up and memory'

/** The section of docs/benchmarks.md these measurements make. */
export function report(posts: PostRow[], scale: ScaleRow[], options: PostOptions, load: { before: number[]; after: number[] }): string[] {
  const loadavg = (l: number[]) => l.map((n) => n.toFixed(1)).join(', ')
  const lines = [
    SECTION,
    '',
    `Run ${new Date().toISOString()} (\`npm run bench:post\`, or with \`npm run bench\`) on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'};`,
    `load average (1, 5, 15 min) ${loadavg(load.before)} at the start and ${loadavg(load.after)} at the end: other work shared the machine.`,
    '',
    `POST of new accounts (each JWT posted once, signature checked, acknowledged once durable) from`,
    `${POST_CLIENTS} keep-alive clients (wrk -t1 -c${POST_CLIENTS}), ${options.seconds} s per run, median of ${options.runs} after a warm-up run, on an`,
    `empty store, \`--log-format json\`.${options.builds ? ` Builds compared in the same run: ${Object.keys(options.builds).join(', ')}.` : ''}`,
    '',
    '| build | store | --workers | POST new accounts/s | p99 ms | non-2xx/3xx |',
    '| --- | --- | --- | --- | --- | --- |',
    ...posts.map((r) => `| ${r.build || 'this'} | ${r.store} | ${r.workers} | ${fmt(r.sample.rps)} | ${r.sample.p99.toFixed(2)} | ${r.sample.non2xx} |`),
  ]
  if (scale.length > 0) {
    lines.push(
      '',
      `Start-up (process start to the first served GET of an account, median of ${options.runs}) and RSS per process (the`,
      '`--workers` primary first) after every account was read through the caches, `--log-format json`.',
      '',
      '| store | --workers | accounts | start-up | RSS all processes | per process |',
      '| --- | --- | --- | --- | --- | --- |',
      ...scale.map(
        (r) =>
          `| ${r.store} | ${r.workers} | ${fmt(r.accounts)} | ${fmt(r.startupMs)} ms | ${mib(r.rss.reduce((a, b) => a + b, 0))} | ${r.rss.map(mib).join(' + ')} |`,
      ),
    )
  }
  return lines
}

/** Replaces (or appends) this section of a report file. */
export async function writeSection(file: string, lines: string[]): Promise<void> {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : ''
  const start = text.indexOf(SECTION)
  const next = start === -1 ? -1 : text.indexOf('\n## ', start + SECTION.length)
  const before = start === -1 ? text.trimEnd() : text.slice(0, start).trimEnd()
  const after = next === -1 ? '' : text.slice(next)
  await writeFile(file, `${before}\n\n${lines.join('\n')}\n${after}`)
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href
if (isMain) {
  const { values } = parseArgs({
    options: {
      accounts: { type: 'string', default: '100000' },
      seconds: { type: 'string', default: '5' },
      runs: { type: 'string', default: '3' },
      /** --workers settings to measure POSTs with ('' for none) */
      'post-workers': { type: 'string', default: '1,auto' },
      /** --workers settings for start-up and RSS ('' for none) */
      'scale-workers': { type: 'string', default: '1,auto' },
      'cpu-prof': { type: 'string' },
      /** label=path/to/cli.js,… : builds compared in the same run */
      builds: { type: 'string' },
      out: { type: 'string', default: 'docs/benchmarks.md' },
    },
  })
  const options: PostOptions = {
    seconds: Number(values.seconds),
    runs: Number(values.runs),
    cpuProfDir: values['cpu-prof'],
    builds: values.builds === undefined ? undefined : Object.fromEntries(values.builds.split(',').map((b) => b.split('=') as [string, string])),
  }
  const load = { before: loadavg(), after: [] as number[] }
  const list = (text: string) => text.split(',').filter(Boolean)
  const posts = list(values['post-workers']).length > 0 ? await benchPosts(options, list(values['post-workers'])) : []
  const accounts = Number(values.accounts)
  const scaleWorkers = list(values['scale-workers'])
  const scale = accounts > 0 && scaleWorkers.length > 0 ? await benchScale(mintFleet(accounts), options, scaleWorkers) : []
  load.after = loadavg()
  const lines = report(posts, scale, options, load)
  await writeSection(values.out, lines)
  console.log(lines.join('\n'))
}
