/**
 * The resolver's reads beside nginx, in the same run: GET hit (random keys) and GET 304, for
 * nats-accounts in one process and with --workers N, and nginx serving the same sharded
 * directory. The three run in turn, run after run (nginx, one process, workers, then again), so a
 * load that comes and goes on the machine falls on all of them; each figure is the median of the
 * runs. `npm run bench` adds this table to docs/benchmarks.md; alone:
 * `npm run bench:reads -- --sizes 1000,100000 --runs 3 --seconds 5 --workers 2`; `--cli old/dist/cli.js`
 * measures another build of nats-accounts (an earlier commit's) beside the same nginx.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { freePort } from '../../test/helpers/ports.js'
import { mintFleet, tempDir } from './lib.js'
import { loadDirectory } from './lib.js'
import { median, need, startNginx, stop, waitUntilServing, wrk, type Sample } from './servers.js'
import { NODE_FLAGS } from '../../src/node-flags.js'

const CLI = new URL('../../../dist/cli.js', import.meta.url).pathname

export type ReadsOptions = {
  sizes: number[]
  runs: number
  seconds: number
  workers: string
  connections: number
  /** The build measured (its dist/cli.js). @default this checkout's */
  cli?: string
}

type Target = { name: 'nginx' | 'one' | 'workers'; base: string; child: ChildProcess; etag: string }
export type ReadRow = { size: number; case: string } & Record<Target['name'], Sample>

/** nats-accounts with the README's production settings (one process unless `workers`). */
async function startOurs(cli: string, args: string[], workers: string, probe: string): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort()
  const child = spawn(
    process.execPath,
    [...NODE_FLAGS, cli, '-hp', `127.0.0.1:${port}`, '--workers', workers, '--log-format', 'json', ...args],
    { stdio: 'ignore' },
  )
  const base = `http://127.0.0.1:${port}`
  await waitUntilServing(`${base}/jwt/v1/accounts/${probe}`, (status) => status === 200, 'nats-accounts to serve')
  return { child, base }
}

async function measureSize(size: number, options: ReadsOptions): Promise<ReadRow[]> {
  const root = await tempDir()
  console.error(`[reads ${size}] minting ${size} accounts...`)
  const fleet = mintFleet(size)
  const dir = join(root, 'jwt')
  await loadDirectory(dir, fleet.accounts)
  const operator = join(root, 'operator.jwt')
  await writeFile(operator, fleet.operatorJwt)
  await writeFile(join(root, 'keys.txt'), fleet.accounts.map((a) => a.pubkey).join('\n'))
  const hitScript = join(root, 'hit.lua')
  await writeFile(
    hitScript,
    `local keys = {}
for line in io.lines("${join(root, 'keys.txt')}") do keys[#keys + 1] = line end
request = function() return wrk.format("GET", "/jwt/v1/accounts/" .. keys[math.random(#keys)]) end
`,
  )
  const hot = fleet.accounts[0]!.pubkey
  const hotPath = `/jwt/v1/accounts/${hot}`
  const args = ['-dir', dir, '--shard', '-operator', operator]
  const cli = options.cli ?? CLI
  const started = [
    { name: 'nginx' as const, ...(await startNginx(dir)) },
    { name: 'one' as const, ...(await startOurs(cli, args, '1', hot)) },
    { name: 'workers' as const, ...(await startOurs(cli, args, options.workers, hot)) },
  ]
  const targets: Target[] = []
  for (const target of started) targets.push({ ...target, etag: (await fetch(`${target.base}${hotPath}`)).headers.get('etag')! })
  const run = (base: string, extra: { script?: string; header?: string; seconds?: number }, path = '') =>
    wrk(`${base}${path}`, { seconds: options.seconds, connections: options.connections, ...extra })
  try {
    console.error(`[reads ${size}] warming up (every account requested about four times by each server)...`)
    for (const { base } of targets) run(base, { script: hitScript, seconds: Math.max(options.seconds, Math.ceil((4 * size) / 8000)) })
    const samples = { hit: new Map<string, Sample[]>(), notModified: new Map<string, Sample[]>() }
    const add = (map: Map<string, Sample[]>, name: string, sample: Sample) => map.set(name, [...(map.get(name) ?? []), sample])
    for (let i = 0; i < options.runs; i++) {
      console.error(`[reads ${size}] run ${i + 1} of ${options.runs}`)
      for (const { name, base, etag } of targets) {
        add(samples.hit, name, run(base, { script: hitScript }))
        add(samples.notModified, name, run(base, { header: `If-None-Match: ${etag}` }, hotPath))
      }
    }
    const row = (label: string, map: Map<string, Sample[]>): ReadRow => ({
      size,
      case: label,
      nginx: median(map.get('nginx')!),
      one: median(map.get('one')!),
      workers: median(map.get('workers')!),
    })
    return [row('GET hit (random keys)', samples.hit), row('GET 304 (If-None-Match)', samples.notModified)]
  } finally {
    for (const { child } of targets) await stop(child)
    await rm(root, { recursive: true, force: true })
  }
}

