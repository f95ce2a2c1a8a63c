/**
 * The socket path against pure node:http: generated requests (valid and invalid, odd header case
 * and blanks, pipelined, mixed with POSTs, split across TCP packets) go on one connection to the
 * main listener and on another to a listener without the socket path, over the same service; the
 * bytes that come back must be the same but for `Date` (and `max-age`, as a second may pass).
 * SOCKET_PATH_REQUESTS sets how many (default: a seeded CI-sized run); SOCKET_PATH_SEED the seed.
 */
import { connect } from 'node:net'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { etagOf } from '../../src/accounts/cache.js'
import { AccountService } from '../../src/accounts/service.js'
import { defaultConfig } from '../../src/config/types.js'
import { fastPath } from '../../src/http/fast-path.js'
import { listenMain, type Listening } from '../../src/http/listener.js'
import { loadOperatorFile } from '../../src/jwt/trust.js'
import { memoryStore } from '../../src/store/drivers/memory.js'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { mintAccount, newKey, operatorSigningKey } from '../helpers/mint.js'
import { mulberry32 } from '../helpers/shuffle.js'

const REQUESTS = Number(process.env.SOCKET_PATH_REQUESTS ?? 1000)
const SEED = Number(process.env.SOCKET_PATH_SEED ?? 20261202)
/** Connections in flight at once (each to both listeners). */
const PARALLEL = 24

const set = loadFixtureSet('standard')
const logger = pino({ level: 'silent' })
let viaSocketPath: Listening
let viaNode: Listening
/** Stored accounts: their key, JWT and ETag; the first expires in a day, one more is older. */
const accounts: { key: string; jwt: string; etag: string; stale: string }[] = []

beforeAll(async () => {
  const service = new AccountService({ store: memoryStore(), trust: await loadOperatorFile(set.operatorPath) })
  const signer = operatorSigningKey(set.dir)
  const iat = Math.floor(Date.now() / 1000) - 60
  for (let i = 0; i < 4; i++) {
    const key = newKey('account').publicKey
    const jwt = mintAccount(key, signer, { iat, ...(i === 0 ? { exp: iat + 86_400 } : {}) })
    await service.push(jwt, { expectedKey: key, source: { kind: 'http', detail: 'test' } })
    accounts.push({ key, jwt, etag: etagOf(Buffer.from(jwt)), stale: mintAccount(key, signer, { iat: iat - 10 }) })
  }
  const http = { ...defaultConfig().http, host: '127.0.0.1', port: 0, readTimeoutMs: 2000, maxBodyBytes: 4096 }
  const app = buildApp({ service, logger, maxBodyBytes: http.maxBodyBytes })
  const fast = fastPath({ service, logger, maxBodyBytes: http.maxBodyBytes })
  viaSocketPath = await listenMain(http, app, fast, { service, logger })
  viaNode = await listenMain(http, app, fast, { service, logger, socketPath: false })
})

afterAll(async () => {
  for (const { server } of [viaSocketPath, viaNode]) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** A request's bytes, and whether node:http ends the connection after it. */
type Request = { text: string; closing: boolean }

/** One connection's bytes, written in these pieces. */
type Script = { pieces: Buffer[]; requests: number; label: string }

/** Everything the listener sends back until it ends the connection. */
function exchange(port: number, script: Script): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    socket.setNoDelay(true)
    const received: Buffer[] = []
    socket.on('data', (chunk: Buffer) => received.push(chunk))
    socket.on('error', () => undefined)
    socket.on('close', () => resolve(Buffer.concat(received).toString('latin1')))
    socket.on('connect', async () => {
      for (const piece of script.pieces) {
        if (socket.destroyed) break
        socket.write(piece)
        // The listener runs in this process: it reads each piece before the next is written.
        await new Promise((next) => setImmediate(next))
      }
    })
    setTimeout(() => reject(new Error(`no end within 20 s: ${script.label}`)), 20_000).unref()
  })
}

/** What may differ between two answers to the same request a moment apart. */
function comparable(text: string): string {
  return text.replace(/\r\nDate: [^\r]*/g, '\r\nDate: -').replace(/max-age=\d+/g, 'max-age=N')
}

/** The last request of every connection: its answer ends it. */
const CLOSE = 'GET /healthz HTTP/1.1\r\nHost: end\r\nConnection: close\r\n\r\n'

