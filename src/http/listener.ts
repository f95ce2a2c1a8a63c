/**
 * The HTTP(S) listeners: the main one (fast path, then the app) and, when configured, the one
 * that serves only `/metrics`. Owns the connection rules Node does not apply by itself:
 * - a connection that has not delivered a complete request head within `http.readtimeout` is
 *   closed, whether it sent nothing, part of a head, or sits idle between keep-alive requests
 *   (Node cuts none of the first, and partial heads only on a 30 s check);
 * - a response that closes the connection while the client is still sending (a 413) goes out
 *   with a FIN, and the rest of the request is read and dropped (bounded) instead of being
 *   answered with a reset that can destroy the response before the client reads it.
 * @module
 */
import { readFileSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import type { Hono } from 'hono'
import { parseHostPort } from '../config/flags.js'
import type { ServerConfig } from '../config/types.js'
import { ConfigError } from '../errors.js'
import type { Metrics } from '../metrics.js'
import { socketPath, type SocketPathOptions } from './socket-path.js'
import { TEXT_HEADERS } from './status.js'
import { traceRequests } from './trace.js'

/** How much of an unwanted request body is read and dropped after the answer, at most. */
const LINGER_BYTES = 16 * 1024 * 1024

export type Listening = { server: Server; host: string; port: number }

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void

/** Starts the read timeout of a new connection (`firstTimeoutMs`: left of one already running). */
type IdleTracking = (socket: Socket, firstTimeoutMs: number) => void

/**
 * Closes connections that have no request in progress for `timeoutMs`: from accept until a
 * request head is parsed, and again from each response's end until the next head.
 */
function closeIdleConnections(server: Server, timeoutMs: number): IdleTracking {
  type Entry = { timer: NodeJS.Timeout | null; inFlight: number; idleSince: number }
  const state = new WeakMap<Socket, Entry>()
  // Checked lazily: a request only counts and stamps; the timer re-arms itself for what is left.
  const check = (socket: Socket, entry: Entry) => {
    const left = entry.inFlight > 0 ? timeoutMs : entry.idleSince + timeoutMs - performance.now()
    if (left <= 0) {
      entry.timer = null
      socket.destroy()
      return
    }
    entry.timer = setTimeout(check, left, socket, entry)
    entry.timer.unref()
  }
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const entry = state.get(req.socket)
    if (entry === undefined) return
    entry.inFlight++
    res.once('close', () => {
      entry.inFlight--
      entry.idleSince = performance.now()
    })
  })
  return (socket, firstTimeoutMs) => {
    const entry: Entry = { timer: null, inFlight: 0, idleSince: performance.now() - (timeoutMs - firstTimeoutMs) }
    state.set(socket, entry)
    entry.timer = setTimeout(check, firstTimeoutMs, socket, entry)
    entry.timer.unref()
    socket.once('close', () => entry.timer !== null && clearTimeout(entry.timer))
    lingerOnClose(socket, timeoutMs)
  }
}

/**
 * Node ends a connection it will not keep alive with `destroySoon`: FIN, then close as soon as
 * it is flushed. A client still sending its body then gets a reset, which on Linux can discard
 * the answer it has not read yet. Here the connection stays open for reading (Node's parser
 * drops the rest of the body) until the client closes, `LINGER_BYTES` arrive, or `timeoutMs`.
 */
function lingerOnClose(socket: Socket, timeoutMs: number): void {
  socket.destroySoon = function lingeringClose(this: Socket) {
    if (this.writable) this.end()
    const timer = setTimeout(() => this.destroy(), timeoutMs)
    timer.unref()
    let dropped = 0
    this.on('data', (chunk: Buffer) => {
      dropped += chunk.length
      if (dropped > LINGER_BYTES) this.destroy()
    })
    this.once('close', () => clearTimeout(timer))
  }
}

function tlsOptions(tls: ServerConfig['http']['tls']) {
  const read = (what: string, path: string) => {
    try {
      return readFileSync(path)
    } catch (err) {
      throw new ConfigError(`error loading TLS ${what} ${path}: ${(err as Error).message}`, { cause: err })
    }
  }
  if (tls.key === '') throw new ConfigError('http.tls.cert is set but http.tls.key is not')
  return {
    cert: read('certificate', tls.cert),
    key: read('key', tls.key),
    minVersion: 'TLSv1.2' as const,
    // mTLS: only clients with a certificate from this CA get through.
    ...(tls.ca ? { ca: read('CA', tls.ca), requestCert: true, rejectUnauthorized: true } : {}),
  }
}

