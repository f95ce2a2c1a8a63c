/**
 * The NATS KV store in `npm run bench` (alone: `npm run bench:kv -- --accounts 100000`): a real
 * 3-node nats-server cluster on loopback with an R3 bucket, the built CLI on it. Start-up time
 * to the first served GET with the bucket full, GET hit and 304 (served from the cache, as on
 * SQLite), POSTs accepted per second, and propagation from the instance that accepted a POST
 * to a second instance serving it (p50/p99).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { connect } from '@nats-io/transport-node'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { kvStore } from '../../src/store/drivers/kv.js'
import { sqliteStore } from '../../src/store/drivers/sqlite.js'
import type { JwtStore } from '../../src/store/types.js'
import { mintAccount } from '../../test/helpers/mint.js'
import { KV_ACCOUNTS_CONFIG, kvServers, startNatsCluster } from '../../test/helpers/nats-cluster.js'
import { freePort } from '../../test/helpers/ports.js'
import { waitFor } from '../../test/helpers/wait.js'
import { mintFleet, postLua, tempDir, type Fleet } from './lib.js'
import { stop } from './servers.js'
import { NODE_FLAGS } from '../../src/node-flags.js'

export type KvBenchOptions = { accounts: number; seconds: number; runs: number; workers: string }

const CLI = new URL('../../../dist/cli.js', import.meta.url).pathname
const BUCKET = 'accounts_bench'
const CONNECTIONS = 50
const PROPAGATION_SAMPLES = 300
const POSTS = 60_000

type Rate = { rps: number; p50: number; p99: number; non2xx: number }

function milliseconds(text: string): number {
  const match = /([\d.]+)(us|ms|s)/.exec(text)!
  const value = Number(match[1])
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value
}

function wrk(url: string, seconds: number, options: { script?: string; header?: string } = {}): Rate {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency']
  if (options.script) args.push('-s', options.script)
  if (options.header) args.push('-H', options.header)
  const out = execFileSync('wrk', [...args, url], { encoding: 'utf8' })
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]),
    p50: milliseconds(/\s50%\s+(\S+)/.exec(out)![1]!),
    p99: milliseconds(/\s99%\s+(\S+)/.exec(out)![1]!),
    non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
  }
}

function median(samples: Rate[]): Rate {
  return [...samples].sort((a, b) => a.rps - b.rps)[Math.floor(samples.length / 2)]!
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

/** Fills a store through its driver, many writes in flight. */
async function load(store: JwtStore, fleet: Fleet): Promise<number> {
  const started = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: 256 }, async () => {
      for (let i = next++; i < fleet.accounts.length; i = next++) await store.put(fleet.accounts[i]!, { kind: 'import' })
    }),
  )
  const ms = performance.now() - started
  await store.close()
  return ms
}

type Instance = { child: ChildProcess; base: string; startupMs: number }

async function startInstance(args: string[], probeKey: string): Promise<Instance> {
  const port = await freePort()
  const started = performance.now()
  const child = spawn(process.execPath, [...NODE_FLAGS, CLI, '-hp', `127.0.0.1:${port}`, '--log-format', 'json', ...args], {
    stdio: ['ignore', 'ignore', 'ignore'],
  })
  const base = `http://127.0.0.1:${port}`
  await waitFor(() => fetch(`${base}/jwt/v1/accounts/${probeKey}`).then((res) => res.status === 200, () => false), {
    timeoutMs: 300_000,
    intervalMs: 10,
    message: 'nats-accounts to serve',
  })
  return { child, base, startupMs: performance.now() - started }
}

/** Milliseconds from a POST's 200 on `from` to `to` serving the JWT, one account re-issued each time. */
async function propagation(from: string, to: string, fleet: Fleet): Promise<number[]> {
  const { pubkey, iat } = fleet.accounts[1]!
  // Each re-issue one second newer than the last, from the minted one on: within the clock skew.
  const first = iat + 1
  const samples: number[] = []
  for (let i = 0; i < PROPAGATION_SAMPLES; i++) {
    const jwt = mintAccount(pubkey, fleet.operator, { iat: first + i })
    const res = await fetch(`${from}/jwt/v1/accounts/${pubkey}`, { method: 'POST', body: jwt })
    await res.arrayBuffer()
    if (res.status !== 200) throw new Error(`POST answered ${res.status}`)
    const accepted = performance.now()
    for (;;) {
      const served = await fetch(`${to}/jwt/v1/accounts/${pubkey}`)
      if ((await served.text()) === jwt) break
      if (performance.now() - accepted > 30_000) throw new Error(`${to} did not serve the new JWT within 30 s`)
    }
    samples.push(performance.now() - accepted)
  }
  return samples.sort((a, b) => a - b)
}

