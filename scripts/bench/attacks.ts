/**
 * The figures of issue 11's HTTP attacks, measured on the built server (or another build:
 * `--cli <path to cli.js>`): RSS and resolver GET latency under concurrent full packs, idle
 * connections left open, `?decode=true` time on a large JWT, bytes read of an endless chunked
 * POST before the answer, resets after a routed 413, and control characters in redirects.
 * `npm run bench:attacks -- [--cli path] [--accounts 30000] [--packs 20] [--only packs,decode,...]`
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { sqliteStore } from '../../src/store/drivers/sqlite.js'
import { mintAccount } from '../../test/helpers/mint.js'
import { mib, mintFleet, randomAccountKey, tempDir } from './lib.js'

const { values } = parseArgs({
  options: {
    cli: { type: 'string', default: new URL('../../../dist/cli.js', import.meta.url).pathname },
    accounts: { type: 'string', default: '30000' },
    packs: { type: 'string', default: '20' },
    /** Comma-separated part names (the functions below); all by default. */
    only: { type: 'string' },
  },
})
const CLI = values.cli!

/**
 * GETs its URL every 10 ms until SIGTERM (after 5 warm-up GETs), then prints the median and
 * slowest in ms, and the count; a GET still unanswered counts with the time it has waited.
 */
const RESOLVER_PROBE = `
const times = []
let since = null
process.on('SIGTERM', () => {
  if (since !== null) times.push(performance.now() - since)
  times.sort((a, b) => a - b)
  console.log(Math.round(times[Math.floor(times.length / 2)] ?? 0), Math.round(times.at(-1) ?? 0), times.length)
  process.exit(0)
})
for (let i = 0; ; i++) {
  const started = performance.now()
  if (i >= 5) since = started
  await (await fetch(process.argv[1])).arrayBuffer()
  since = null
  if (i >= 5) times.push(performance.now() - started)
  await new Promise((resolve) => setTimeout(resolve, 10))
}
`

type Server = { child: ChildProcess; base: string; port: number; logs: () => string }

