/**
 * Issue 11 items 4, 6 and 17, performed on raw sockets against a running server:
 * idle and half-sent connections are closed after `http.readtimeout`; a body over the limit is
 * answered 413 at once (chunked or not, fast path or routed) and the connection closes with a
 * FIN after the whole answer, never a reset.
 */
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { defaultConfig } from '../../src/config/types.js'
import { CLI } from '../helpers/cli.js'
import { newKey } from '../helpers/mint.js'
import { waitFor } from '../helpers/wait.js'
import { freePort } from '../helpers/ports.js'
import { open, response } from '../helpers/raw-http.js'
import { startAccountServer, type RunningAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'

const servers: RunningAccountServer[] = []
afterAll(async () => {
  for (const server of servers) await server.stop()
})

async function serverWith(readTimeoutMs: number): Promise<{ port: number; server: RunningAccountServer }> {
  const server = await startAccountServer({
    http: { ...defaultConfig().http, readTimeoutMs },
    store: { type: 'sqlite', file: join(await tempDir(), 'a.db') },
  })
  servers.push(server)
  return { server, port: Number(new URL(server.base).port) }
}

describe('connections without a request head are closed after http.readtimeout', () => {
  it('closes a socket that never sends a byte', { timeout: 4000 }, async () => {
    const { port } = await serverWith(300)
    const { seen } = await open(port)
    await seen.closed
    expect(seen.text).toBe('')
  })

  it('closes a socket that sent part of a request head', { timeout: 4000 }, async () => {
    const { port } = await serverWith(300)
    const { socket, seen } = await open(port)
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n')
    await seen.closed
    expect(seen.text).not.toContain('200 OK')
  })

  it('closes a keep-alive socket idle after its answer', { timeout: 4000 }, async () => {
    const { port } = await serverWith(300)
    const { socket, seen } = await open(port)
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
    await seen.closed
    expect(seen.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(seen.ended).toBe(true)
  })

  it('serves while idle sockets wait', { timeout: 4000 }, async () => {
    const { port, server } = await serverWith(300)
    const idle = await Promise.all(Array.from({ length: 20 }, () => open(port)))
    const res = await fetch(`${server.base}/healthz`)
    expect(res.status).toBe(200)
    await Promise.all(idle.map(({ seen }) => seen.closed))
  })
})

describe('a body over the 1 MiB limit', () => {
  const key = newKey('account').publicKey

  it('endless chunked POST on the fast path: 413 at once, Connection: close, clean FIN', { timeout: 8000 }, async () => {
    const { port } = await serverWith(5000)
    const { socket, seen } = await open(port)
    socket.write(`POST /jwt/v1/accounts/${key} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`)
    const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 'a'), Buffer.from('\r\n')])
    let sent = 0
    while (response(seen.text) === null && !socket.destroyed) {
      if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve))
      sent += 0x10000
    }
    const answer = response(seen.text)!
    expect(answer.head).toMatch(/^HTTP\/1\.1 413 /)
    expect(answer.head).toMatch(/\r\nConnection: close/i)
    expect(answer.body).toContain('over the 1048576-byte limit')
    // The answer came while the client was still sending, well before a read timeout's worth.
    expect(sent).toBeLessThan(64 * 1024 * 1024)
    socket.end('0\r\n\r\n')
    await seen.closed
    expect(seen.ended).toBe(true)
    expect(seen.error).toBeNull()
  })

  it.each([
    ['the fast path', `/jwt/v1/accounts/${key}`],
    ['the routed path', `/jwt/v1/accounts/${key}?text=true`],
  ])('declared by Content-Length on %s: the whole 413, then a FIN, no reset', { timeout: 8000 }, async (_, path) => {
    const { port } = await serverWith(5000)
    const { socket, seen } = await open(port)
    const body = Buffer.alloc(2 * 1024 * 1024, 'a')
    socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`)
    socket.write(body)
    await seen.closed
    const answer = response(seen.text)
    expect(answer?.head).toMatch(/^HTTP\/1\.1 413 /)
    expect(answer?.head).toMatch(/\r\nConnection: close/i)
    expect(answer?.body).toBe('request body too large: the body is over the 1048576-byte limit; an account JWT is a few kilobytes\n')
    expect(seen.ended).toBe(true)
    expect(seen.error).toBeNull()
  })
})

describe('under file-descriptor pressure', () => {
  it('serves again once idle sockets time out, with a limit of 100 descriptors', { timeout: 30_000 }, async () => {
    const dir = await tempDir()
    const conf = join(dir, 'nas.conf')
    await writeFile(conf, `http { readtimeout: 300 }\nstore { sqlite: ${JSON.stringify(join(dir, 'a.db'))} }\n`)
    const port = await freePort()
    const child = spawn('sh', ['-c', `ulimit -n 100 && exec "$0" "$@"`, process.execPath, CLI, '-c', conf, '-hp', `127.0.0.1:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let logs = ''
    child.stdout!.on('data', (chunk: Buffer) => (logs += chunk.toString()))
    child.stderr!.on('data', (chunk: Buffer) => (logs += chunk.toString()))
    const exited = new Promise((resolve) => child.once('exit', resolve))
    try {
      await waitFor(() => logs.includes('nats-accounts is running'), { timeoutMs: 15_000, message: 'the server start' })
      // More idle connections than the process may hold descriptors.
      const idle = await Promise.all(Array.from({ length: 150 }, () => open(port)))
      const status = await waitFor(
        async () => {
          try {
            return (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) })).status
          } catch {
            return null
          }
        },
        { timeoutMs: 20_000, message: '/healthz answering' },
      )
      expect(status).toBe(200)
      for (const { socket } of idle) socket.destroy()
    } finally {
      child.kill('SIGKILL')
      await exited
    }
  })
})
