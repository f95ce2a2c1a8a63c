/**
 * The socket path on raw connections: pipelined answers in order, a POST on the same connection,
 * the read timeout against slow and idle clients, stopping, and requests counted and traced as
 * node:http's are (the differential test holds the bytes to node:http's).
 */
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { defaultConfig } from '../../src/config/types.js'
import { startServer } from '../helpers/cli.js'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { open, response } from '../helpers/raw-http.js'
import { startAccountServer, type RunningAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const set = loadFixtureSet('standard')
const [first, second] = set.accepted
const servers: RunningAccountServer[] = []
afterAll(async () => {
  for (const server of servers) await server.stop()
})

async function serverWith(readTimeoutMs: number): Promise<{ port: number; server: RunningAccountServer }> {
  const server = await startAccountServer({
    operator: set.operatorPath,
    http: { ...defaultConfig().http, readTimeoutMs },
    store: { type: 'sqlite', file: join(await tempDir(), 'a.db') },
  })
  servers.push(server)
  for (const entry of [first!, second!]) {
    const res = await fetch(`${server.base}/jwt/v1/accounts/${entry.pubkey}`, { method: 'POST', body: set.jwt(entry) })
    expect(res.status).toBe(200)
  }
  return { server, port: Number(new URL(server.base).port) }
}

const get = (key: string, extra = '') => `GET /jwt/v1/accounts/${key} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`

/** Status lines in the order they arrived. */
const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]))

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name))
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1))
}