/** Header lines node:http reads in its own way (the socket path leaves them to it). */
const UNUSUAL = [
  'Host: second\r\n',
  'If-None-Match: "a"\r\nIf-None-Match: "b"\r\n',
  'Origin: a\r\nOrigin: b\r\n',
  'Content-Length: 0\r\n',
  'Expect: something\r\n',
  'Upgrade: websocket\r\n',
  'X-Latin: caf\u00e9\r\n',
  `X-Long: ${'a'.repeat(5000)}\r\n`,
]

/**
 * `Expect: 100-continue` opens its connection: pipelined behind an answer still being written,
 * node:http may send the `100 Continue` before that answer.
 */
const EXPECT_CONTINUE = 'Expect: 100-continue\r\n'

/**
 * Header lines node:http refuses. (Not `Transfer-Encoding: chunked` without a body: node:http
 * then waits for one, and whether its 408 or the read timeout's silent close ends the wait is a
 * race between two timers of one length.)
 */
const REFUSED = [
  'X-Folded: a\r\n b\r\n',
  'Bad Header: x\r\n',
  'X-Control: a\u0001b\r\n',
  'X-Delete: a\u007fb\r\n',
  'X-Bare: lf\n',
  ':no-name\r\n',
  `X-Long: ${'a'.repeat(17000)}\r\n`,
  'Content-Length: 1, 2\r\n',
]

const GARBAGE = ['\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'GET /jwt/v1/accounts/\u0000 HTTP/1.1\r\n\r\n']

function generator(seed: number) {
  const random = mulberry32(seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const chance = (p: number) => random() < p
  const blank = () => pick(['', ' ', '  ', '\t', ' \t'])
  const oddCase = (name: string) =>
    pick([name, name.toLowerCase(), name.toUpperCase(), [...name].map((c) => (chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join('')])
  const header = (name: string, value: string) => `${oddCase(name)}:${blank()}${value}${blank()}\r\n`

  function key(): string {
    return pick([
      ...accounts.map((a) => a.key),
      ...accounts.map((a) => a.key),
      newKey('account').publicKey,
      newKey('user').publicKey,
      'abc',
      `${'A'.repeat(55)}B`,
    ])
  }

  function target(): string {
    const account = key()
    if (chance(0.85)) return `/jwt/v1/accounts/${account}`
    return pick([
      `/jwt/v1/accounts/${account}?text=true`,
      `//jwt/v1/accounts/${account}`,
      `/jwt/v1//accounts/${account}`,
      `/jwt/v1/accounts/${account}/`,
      `/JWT/v1/accounts/${account}`,
      '/jwt/v1/accounts/',
      '/jwt/v1/accounts',
      '/healthz',
      `/jwt/v1/accounts/${account}%41`,
      `http://x/jwt/v1/accounts/${account}`,
    ])
  }

  /**
   * A read, well formed (the socket path's, or one node:http answers), or `broken`: bytes
   * node:http refuses as they are parsed (400 or 431, then it closes).
   */
  function read(broken: boolean, first = false): Request {
    const method = chance(0.8) ? 'GET' : 'HEAD'
    const odd = broken && chance(0.15)
    const version = chance(0.98) ? 'HTTP/1.1' : 'HTTP/1.0'
    let head = `${odd ? pick(['get', 'GETS', 'G\u0000T']) : chance(0.97) ? method : pick(['PUT', 'OPTIONS', 'DELETE'])} ${target()} ${version}\r\n`
    const lines: string[] = []
    if (chance(0.97)) lines.push(header('Host', pick(['127.0.0.1', 'x', 'accounts.example:9090'])))
    if (chance(0.4)) {
      const account = pick(accounts)
      lines.push(header('If-None-Match', pick([account.etag, `W/${account.etag}`, `"nope", ${account.etag}`, '"nope"', '*', ''])))
    }
    if (chance(0.3)) lines.push(header('Origin', pick(['https://ui', 'http://localhost:3000', ''])))
    if (chance(0.3)) lines.push(header('User-Agent', 'Go-http-client/1.1'))
    if (chance(0.3)) lines.push(header('Accept-Encoding', 'gzip'))
    const connection = chance(0.1) ? pick(['keep-alive', 'Keep-Alive', 'close', 'upgrade', 'keep-alive, close']) : null
    if (connection !== null) lines.push(header('Connection', connection))
    if (chance(0.1)) lines.push(pick(UNUSUAL))
    if (broken && !odd) lines.push(pick(REFUSED))
    const expect = first && !broken && chance(0.3)
    if (expect) lines.push(EXPECT_CONTINUE)
    head += pick([lines, [...lines].reverse()]).join('')
    return { text: `${head}\r\n`, closing: broken || version === 'HTTP/1.0' || connection?.includes('close') === true }
  }

  function push(): Request {
    const account = pick(accounts)
    const body = pick([account.jwt, account.stale, 'garbage', 'x'.repeat(5000)])
    return { text: pushText(account.key, body), closing: body.length > 4096 }
  }

  function pushText(key: string, body: string): string {
    if (chance(0.2)) {
      return `POST /jwt/v1/accounts/${key} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`
    }
    return `POST /jwt/v1/accounts/${key} HTTP/1.1\r\nHost: x\r\nContent-Type: application/jwt\r\nContent-Length: ${body.length}\r\n\r\n${body}`
  }

  /**
   * A connection: requests pipelined, cut into pieces at random places, then one that ends it.
   * Bytes node:http refuses open their connection, and nothing follows a request after which
   * node:http ends the connection: what it does with bytes pipelined around those (answers it
   * sends or drops, a 400 for what follows a close) depends on when its handlers finish and when
   * the bytes arrive, which is chance, not behaviour to copy.
   */
  function script(): Script {
    const requests: string[] = []
    let closing = false
    if (chance(0.2)) {
      const first = chance(0.7) ? read(chance(0.7), true) : { text: pick(GARBAGE), closing: true }
      requests.push(first.text)
      closing = first.closing
    }
    const count = 1 + Math.floor(random() * 12)
    for (let i = 0; i < count && !closing; i++) {
      const next = chance(0.8) ? read(false) : push()
      requests.push(next.text)
      closing = next.closing
    }
    const bytes = Buffer.from(requests.join('') + (closing ? '' : CLOSE), 'latin1')
    const cuts = new Set<number>()
    const cutCount = Math.floor(random() * 6)
    for (let i = 0; i < cutCount; i++) cuts.add(1 + Math.floor(random() * (bytes.length - 1)))
    return { pieces: piecesOf(bytes, [...cuts]), requests: requests.length + (closing ? 0 : 1), label: JSON.stringify(requests.join('')).slice(0, 300) }
  }

  return { script }
}

function piecesOf(bytes: Buffer, cuts: number[]): Buffer[] {
  const pieces: Buffer[] = []
  let from = 0
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    pieces.push(bytes.subarray(from, cut))
    from = cut
  }
  pieces.push(bytes.subarray(from))
  return pieces
}

type Difference = { label: string; at: number; socketPath: string; node: string }

/** Where two answers part, with some context: enough to read in a failure. */
function firstDifference(socketPath: string, node: string): Omit<Difference, 'label'> {
  let at = 0
  while (at < socketPath.length && socketPath[at] === node[at]) at++
  const around = (text: string) => text.slice(Math.max(0, at - 80), at + 120)
  return { at, socketPath: around(socketPath), node: around(node) }
}

/** Runs the scripts on both listeners; returns the ones whose answers differ. */
async function differences(scripts: Script[]): Promise<Difference[]> {
  const found: Difference[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < scripts.length) {
        const script = scripts[next++]!
        const [socketPath, node] = await Promise.all([exchange(viaSocketPath.port, script), exchange(viaNode.port, script)])
        if (comparable(socketPath) !== comparable(node)) found.push({ label: script.label, ...firstDifference(comparable(socketPath), comparable(node)) })
      }
    }),
  )
  return found
}

