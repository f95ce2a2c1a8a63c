/**
 * `npm run bench:smoke`: a few seconds, no wrk: the built server (one process), GET hits and
 * POSTs from keep-alive clients in this process, compared with the committed baseline
 * (`scripts/bench/baseline.json`). Fails only on a gross regression: a rate below a fifth of
 * the baseline. CI runs it after the tests.
 */
import { spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { Agent, request } from 'node:http'
import { join } from 'node:path'
import { waitFor } from '../../test/helpers/wait.js'
import { freePort } from '../../test/helpers/ports.js'
import { mintFleet, tempDir } from './lib.js'

const CLI = new URL('../../../dist/cli.js', import.meta.url).pathname
const BASELINE = new URL('../../../scripts/bench/baseline.json', import.meta.url)
const TOLERANCE = 5
const CONCURRENCY = 16
const SECONDS = 2

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })

function send(url: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method: body === undefined ? 'GET' : 'POST' }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode!))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** Requests per second of `next()` issued by CONCURRENCY loops for SECONDS. */
async function rate(next: () => Promise<number>, expected: number): Promise<number> {
  const deadline = performance.now() + SECONDS * 1000
  let done = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const status = await next()
        if (status !== expected) throw new Error(`unexpected status ${status}`)
        done++
      }
    }),
  )
  return done / SECONDS
}

const dir = await tempDir()
const fleet = mintFleet(5000)
await writeFile(join(dir, 'operator.jwt'), fleet.operatorJwt)
const port = await freePort()
const server = spawn(process.execPath, [CLI, '-hp', `127.0.0.1:${port}`, '--sqlite', join(dir, 'a.db'), '-operator', join(dir, 'operator.jwt'), '--log-format', 'json'], { stdio: 'ignore' })
const base = `http://127.0.0.1:${port}/jwt/v1/accounts/`
try {
  await waitFor(() => send(base).then((status) => status === 200, () => false), { timeoutMs: 10_000, message: 'nats-accounts to serve' })
  let posted = 0
  const measured = {
    postPerSecond: await rate(() => {
      const account = fleet.accounts[posted++ % fleet.accounts.length]!
      return send(`${base}${account.pubkey}`, account.jwt)
    }, 200),
    getHitPerSecond: await rate(() => send(`${base}${fleet.accounts[0]!.pubkey}`), 200),
  }
  const baseline = JSON.parse(await readFile(BASELINE, 'utf8')) as typeof measured
  let failed = false
  for (const [name, value] of Object.entries(measured) as [keyof typeof measured, number][]) {
    const floor = baseline[name] / TOLERANCE
    const verdict = value >= floor ? 'ok' : 'REGRESSION'
    if (verdict !== 'ok') failed = true
    console.log(`${name}: ${Math.round(value)}/s (baseline ${baseline[name]}/s, fails below ${Math.round(floor)}/s) ${verdict}`)
  }
  process.exitCode = failed ? 1 : 0
} finally {
  server.kill('SIGTERM')
  agent.destroy()
}