describe('the socket path', () => {
  it('answers pipelined reads in order, then hands a POST on the same connection to node:http', { timeout: 15_000 }, async () => {
    const { port } = await serverWith(5000)
    const { socket, seen } = await open(port)
    const reads = Array.from({ length: 50 }, (_, i) => get(i % 2 === 0 ? first!.pubkey : second!.pubkey)).join('')
    const push = `POST /jwt/v1/accounts/${first!.pubkey} HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\ngarbage`
    socket.write(reads + push + get(second!.pubkey, 'Connection: close\r\n'))
    await seen.closed
    expect(statuses(seen.text)).toEqual([...Array(50).fill(200), 400, 200])
    expect(seen.text.split(set.jwt(first!)).length - 1).toBe(25)
    expect(seen.text.split(set.jwt(second!)).length - 1).toBe(26)
  })

  it('stops reading a client that does not read its answers, and answers all once it does', { timeout: 30_000 }, async () => {
    const { port } = await serverWith(10_000)
    const { socket, seen } = await open(port)
    socket.pause()
    const count = 6000
    const all = Buffer.from(get(first!.pubkey).repeat(count) + get(second!.pubkey, 'Connection: close\r\n'))
    // The answers (about 5 MB) outgrow the socket buffers while this client reads nothing until
    // all its requests are sent: the server must stop and wait for it.
    socket.write(all, () => socket.resume())
    await seen.closed
    expect(statuses(seen.text)).toEqual(Array(count + 1).fill(200))
  })

  it('answers stored accounts not cached yet, then more on the same connection', { timeout: 15_000 }, async () => {
    const { port, server } = await serverWith(5000)
    server.service.forget(null)
    const { socket, seen } = await open(port)
    socket.write(get(first!.pubkey) + get(second!.pubkey))
    await waitFor(() => statuses(seen.text).length === 2, { message: 'both answers' })
    socket.write(get(first!.pubkey, 'Connection: close\r\n'))
    await seen.closed
    expect(statuses(seen.text)).toEqual([200, 200, 200])
  })

  it('closes a connection whose head trickles in for longer than http.readtimeout (slow loris)', { timeout: 15_000 }, async () => {
    const { port } = await serverWith(400)
    const { socket, seen } = await open(port)
    const head = get(first!.pubkey)
    let sent = 0
    const drip = setInterval(() => {
      if (sent < head.length - 1 && !socket.destroyed) socket.write(head[sent++]!)
    }, 20)
    await seen.closed
    clearInterval(drip)
    expect(seen.text).toBe('')
    expect(sent).toBeLessThan(head.length - 1)
  })

  it('closes a connection idle after its answers, and one whose next head never ends', { timeout: 15_000 }, async () => {
    const { port } = await serverWith(300)
    const idle = await open(port)
    idle.socket.write(get(first!.pubkey))
    const partial = await open(port)
    partial.socket.write(get(first!.pubkey) + get(second!.pubkey).slice(0, 30))
    await Promise.all([idle.seen.closed, partial.seen.closed])
    expect(statuses(idle.seen.text)).toEqual([200])
    expect(statuses(partial.seen.text)).toEqual([200])
    expect(idle.seen.ended).toBe(true)
  })

  it('serves while slow and silent connections wait', { timeout: 15_000 }, async () => {
    const { port, server } = await serverWith(1000)
    const waiting = await Promise.all(Array.from({ length: 30 }, () => open(port)))
    for (const [i, { socket }] of waiting.entries()) socket.write(get(first!.pubkey).slice(0, i))
    const res = await fetch(`${server.base}/jwt/v1/accounts/${second!.pubkey}`)
    expect(res.status).toBe(200)
    await Promise.all(waiting.map(({ seen }) => seen.closed))
  })

  it('counts its answers in the request metrics', { timeout: 15_000 }, async () => {
    const { port, server } = await serverWith(5000)
    const before = await server.metrics.text()
    const { socket, seen } = await open(port)
    const etag = (await fetch(`${server.base}/jwt/v1/accounts/${first!.pubkey}`)).headers.get('etag')!
    socket.write(get(first!.pubkey) + get(first!.pubkey, `If-None-Match: ${etag}\r\n`) + get(second!.pubkey).replace('GET', 'HEAD'))
    await waitFor(() => statuses(seen.text).length === 3, { message: 'three answers' })
    const after = await server.metrics.text()
    const count = (text: string, method: string, status: number) =>
      metric(text, `nats_accounts_http_requests_total{route="/jwt/v1/accounts/:pubkey",method="${method}",status="${status}"}`)
    expect(count(after, 'GET', 200) - count(before, 'GET', 200)).toBe(2)
    expect(count(after, 'GET', 304) - count(before, 'GET', 304)).toBe(1)
    expect(count(after, 'HEAD', 200) - count(before, 'HEAD', 200)).toBe(1)
  })

  it('lets a stopping server close its idle connections at once', { timeout: 15_000 }, async () => {
    const { port, server } = await serverWith(60_000)
    const { socket, seen } = await open(port)
    socket.write(get(first!.pubkey))
    await waitFor(() => response(seen.text) !== null, { message: 'the answer' })
    const stopping = performance.now()
    await server.stop()
    servers.splice(servers.indexOf(server), 1)
    await seen.closed
    // Well under the 5 s grace: the idle connection was ended, not cut at the deadline.
    expect(performance.now() - stopping).toBeLessThan(4000)
  })
})

describe('the socket path with -V', () => {
  it('traces each request it answers as node:http requests are traced', { timeout: 30_000 }, async () => {
    const dir = await tempDir()
    const server = await startServer(['-dir', dir, '-operator', set.operatorPath, '-V'])
    try {
      const res = await fetch(`${server.base}/jwt/v1/accounts/${first!.pubkey}`, { method: 'POST', body: set.jwt(first!) })
      expect(res.status).toBe(200)
      const { socket, seen } = await open(Number(new URL(server.base).port))
      socket.write(get(first!.pubkey) + get(first!.pubkey).replace('GET', 'HEAD'))
      await waitFor(() => statuses(seen.text).length === 2, { message: 'two answers' })
      const bytes = Buffer.byteLength(set.jwt(first!))
      const path = `/jwt/v1/accounts/${first!.pubkey}`
      await waitFor(() => server.logs().includes(`method=HEAD path=${path}`), { message: 'the HEAD trace line' })
      expect(server.logs()).toMatch(new RegExp(`\\[TRC\\] request method=GET path=${path} status=200 bytes=${bytes} ms=[\\d.]+\n`))
      expect(server.logs()).toMatch(new RegExp(`\\[TRC\\] request method=HEAD path=${path} status=200 bytes=0 ms=[\\d.]+\n`))
      socket.destroy()
    } finally {
      await server.stop()
    }
  })
})