describe('the socket path answers byte for byte as node:http', () => {
  it(`for ${REQUESTS} generated requests (seed ${SEED}), pipelined and cut into packets`, { timeout: 600_000 }, async () => {
    const { script } = generator(SEED)
    const scripts: Script[] = []
    let total = 0
    while (total < REQUESTS) {
      const next = script()
      scripts.push(next)
      total += next.requests
    }
    const found = await differences(scripts)
    expect(found.slice(0, 3)).toEqual([])
  })

  it('for requests cut at every byte', { timeout: 300_000 }, async () => {
    const account = accounts[0]!
    const requests = [
      `GET /jwt/v1/accounts/${account.key} HTTP/1.1\r\nhost:  x \r\nIf-None-Match:\t${account.etag}\r\nOrigin: https://ui\r\n\r\n`,
      `HEAD /jwt/v1/accounts/${account.key} HTTP/1.1\r\nHost: x\r\n\r\nPOST /jwt/v1/accounts/${account.key} HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\ngarbage`,
    ]
    const scripts: Script[] = []
    for (const request of requests) {
      const bytes = Buffer.from(request + CLOSE, 'latin1')
      for (let cut = 1; cut < request.length; cut++) scripts.push({ pieces: piecesOf(bytes, [cut]), requests: 2, label: `${request} cut at ${cut}` })
    }
    expect(await differences(scripts)).toEqual([])
  })
})