async function start(args: string[]): Promise<Server> {
  const child = spawn(process.execPath, [CLI, '-hp', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()))
  for (;;) {
    const url = /resolver: URL\((\S+)\)/.exec(log)?.[1]
    if (url) {
      const { origin, port } = new URL(url)
      return { child, base: origin, port: Number(port), logs: () => log }
    }
    if (child.exitCode !== null) throw new Error(`server exited: ${log}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  return Number(kb) * 1024
}

async function packs(root: string): Promise<void> {
  const count = Number(values.accounts)
  const fleet = mintFleet(count)
  const file = join(root, 'packs.db')
  const store = await sqliteStore({ file })
  await Promise.all(fleet.accounts.map((account) => store.put(account, { kind: 'import' })))
  await store.close()
  const server = await start(['--sqlite', file])
  try {
    const probe = fleet.accounts[0]!.pubkey
    for (let i = 0; i < 50; i++) await (await fetch(`${server.base}/jwt/v1/accounts/${probe}`)).arrayBuffer()
    const idle = rssOf(server.child.pid!)
    let peak = idle
    let running = true
    const sampler = (async () => {
      while (running) {
        peak = Math.max(peak, rssOf(server.child.pid!))
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    })()
    // The resolver's view from a process of its own, so this one's reading does not count.
    const getter = spawn(process.execPath, ['--input-type=module', '-e', RESOLVER_PROBE, `${server.base}/jwt/v1/accounts/${probe}`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let probeOutput = ''
    getter.stdout!.on('data', (chunk: Buffer) => (probeOutput += chunk.toString()))
    const started = performance.now()
    const statuses = await Promise.all(
      Array.from({ length: Number(values.packs) }, async () => {
        const res = await fetch(`${server.base}/jwt/v1/pack?max=-1`)
        let lines = 1
        for await (const chunk of res.body!) for (const byte of chunk as Uint8Array) if (byte === 10) lines++
        return `${res.status}:${lines}`
      }),
    )
    const seconds = (performance.now() - started) / 1000
    running = false
    await sampler
    const gotten = new Promise((resolve) => getter.once('exit', resolve))
    getter.kill('SIGTERM')
    await gotten
    const [medianGet, slowestGet, gets] = probeOutput.trim().split(' ').map(Number)
    console.log(`pack: ${count} accounts, ${values.packs} concurrent GET /jwt/v1/pack?max=-1 -> ${[...new Set(statuses)].join(', ')} (status:lines)`)
    console.log(`  RSS idle ${mib(idle)}, peak ${mib(peak)}; all packs read in ${seconds.toFixed(1)} s; resolver GETs meanwhile: ${gets}, median ${medianGet} ms, slowest ${slowestGet} ms`)
  } finally {
    server.child.kill('SIGKILL')
  }
}

async function idleConnections(root: string): Promise<void> {
  const server = await start(['--sqlite', join(root, 'idle.db')])
  try {
    const sockets = await Promise.all(
      Array.from({ length: 500 }, () => new Promise<ReturnType<typeof connect>>((resolve) => {
        const socket = connect(server.port, '127.0.0.1', () => resolve(socket))
        socket.on('error', () => undefined)
      })),
    )
    await new Promise((resolve) => setTimeout(resolve, 8000))
    const open = sockets.filter((s) => !s.destroyed && !s.readableEnded).length
    console.log(`idle: 500 connections that send nothing, still open after 8 s: ${open}`)
    for (const socket of sockets) socket.destroy()
  } finally {
    server.child.kill('SIGKILL')
  }
}

async function decode(root: string): Promise<void> {
  const fleet = mintFleet(0)
  const operatorFile = join(root, 'operator.jwt')
  await writeFile(operatorFile, fleet.operatorJwt)
  const server = await start(['--sqlite', join(root, 'decode.db'), '-operator', operatorFile])
  try {
    for (const quotes of [10_000, 20_000, 40_000, 300_000]) {
      const key = randomAccountKey()
      const jwt = mintAccount(key, fleet.operator, { extra: { zz: { token: '"'.repeat(quotes) } } })
      await (await fetch(`${server.base}/jwt/v1/accounts/${key}`, { method: 'POST', body: jwt })).arrayBuffer()
      const started = performance.now()
      try {
        const res = await fetch(`${server.base}/jwt/v1/accounts/${key}?decode=true`, { signal: AbortSignal.timeout(60_000) })
        await res.arrayBuffer()
        console.log(`decode: ${(jwt.length / 1024).toFixed(0)} KB JWT (${quotes} quotes in a "token") -> ${res.status} in ${((performance.now() - started) / 1000).toFixed(2)} s`)
      } catch {
        console.log(`decode: ${(jwt.length / 1024).toFixed(0)} KB JWT (${quotes} quotes in a "token") -> no answer within 60 s`)
        return
      }
    }
  } finally {
    server.child.kill('SIGKILL')
  }
}

/** Sends chunks until the answer arrives (or 30 s): bytes sent, seconds, status line. */
async function endlessChunked(root: string): Promise<void> {
  const server = await start(['--sqlite', join(root, 'chunked.db')])
  try {
    const socket = connect(server.port, '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    let answer = ''
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()))
    socket.on('error', () => undefined)
    socket.write(`POST /jwt/v1/accounts/${randomAccountKey()} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`)
    const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 'a'), Buffer.from('\r\n')])
    const started = performance.now()
    let sent = 0
    while (answer === '' && !socket.destroyed && performance.now() - started < 30_000) {
      if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve))
      sent += 0x10000
    }
    const seconds = (performance.now() - started) / 1000
    console.log(`chunked: endless POST body, answered after ${mib(sent)} sent, ${seconds.toFixed(2)} s: ${answer.split('\r\n')[0] || 'no answer'}`)
    socket.destroy()
  } finally {
    server.child.kill('SIGKILL')
  }
}

/** A 2 MiB POST on the routed path, repeated: how many clients saw a reset instead of a FIN. */
async function routed413(root: string): Promise<void> {
  const server = await start(['--sqlite', join(root, '413.db')])
  const tries = 50
  let resets = 0
  let keepAlive = 0
  try {
    for (let i = 0; i < tries; i++) {
      const socket = connect(server.port, '127.0.0.1')
      let answer = ''
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()))
      const outcome = await new Promise<string>((resolve) => {
        socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'))
        socket.on('close', () => resolve('closed'))
        socket.write(`POST /jwt/v1/accounts/${randomAccountKey()}?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n`)
        socket.write(Buffer.alloc(2 * 1024 * 1024, 'a'))
      })
      if (outcome !== 'closed') resets++
      if (/connection: keep-alive/i.test(answer)) keepAlive++
    }
    console.log(`routed 413: ${tries} POSTs of 2 MiB: ${resets} reset (ECONNRESET/EPIPE), ${keepAlive} advertised keep-alive`)
  } finally {
    server.child.kill('SIGKILL')
  }
}

async function redirects(root: string): Promise<void> {
  const server = await start(['--sqlite', join(root, 'redirect.db')])
  try {
    const statuses = new Map<number, number>()
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${server.base}/jwt/v1/accounts/a%0A${i}/`, { redirect: 'manual' })
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
    const stackLines = server.logs().split('\n').filter((line) => /^\s+at |\\n\s+at /.test(line)).length
    console.log(`redirects: 100 GETs of /jwt/v1/accounts/a%0A<n>/ -> ${[...statuses].map(([s, n]) => `${n}x ${s}`).join(', ')}; log: ${server.logs().split('\n').length} lines, ${stackLines} with stack frames`)
  } finally {
    server.child.kill('SIGKILL')
  }
}

const parts = { redirects, routed413, endlessChunked, idleConnections, decode, packs }
const only = values.only ? values.only.split(',') : Object.keys(parts)
const root = await tempDir()
console.log(`server: ${CLI}`)
for (const [name, part] of Object.entries(parts)) if (only.includes(name)) await part(root)
