/**
 * --workers 2 with the writing worker killed (SIGKILL) while POSTs are in flight: every POST
 * relayed by the other worker is answered within a bound (200, or 503 "retry" with
 * Retry-After), none hangs, none gets an internal error, and every acknowledged JWT is served.
 * The POSTs go over keep-alive connections held by worker 2: a new connection the primary hands
 * to the dying worker hangs inside Node's cluster round-robin, below anything the server does.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { Agent, request } from 'node:http'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../helpers/cli.js'
import { mintAccount, mintOperator, newKey } from '../helpers/mint.js'
import { waitFor } from '../helpers/wait.js'
import { tempDir } from '../helpers/tmp.js'

const servers: RunningServer[] = []
afterAll(async () => {
  for (const server of servers) await server.stop()
})

/** What happened to one POST: its answer, a reset (it was on the killed worker) or nothing. */
type Outcome = { status: number | 'reset' | 'hung'; body: string; retryAfter?: string; ms: number }

/** A POST over `agent`'s one connection, given up after `limitMs`. */
function post(url: string, body: string, agent: Agent, limitMs = 15_000): Promise<Outcome> {
  const started = performance.now()
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent }, (res) => {
      let text = ''
      res.on('data', (chunk: Buffer) => (text += chunk.toString()))
      res.on('end', () => {
        clearTimeout(timer)
        resolve({ status: res.statusCode!, body: text, retryAfter: res.headers['retry-after'], ms: performance.now() - started })
      })
      res.on('error', () => resolve({ status: 'reset', body: '', ms: performance.now() - started }))
    })
    const timer = setTimeout(() => {
      req.destroy()
      resolve({ status: 'hung', body: '', ms: performance.now() - started })
    }, limitMs)
    req.on('error', () => {
      clearTimeout(timer)
      resolve({ status: 'reset', body: '', ms: performance.now() - started })
    })
    req.end(body)
  })
}

/** The pid of worker `n` among the children of the primary process. */
async function workerPid(primary: number, n: number): Promise<number> {
  const children = (await readFile(`/proc/${primary}/task/${primary}/children`, 'utf8')).trim().split(/\s+/).map(Number)
  for (const pid of children) {
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '')
    if (environ.split('\0').includes(`NATS_ACCOUNTS_WORKER=${n}`)) return pid
  }
  throw new Error(`no worker ${n} among ${children.join(', ')} (${(await readdir('/proc')).length} processes)`)
}

/** A keep-alive connection served by worker `n` (the push log line names the worker). */
async function connectionTo(server: RunningServer, n: number, post1: (agent: Agent) => Promise<string>): Promise<Agent> {
  for (let tries = 0; tries < 40; tries++) {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const account = await post1(agent)
    const line = await waitFor(() => server.logs().split('\n').find((l) => l.includes('account JWT push') && l.includes(account)), {
      message: 'the push log line',
    })
    if (line.includes(`worker=${n}`)) return agent
    agent.destroy()
  }
  throw new Error(`no connection landed on worker ${n}`)
}

describe('--workers 2: the writing worker killed under load', () => {
  it('answers every relayed POST with 200 or 503 "retry" within the bound, and loses no acknowledged write', async () => {
    const dir = await tempDir()
    const operator = newKey('operator')
    await writeFile(join(dir, 'op.jwt'), mintOperator(operator))
    const server = await startServer(['--sqlite', join(dir, 'a.db'), '-operator', join(dir, 'op.jwt'), '--workers', '2'])
    servers.push(server)
    await waitFor(() => server.logs().includes('all 2 workers are serving'), { timeoutMs: 30_000, message: 'both workers serving' })
    const victim = await workerPid(server.child.pid!, 1)
    const url = (account: string) => `${server.base}/jwt/v1/accounts/${account}`
    const jwts = new Map<string, string>()
    const outcomes = new Map<string, Outcome>()
    const postNew = async (agent: Agent) => {
      const account = newKey('account').publicKey
      const jwt = mintAccount(account, operator)
      jwts.set(account, jwt)
      outcomes.set(account, await post(url(account), jwt, agent))
      return account
    }
    const agents: Agent[] = []
    for (let i = 0; i < 8; i++) agents.push(await connectionTo(server, 2, postNew))
    outcomes.clear()

    let restarted = false
    let killed!: () => void
    const kill = new Promise<void>((resolve) => (killed = resolve))
    let sent = 0
    // POSTs go on until 120 more have been sent after the new writer logged its start.
    let extra = 120
    const sender = async (agent: Agent) => {
      while (!restarted || extra-- > 0) {
        if (++sent === 60) {
          process.kill(victim, 'SIGKILL')
          killed()
        }
        await postNew(agent)
        if (sent > 20_000) throw new Error('the writing worker never came back')
      }
    }
    const watcher = kill
      .then(() => waitFor(() => server.logs().includes('worker 1 exited'), { timeoutMs: 30_000, message: 'worker 1 to exit' }))
      .then(() => waitFor(() => server.logs().split('worker 1 exited')[1]!.includes('worker=1'), { timeoutMs: 60_000, message: 'the new worker 1 to log' }))
      .then(() => (restarted = true))
    await Promise.all([...agents.map(sender), watcher])
    for (const agent of agents) agent.destroy()
    // The primary lives on (a relay to the dying worker used to fail with EPIPE and end it).
    expect(server.child.exitCode).toBeNull()

    const all = [...outcomes.values()]
    const count = (status: Outcome['status']) => all.filter((o) => o.status === status).length
    const summary = { sent: all.length, ok: count(200), retry: count(503), maxMs: Math.round(Math.max(...all.map((o) => o.ms))) }
    console.log('writer killed under load:', summary)
    expect(all.filter((o) => o.status !== 200 && o.status !== 503)).toEqual([])
    for (const o of all.filter((o) => o.status === 503)) {
      expect(o.body).toMatch(/^service unavailable, retry: /)
      expect(o.retryAfter).toBe('1')
    }

    for (const [account, outcome] of outcomes) {
      if (outcome.status !== 200) continue
      const res = await fetch(`${server.base}/jwt/v1/accounts/${account}`)
      expect(await res.text()).toBe(jwts.get(account))
    }
  }, 180_000)
})