async function listen(server: Server, host: string, port: number, what: string): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new ConfigError(`cannot listen on ${host}:${port}${what}: ${err.message}`, { cause: err })))
    server.listen(port, host === '' ? undefined : host, resolve)
  })
  return { server, host: host === '' ? '127.0.0.1' : host, port: (server.address() as AddressInfo).port }
}

/**
 * An HTTP(S) server with the configured timeouts and TLS. With `ownConnections` its connections
 * are not given to node:http: the caller does, through the returned function.
 */
function createServer(http: ServerConfig['http'], listener: RequestListener, ownConnections = false): { server: Server; toNode: IdleTracking } {
  const timeoutMs = http.readTimeoutMs
  const timeouts = {
    requestTimeout: timeoutMs,
    headersTimeout: timeoutMs,
    keepAliveTimeout: timeoutMs,
    // Node checks the two above on this interval (30 s by default).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(timeoutMs / 4))),
  }
  const secure = http.tls.cert !== ''
  const server = secure
    ? createHttpsServer({ ...tlsOptions(http.tls), ...timeouts, handshakeTimeout: timeoutMs }, listener)
    : createHttpServer(timeouts, listener)
  const track = closeIdleConnections(server, timeoutMs)
  if (!ownConnections) {
    server.on(secure ? 'secureConnection' : 'connection', (socket: Socket) => track(socket, timeoutMs))
    return { server, toNode: track }
  }
  const nodeListeners = server.listeners('connection') as ((socket: Socket) => void)[]
  server.removeAllListeners('connection')
  const toNode: IdleTracking = (socket, firstTimeoutMs) => {
    for (const listener of nodeListeners) listener.call(server, socket)
    track(socket, firstTimeoutMs)
  }
  return { server, toNode }
}

export type MainOptions = Pick<SocketPathOptions, 'service' | 'logger' | 'metrics'> & {
  /** Answer the resolver's reads below node:http (never with TLS). @default true */
  socketPath?: boolean
}

/**
 * The main listener: the socket path answers the resolver's reads and gives node:http every
 * connection it does not take; there `fast` answers what it can, the app the rest; `-V` traces
 * all three alike.
 */
export function listenMain(
  http: ServerConfig['http'],
  app: Hono,
  fast: (req: IncomingMessage, res: ServerResponse) => boolean,
  options: MainOptions,
): Promise<Listening> {
  const { socketPath: reads = true, ...parts } = options
  const slow = getRequestListener(app.fetch)
  const below = reads && http.tls.cert === ''
  const { server, toNode } = createServer(
    http,
    traceRequests(parts.logger, (req, res) => {
      if (!fast(req, res)) void slow(req, res)
    }),
    below,
  )
  if (below) {
    const path = socketPath({
      ...parts,
      server,
      readTimeoutMs: http.readTimeoutMs,
      handOver(socket, unread, ended, timeoutMs) {
        toNode(socket, timeoutMs)
        if (unread.length > 0) socket.emit('data', unread)
        if (ended) socket.emit('end')
        socket.resume()
      },
    })
    server.on('connection', (socket: Socket) => path.accept(socket))
    // Stopping (server.close, then closeAllConnections after the grace) reaches both paths.
    const closeIdle = server.closeIdleConnections.bind(server)
    const closeAll = server.closeAllConnections.bind(server)
    server.closeIdleConnections = () => {
      closeIdle()
      path.closeIdle()
    }
    server.closeAllConnections = () => {
      closeAll()
      path.closeAll()
    }
  }
  return listen(server, http.host, http.port, '')
}

/** `GET /metrics` (and HEAD) on an address of its own; everything else is 404. */
export function listenMetrics(http: ServerConfig['http'], address: string, metrics: Metrics): Promise<Listening> {
  const { host, port } = parseHostPort(address)
  const { server } = createServer({ ...http, host, port }, (req, res) => {
    const path = (req.url ?? '').split('?')[0]
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, TEXT_HEADERS).end('404 page not found\n')
      return
    }
    metrics.text().then(
      (text) => res.writeHead(200, { 'Content-Type': metrics.contentType }).end(req.method === 'HEAD' ? undefined : text),
      () => res.writeHead(500, TEXT_HEADERS).end('internal server error\n'),
    )
  })
  return listen(server, host, port, ' (metrics)')
}
