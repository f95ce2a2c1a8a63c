/**
 * The resolver and push paths without the framework, for the exact canonical URL
 * `/jwt/v1/accounts/<key>` (no query): GET/HEAD from cached bytes and header values (a
 * cached account at once, others after one store read; misses and bad keys get the route's
 * 404/400), and POST (body read here, answered by the same `answerPush` as the route).
 * Everything else falls through to the full app, with exactly the same answers.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { AccountServerError, ErrorCode } from '../errors.js'
import type { Metrics } from '../metrics.js'
import type { AccountService, CachedAccount } from '../service/accounts.js'
import { cacheControl } from './cache-control.js'
import { answerPush, rejection, tooLarge, type PushAnswer } from './push.js'

const PREFIX = '/jwt/v1/accounts/'
const KEY_LENGTH = 56

/** @returns true when it answered (or is answering) the request */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean

/** rs/cors as the Go server had it: Vary always, the Origin echoed for GET/HEAD/POST. */
function withCors(headers: string[], origin: string | undefined): string[] {
  headers.push('Vary', 'Origin')
  if (origin) headers.push('Access-Control-Allow-Origin', origin, 'Access-Control-Expose-Headers', 'Authorization')
  return headers
}

/**
 * The header list of a 200 or 304, from values computed once per account. The list itself is
 * built per response: kept per account it cost ~430 bytes each (43 MB for 100,000 accounts)
 * and bought no measurable speed.
 */
function headersOf(entry: CachedAccount, nowMs: number, origin: string | undefined, notModified: boolean): string[] {
  const headers = withCors(['ETag', entry.etag, 'Cache-Control', cacheControl(entry, nowMs)], origin)
  if (!notModified) headers.push('Content-Type', 'application/jwt', 'Content-Length', entry.length)
  return headers
}

export type FastPathOptions = {
  service: AccountService
  logger: Logger
  maxBodyBytes: number
  metrics?: Metrics
}

export function fastPath(options: FastPathOptions): FastPath {
  const { service, logger, maxBodyBytes, metrics } = options
  const observe = metrics?.observer('/jwt/v1/accounts/:pubkey')

  function read(req: IncomingMessage, res: ServerResponse): boolean {
    const key = req.url!.slice(PREFIX.length)
    const entry = service.cached(key)
    const started = observe ? performance.now() : 0
    if (entry !== undefined) {
      serve(req, res, entry, started)
      return true
    }
    // Not cached: the store answers (one read, then it is cached), a miss is the route's 404.
    Promise.resolve()
      .then(() => service.lookup(key))
      .then(
        (found) => (found === null ? send(req, res, rejection(new AccountServerError(ErrorCode.NotFound, '')), started) : serve(req, res, found, started)),
        (err: unknown) => {
          if (err instanceof AccountServerError) return send(req, res, rejection(err), started)
          logger.error({ err }, 'unexpected error while serving an account')
          send(req, res, { status: 500, body: 'internal server error\n', headers: {} }, started)
        },
      )
    return true
  }

  function serve(req: IncomingMessage, res: ServerResponse, entry: CachedAccount, started: number): void {
    const notModified = req.headers['if-none-match']?.includes(entry.etag) === true
    const written = write(res, () => {
      res.writeHead(notModified ? 304 : 200, headersOf(entry, service.now(), req.headers.origin, notModified))
      res.end(notModified || req.method === 'HEAD' ? undefined : entry.body)
    })
    if (written) observe?.(req.method!, notModified ? 304 : 200, performance.now() - started)
  }

  function send(req: IncomingMessage, res: ServerResponse, answer: PushAnswer, started: number): void {
    const headers = withCors(Object.entries(answer.headers).flat(), req.headers.origin)
    const written = write(res, () => {
      res.writeHead(answer.status, headers)
      res.end(req.method === 'HEAD' ? undefined : (answer.body ?? undefined))
    })
    if (written) observe?.(req.method!, answer.status, performance.now() - started)
  }

  /** An error while writing one response closes that response and its socket, never the process. */
  function write(res: ServerResponse, writing: () => void): boolean {
    try {
      writing()
      return true
    } catch (err) {
      logger.error({ err }, 'cannot write a response; closing its connection')
      res.destroy()
      return false
    }
  }

  function push(req: IncomingMessage, res: ServerResponse): void {
    const started = observe ? performance.now() : 0
    // Answered as soon as the body is known to be too large; the listener drops the rest.
    const refuse = () => {
      res.shouldKeepAlive = false
      send(req, res, rejection(tooLarge(maxBodyBytes)), started)
    }
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) return refuse()
    const chunks: Buffer[] = []
    let size = 0
    const collect = (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBodyBytes) chunks.push(chunk)
      else {
        req.off('data', collect).off('end', answer)
        refuse()
      }
    }
    const answer = () => {
      const token = Buffer.concat(chunks).toString('utf8')
      answerPush(service, logger, req.url!.slice(PREFIX.length), token, req.socket.remoteAddress).then(
        (reply) => send(req, res, reply, started),
        (err: unknown) => {
          logger.error({ err }, 'unexpected error while handling a push')
          send(req, res, { status: 500, body: 'internal server error\n', headers: {} }, started)
        },
      )
    }
    req.on('data', collect).on('end', answer)
  }

  return (req, res) => {
    const { method, url } = req
    if (url === undefined || url.length !== PREFIX.length + KEY_LENGTH || !url.startsWith(PREFIX)) return false
    if (method === 'GET' || method === 'HEAD') return read(req, res)
    if (method !== 'POST') return false
    push(req, res)
    return true
  }
}
