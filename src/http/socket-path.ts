/**
 * The resolver's reads below node:http: a connection whose requests are exactly
 * `GET`/`HEAD /jwt/v1/accounts/<key> HTTP/1.1` with simple headers is answered here, from the
 * cached account, in the bytes node:http would send for the same answer (`account-response.ts`
 * builds it, `wire.ts` frames it), keep-alive and pipelined. The first request this path does not
 * take exactly (another method, path or version, a body, `Expect`, `Upgrade`, a header it does not
 * read exactly, a head over 4 KiB, a bad byte, an account not stored) goes, with every byte not
 * yet answered, to node:http on the same socket, which keeps the connection from then on.
 * @module
 */
import type { Server } from 'node:http'
import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import type { AccountService } from '../accounts/service.js'
import type { CachedAccount } from '../accounts/cache.js'
import type { Metrics } from '../metrics.js'
import { accountHead, addCors, sendsBody } from './account-response.js'
import { plainParamMatcher } from './go-router.js'
import { ACCOUNT_PATH } from './routes/accounts.js'
import { frame } from './wire.js'

/** Longer heads go to node:http, which applies its own limits (a resolver's head is ~200 bytes). */
const MAX_HEAD_BYTES = 4096
const HEAD_END = Buffer.from('\r\n\r\n')
const PREFIX = ACCOUNT_PATH.slice(0, ACCOUNT_PATH.lastIndexOf('/') + 1)
/** A header line as node:http reads it: a token, a colon, the value without surrounding blanks. */
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[\t ]*([\t\x20-\x7e]*?)[\t ]*$/
/** What a header line may be before its end arrives. */
const PARTIAL_HEADER_LINE = /^(?:[!#$%&'*+.^_`|~0-9A-Za-z-]*|[!#$%&'*+.^_`|~0-9A-Za-z-]+:[\t\x20-\x7e]*)\r?$/

/** A request this path answers. */
type Request = { method: 'GET' | 'HEAD'; url: string; key: string; ifNoneMatch: string | undefined; origin: string | undefined }

export type SocketPathOptions = {
  service: AccountService
  logger: Logger
  metrics?: Metrics
  /** The node:http server that takes what this path does not (its keep-alive settings frame answers). */
  server: Server
  readTimeoutMs: number
  /**
   * Gives the socket to node:http with the bytes it must parse first; `timeoutMs` is what is left
   * of the read timeout running when it was handed over.
   */
  handOver(socket: Socket, unread: Buffer, ended: boolean, timeoutMs: number): void
}

export type SocketPath = {
  accept(socket: Socket): void
  /** Ends the connections with nothing in progress (the server is stopping). */
  closeIdle(): void
  /** Ends every connection this path still holds. */
  closeAll(): void
}

type Connection = {
  socket: Socket
  /** Received, not yet answered or handed over. */
  unread: Buffer | null
  /** What holds the next request: a store read, or answers the client has not read yet. */
  waiting: 'load' | 'drain' | null
  /** When the last answer went out (or the connection opened): the read timeout runs from here. */
  idleSince: number
  timer: NodeJS.Timeout | null
  ended: boolean
  /** With `-V`: logs the trace lines of the answers in the next write. */
  traced: ((err?: Error | null) => void) | undefined
}

export function socketPath(options: SocketPathOptions): SocketPath {
  const { service, logger, metrics, server, readTimeoutMs, handOver } = options
  const observe = metrics?.observer(ACCOUNT_PATH)
  const keyOf = plainParamMatcher(ACCOUNT_PATH)
  const open = new Set<Connection>()

  function accept(socket: Socket): void {
    const conn: Connection = { socket, unread: null, waiting: null, idleSince: performance.now(), timer: null, ended: false, traced: undefined }
    open.add(conn)
    conn.timer = setTimeout(checkIdle, readTimeoutMs, conn)
    conn.timer.unref()
    socket.on('data', (chunk: Buffer) => onData(conn, chunk))
    socket.on('drain', () => onDrain(conn))
    socket.on('end', () => onEnd(conn))
    socket.on('error', noop)
    socket.once('close', () => forget(conn))
  }

  function forget(conn: Connection): void {
    open.delete(conn)
    if (conn.timer !== null) clearTimeout(conn.timer)
    conn.timer = null
  }

  /** The read timeout, checked lazily: answers only move `idleSince`, the timer re-arms itself. */
  function checkIdle(conn: Connection): void {
    const left = conn.waiting !== null ? readTimeoutMs : conn.idleSince + readTimeoutMs - performance.now()
    if (left <= 0) {
      conn.timer = null
      conn.socket.destroy()
      return
    }
    conn.timer = setTimeout(checkIdle, left, conn)
    conn.timer.unref()
  }

  function onData(conn: Connection, chunk: Buffer): void {
    conn.unread = conn.unread === null ? chunk : Buffer.concat([conn.unread, chunk])
    if (conn.waiting === null) serve(conn)
  }

  function onDrain(conn: Connection): void {
    if (conn.waiting !== 'drain' || conn.socket.writableNeedDrain) return
    conn.waiting = null
    conn.idleSince = performance.now()
    conn.socket.resume()
    serve(conn)
  }

  function onEnd(conn: Connection): void {
    conn.ended = true
    if (conn.waiting === null) serve(conn)
  }

  /** Answers every complete request in `unread`, in order, until one is not this path's. */
  function serve(conn: Connection): void {
    const { socket } = conn
    const buffer = conn.unread
    let at = 0
    const out: Buffer[] = []
    let stop: 'handOver' | 'load' | null = null
    let request: Request | null = null
    while (buffer !== null && at < buffer.length) {
      const end = buffer.indexOf(HEAD_END, at)
      if (end === -1) {
        if (buffer.length - at > MAX_HEAD_BYTES || !couldBeOurs(buffer.toString('latin1', at))) stop = 'handOver'
        break
      }
      request = end - at > MAX_HEAD_BYTES ? null : parse(buffer.toString('latin1', at, end))
      if (request === null) {
        stop = 'handOver'
        break
      }
      const entry = service.cached(request.key)
      if (entry === undefined) {
        stop = 'load'
        break
      }
      out.push(answer(request, entry, conn))
      at = end + HEAD_END.length
    }
    conn.unread = buffer === null || at >= buffer.length ? null : buffer.subarray(at)
    if (out.length > 0) {
      // One write per batch of pipelined answers: one syscall, as for a single answer.
      socket.write(out.length === 1 ? out[0]! : Buffer.concat(out), conn.traced)
      conn.traced = undefined
      conn.idleSince = performance.now()
    }
    if (stop === 'handOver') return giveAway(conn, conn.unread!)
    if (stop === 'load') return load(conn, request!)
    if (conn.ended) return conn.unread === null ? void socket.end() : giveAway(conn, conn.unread)
    if (socket.writableNeedDrain) {
      // As node:http does: a client that does not read its answers is not read either.
      conn.waiting = 'drain'
      socket.pause()
    }
  }

  /** An account not cached: one store read, then the request is served again (or handed over). */
  function load(conn: Connection, request: Request): void {
    conn.waiting = 'load'
    conn.socket.pause()
    const resume = () => {
      conn.waiting = null
      if (conn.socket.destroyed) return
      if (service.cached(request.key) === undefined) return giveAway(conn, conn.unread!)
      conn.socket.resume()
      serve(conn)
    }
    let found: ReturnType<AccountService['lookup']>
    try {
      found = service.lookup(request.key)
    } catch {
      return resume()
    }
    Promise.resolve(found).then(resume, resume)
  }

  /** The answer's bytes: head and body in one buffer. */
  function answer(request: Request, entry: CachedAccount, conn: Connection): Buffer {
    const started = observe ? performance.now() : 0
    const { method, origin } = request
    const built = accountHead(entry, service.now(), request.ifNoneMatch, service.servingStale)
    addCors(built.headers, origin, method, true)
    const bodyLength = sendsBody(built.status, method) ? entry.end - entry.start : 0
    const head = frame(built.status, built.headers, server.keepAliveTimeout)
    const bytes = Buffer.allocUnsafe(head.length + bodyLength)
    bytes.write(head, 0, 'latin1')
    if (bodyLength > 0) entry.slab.copy(bytes, head.length, entry.start, entry.end)
    observe?.(method, built.status, (performance.now() - started) / 1000)
    if (logger.isLevelEnabled('trace')) traceOnWrite(conn, { method, path: request.url, status: built.status, bytes: bodyLength }, started)
    return bytes
  }

  /** `-V`: the request's line once its answer is written, as node:http's requests are traced. */
  function traceOnWrite(conn: Connection, fields: { method: string; path: string; status: number; bytes: number }, started: number): void {
    const begun = started || performance.now()
    const previous = conn.traced
    conn.traced = (err) => {
      previous?.(err)
      const ms = Math.round((performance.now() - begun) * 100) / 100
      logger.trace(err ? { ...fields, ms, aborted: true } : { ...fields, ms }, 'request')
    }
  }

  function giveAway(conn: Connection, unread: Buffer): void {
    const { socket } = conn
    forget(conn)
    socket.removeAllListeners('data').removeAllListeners('drain').removeAllListeners('end').removeListener('error', noop)
    // Bytes that arrived while reading was paused are still in the socket's buffer.
    let rest = unread
    for (let chunk: Buffer | null; (chunk = socket.read() as Buffer | null) !== null; ) rest = Buffer.concat([rest, chunk])
    const left = Math.max(1, conn.idleSince + readTimeoutMs - performance.now())
    handOver(socket, rest, conn.ended, conn.waiting !== null ? readTimeoutMs : left)
  }

  /** A head this path answers exactly, or null; `complete` false: its lines so far. */
  function parse(head: string, complete = true): Request | null {
    const lineEnd = head.indexOf('\r\n')
    const line = lineEnd === -1 ? head : head.slice(0, lineEnd)
    const method = line.startsWith('GET ') ? 'GET' : line.startsWith('HEAD ') ? 'HEAD' : null
    if (method === null || !line.endsWith(' HTTP/1.1')) return null
    const url = line.slice(method.length + 1, line.length - 9)
    const key = keyOf(url)
    if (key === null) return null
    let host = 0
    let ifNoneMatch: string | undefined
    let origin: string | undefined
    let at = lineEnd
    while (at !== -1) {
      const next = head.indexOf('\r\n', at + 2)
      const match = HEADER_LINE.exec(next === -1 ? head.slice(at + 2) : head.slice(at + 2, next))
      if (match === null) return null
      const value = match[2]!
      switch (match[1]!.toLowerCase()) {
        case 'host':
          host++
          break
        case 'if-none-match':
          if (ifNoneMatch !== undefined) return null
          ifNoneMatch = value
          break
        case 'origin':
          if (origin !== undefined) return null
          origin = value
          break
        case 'connection':
          if (value.toLowerCase() !== 'keep-alive') return null
          break
        case 'content-length':
        case 'transfer-encoding':
        case 'expect':
        case 'upgrade':
          return null
      }
      at = next
    }
    // node:http answers 400 to an HTTP/1.1 request without a Host.
    if (host > 1 || (complete && host === 0)) return null
    return { method, url, key, ifNoneMatch, origin }
  }

  /** Whether a head still arriving may be one this path answers (else node:http should see it now). */
  function couldBeOurs(partial: string): boolean {
    const lines = partial.split('\r\n')
    const first = lines[0]!
    if (lines.length === 1) {
      if ('GET '.startsWith(first) || 'HEAD '.startsWith(first)) return true
      return (first.startsWith('GET ') || first.startsWith('HEAD ')) && mayStillMatch(first)
    }
    if (parse(lines.slice(0, -1).join('\r\n'), false) === null) return false
    return PARTIAL_HEADER_LINE.test(lines.at(-1)!)
  }

  function mayStillMatch(line: string): boolean {
    const target = line.slice(line.indexOf(' ') + 1)
    const space = target.indexOf(' ')
    if (space === -1) return PREFIX.startsWith(target) || (target.startsWith(PREFIX) && keyOf(`${target}A`) !== null)
    return keyOf(target.slice(0, space)) !== null && ' HTTP/1.1\r'.startsWith(target.slice(space))
  }

  function closeIdle(): void {
    for (const conn of open) if (conn.waiting === null && conn.unread === null) conn.socket.end()
  }

  function closeAll(): void {
    for (const conn of open) conn.socket.destroy()
  }

  return { accept, closeIdle, closeAll }
}

function noop(): void {}