export async function measureReads(options: ReadsOptions): Promise<ReadRow[]> {
  need('wrk', 'wrk')
  need('nginx', 'nginx-light')
  const rows: ReadRow[] = []
  for (const size of options.sizes) rows.push(...(await measureSize(size, options)))
  return rows
}

/** The Markdown section for docs/benchmarks.md. */
export function readsSection(rows: ReadRow[], options: ReadsOptions): string[] {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
  const cell = (sample: Sample, nginx: Sample) => `${fmt(sample.rps)} | ${sample.p99.toFixed(2)} | ${(sample.rps / nginx.rps).toFixed(2)}×`
  const lines = [
    '## Resolver reads: one process, --workers and nginx',
    '',
    `GET hit and GET 304 with wrk -t1 -c${options.connections}, ${options.seconds} s per run, median of ${options.runs} runs; nginx, nats-accounts`,
    `in one process and nats-accounts with --workers ${options.workers} take turns in every run (after a warm-up that requests`,
    'every account about four times), so the ratios compare figures taken under the same load. All three serve the same',
    'sharded directory; nats-accounts runs with `--log-format json` and the V8 settings of `npm start` (`src/node-flags.ts`).',
    ...(options.cli ? [`The nats-accounts build measured: ${options.cli}.`] : []),
    '',
    `| accounts | case | nginx req/s | nginx p99 ms | one process req/s | p99 ms | × nginx | --workers ${options.workers} req/s | p99 ms | × nginx |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ]
  for (const row of rows) {
    lines.push(`| ${fmt(row.size)} | ${row.case} | ${fmt(row.nginx.rps)} | ${row.nginx.p99.toFixed(2)} | ${cell(row.one, row.nginx)} | ${cell(row.workers, row.nginx)} |`)
  }
  const hits = rows.filter((row) => row.case.startsWith('GET hit'))
  if (hits.length > 1) {
    const [small, large] = [hits[0]!, hits.at(-1)!]
    lines.push(
      '',
      `GET hit with ${fmt(large.size)} accounts against ${fmt(small.size)}: one process ${((large.one.rps / small.one.rps) * 100).toFixed(0)} %, ` +
        `--workers ${options.workers} ${((large.workers.rps / small.workers.rps) * 100).toFixed(0)} %, nginx ${((large.nginx.rps / small.nginx.rps) * 100).toFixed(0)} %.`,
    )
  }
  return lines
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '1000,100000' },
      runs: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '5' },
      workers: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
      cli: { type: 'string' },
    },
  })
  const options = {
    sizes: values.sizes.split(',').map(Number),
    runs: Number(values.runs),
    seconds: Number(values.seconds),
    workers: values.workers,
    connections: Number(values.connections),
    cli: values.cli,
  }
  console.log(readsSection(await measureReads(options), options).join('\n'))
}