/** Runs the KV cases; returns the Markdown section for docs/benchmarks.md. */
export async function kvBench(options: KvBenchOptions): Promise<string[]> {
  const { accounts, seconds, runs, workers } = options
  const root = await tempDir()
  console.error(`[kv] minting ${accounts} accounts and ${POSTS} more for the POSTs...`)
  const fleet = mintFleet(accounts)
  const fresh = mintFleet(POSTS).accounts.map((a) => {
    const jwt = mintAccount(a.pubkey, fleet.operator)
    return { ...readStoredMeta(jwt), jwt }
  })
  const operatorFile = join(root, 'operator.jwt')
  await writeFile(operatorFile, fleet.operatorJwt)
  await writeFile(join(root, 'keys.txt'), fleet.accounts.map((a) => a.pubkey).join('\n'))
  await writeFile(join(root, 'new.txt'), fresh.map((a) => `${a.pubkey} ${a.jwt}`).join('\n'))
  await writeFile(join(root, 'hit.lua'), `
local keys = {}
for line in io.lines("${join(root, 'keys.txt')}") do keys[#keys + 1] = line end
request = function() return wrk.format("GET", "/jwt/v1/accounts/" .. keys[math.random(#keys)]) end
`)
  await writeFile(join(root, 'post.lua'), postLua(join(root, 'new.txt')))

  const hot = fleet.accounts[0]!
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
  const instances: Instance[] = []
  /** Start-up, GET hit, GET 304 and POSTs of one instance (`--workers`) on a full store. */
  const measure = async (storeArgs: string[]) => {
    const instance = await startInstance([...storeArgs, '-operator', operatorFile, '--workers', workers], hot.pubkey)
    instances.push(instance)
    wrk(instance.base, Math.max(seconds, Math.ceil((4 * accounts) / 8000)), { script: join(root, 'hit.lua') })
    const hit = median(Array.from({ length: runs }, () => wrk(instance.base, seconds, { script: join(root, 'hit.lua') })))
    const etag = (await fetch(`${instance.base}/jwt/v1/accounts/${hot.pubkey}`)).headers.get('etag')!
    const notModified = median(Array.from({ length: runs }, () => wrk(`${instance.base}/jwt/v1/accounts/${hot.pubkey}`, seconds, { header: `If-None-Match: ${etag}` })))
    const posts = wrk(instance.base, seconds, { script: join(root, 'post.lua') })
    return { instance, startupMs: instance.startupMs, hit, notModified, posts }
  }
  const row = (name: string, sqlite: string, kv: string, target: string) => `| ${name} | ${sqlite} | ${kv} | ${target} |`
  const rate = (r: Rate, what = 'req/s') => `${fmt(r.rps)} ${what}, p99 ${r.p99.toFixed(2)} ms${r.non2xx > 0 ? `, ${r.non2xx} non-2xx` : ''}`

  console.error('[kv] SQLite, for comparison under the same load...')
  const sqliteFile = join(root, 'accounts.db')
  await load(await sqliteStore({ file: sqliteFile }), fleet)
  const sqlite = await measure(['--sqlite', sqliteFile])
  await stop(sqlite.instance.child)

  console.error('[kv] starting a 3-node nats-server cluster, filling an R3 bucket...')
  const cluster = await startNatsCluster({ config: KV_ACCOUNTS_CONFIG })
  try {
    await cluster.waitHealthy()
    const bucket = await kvStore({ bucket: BUCKET, connect: () => connect({ servers: cluster.urls, user: 'kv', pass: 'kv' }), replicas: 3 })
    const loadMs = await load(bucket, fleet)
    console.error('[kv] measuring start-up, GETs, POSTs and propagation...')
    const kvArgs = ['--kv', BUCKET, '--kv-servers', kvServers(cluster)]
    const kv = await measure(kvArgs)
    const second = await startInstance([...kvArgs, '-operator', operatorFile], hot.pubkey)
    instances.push(second)
    const lag = await propagation(kv.instance.base, second.base, fleet)
    return [
      '',
      '## NATS KV store',
      '',
      `A 3-node nats-server ${execFileSync('/usr/sbin/nats-server', ['--version'], { encoding: 'utf8' }).trim().replace(/^nats-server: /, '')} cluster on loopback (same machine), one R3`,
      `bucket holding ${fmt(accounts)} accounts (filled through the driver at ${fmt((accounts / loadMs) * 1000)} puts/s, 256 in flight), beside`,
      `SQLite measured in the same way just before. Instances run with --workers ${workers}; for propagation a second instance`,
      `(one process) polls. wrk -t1 -c${CONNECTIONS}, ${seconds} s, median of ${runs} runs for GETs, one run of POSTs of new accounts.`,
      '',
      '| case | SQLite | KV (R3) | target |',
      '| --- | --- | --- | --- |',
      row(`start-up to the first served GET, ${fmt(accounts)} accounts`, `${fmt(sqlite.startupMs)} ms`, `${fmt(kv.startupMs)} ms`, '< 5,000 ms'),
      row('GET hit (random keys)', rate(sqlite.hit), rate(kv.hit), 'as SQLite'),
      row('GET 304 (If-None-Match)', rate(sqlite.notModified), rate(kv.notModified), 'as SQLite'),
      row('POST new accounts', rate(sqlite.posts, 'accepted/s'), rate(kv.posts, 'accepted/s'), 'KV ≥ 1,000/s'),
      row(
        `propagation: POST answered by one instance → served by another (${PROPAGATION_SAMPLES} samples)`,
        '–',
        `p50 ${percentile(lag, 50).toFixed(1)} ms, p99 ${percentile(lag, 99).toFixed(1)} ms, max ${lag.at(-1)!.toFixed(1)} ms`,
        'p99 < 100 ms',
      ),
    ]
  } finally {
    for (const instance of instances) await stop(instance.child)
    await cluster.stop()
  }
}

const standalone = process.argv[1]?.endsWith('/bench/kv.js') === true
if (standalone) {
  const { values } = parseArgs({
    options: {
      accounts: { type: 'string', default: '100000' },
      seconds: { type: 'string', default: '5' },
      runs: { type: 'string', default: '3' },
      workers: { type: 'string', default: '2' },
    },
  })
  const lines = await kvBench({ accounts: Number(values.accounts), seconds: Number(values.seconds), runs: Number(values.runs), workers: values.workers })
  console.log(lines.join('\n'))
}
