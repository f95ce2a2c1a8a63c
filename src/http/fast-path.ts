/**
 * The account route without the framework: when the URL is exactly the account's own (see
 * `plainParamMatcher`), GET/HEAD are answered from cached bytes and header values (a cached
 * account at once, others after one store read) and POST bodies are read here; the answers come
 * from `account-response.ts` and `push.ts`, as the route's do. Everything else falls through to
 * the full app, with exactly the same answers.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { AccountServerError, ErrorCode } from '../errors.js'
import type { Metrics } from '../metrics.js'
import type { AccountOverview } from '../accounts/overview.js'
import type { AccountService } from '../accounts/service.js'
import { accountAnswer, failure, rejection, tooLarge, writeAnswer, type Answer } from './account-response.js'
import { plainParamMatcher } from './go-router.js'
import { answerPush } from './push.js'
import { ACCOUNT_PATH } from './routes/accounts.js'

/** @returns true when it answered (or is answering) the request */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean

export type FastPathOptions = {
  service: AccountService
  logger: Logger
  maxBodyBytes: number
  metrics?: Metrics
  /** Adds the cross-account findings to push answers. */
  overview?: AccountOverview
}

export function fastPath(options: FastPathOptions): FastPath {
  const { service, logger, maxBodyBytes, metrics } = options
  const observe = metrics?.observer(ACCOUNT_PATH)
  const keyOf = plainParamMatcher(ACCOUNT_PATH)

  function send(req: IncomingMessage, res: ServerResponse, answer: Answer, started: number): void {
    const method = req.method!
    if (writeAnswer(res, answer, method, req.headers.origin, logger)) observe?.(method, answer.status, (performance.now() - started) / 1000)
  }

  function read(req: IncomingMessage, res: ServerResponse, key: string): void {
    const started = observe ? performance.now() : 0
    const entry = service.cached(key)
    if (entry !== undefined) return send(req, res, accountAnswer(entry, service.now(), req.method!, req.headers['if-none-match']), started)
    // Not cached: the store answers (one read, then it is cached), a miss is the route's 404.
    Promise.resolve()
      .then(() => service.lookup(key))
      .then(
        (found) =>
          found === null
            ? rejection(new AccountServerError(ErrorCode.NotFound, ''))
            : accountAnswer(found, service.now(), req.method!, req.headers['if-none-match']),
        (err: unknown) => failure(err, logger, 'serving an account'),
      )
      .then((answer) => send(req, res, answer, started))
  }

  function push(req: IncomingMessage, res: ServerResponse, key: string): void {
    const started = observe ? performance.now() : 0
    // Answered as soon as the body is known to be too large; the listener drops the rest.
    const refuse = () => {
      res.shouldKeepAlive = false
      send(req, res, tooLarge(maxBodyBytes), started)
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
      answerPush(service, logger, key, token, req.socket.remoteAddress, options.overview).then(
        (reply) => send(req, res, reply, started),
        (err: unknown) => send(req, res, failure(err, logger, 'handling a push'), started),
      )
    }
    req.on('data', collect).on('end', answer)
  }

  return (req, res) => {
    const { method, url } = req
    const key = url === undefined ? null : keyOf(url)
    if (key === null) return false
    if (method === 'GET' || method === 'HEAD') read(req, res, key)
    else if (method === 'POST') push(req, res, key)
    else return false
    return true
  }
}
