/**
 * Every answer about an account, built once for both ways a request is served: the fast path
 * writes it to a raw `ServerResponse`, the routes turn it into a `Response`. Status, body, ETag,
 * Cache-Control, CORS, 304, HEAD and the 413/500 bodies are decided here only.
 * @module
 */
import type { ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { AccountServerError, ErrorCode } from '../errors.js'
import type { CachedAccount } from '../accounts/cache.js'
import { errorAnswer, TEXT_HEADERS } from './status.js'

/** Headers as a flat name, value, name, value… list: what `writeHead` takes without copying. */
export type Answer = { status: number; headers: string[]; body: Buffer | string | null }

/** JWTs without `exp` may be cached but must be revalidated (cheap: `If-None-Match` → 304). */
const REVALIDATE = 'no-cache'

const TEXT_HEADER_LIST: readonly string[] = Object.entries(TEXT_HEADERS).flat()

/** rs/cors's simple methods, plus OPTIONS. */
export const CORS_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'OPTIONS'])

/** Cache-Control from `exp` (as the Go server), never a negative max-age (the Go server's bug). */
export function cacheControl(entry: CachedAccount, nowMs: number): string {
  const { exp } = entry
  if (exp === 0) return REVALIDATE
  const maxAge = Math.trunc(exp - nowMs / 1000)
  return maxAge > 0 ? `max-age=${maxAge}, stale-while-revalidate=3600, stale-if-error=3600` : REVALIDATE
}

/**
 * rs/cors as the Go server had it: `Vary: Origin` always; the Origin echoed only where the route
 * grants it (the account reads and pushes) and for simple methods.
 */
export function addCors(headers: string[], origin: string | undefined, method: string, granted: boolean): string[] {
  headers.push('Vary', 'Origin')
  if (granted && origin && CORS_METHODS.has(method)) {
    headers.push('Access-Control-Allow-Origin', origin, 'Access-Control-Expose-Headers', 'Authorization')
  }
  return headers
}

/**
 * RFC 9111's stale-response warning (code 110), on answers read from a store's local copy while
 * the store itself is out of reach: curl -i shows it; nats-server ignores it and gets the JWT.
 */
export const STALE_WARNING = '110 nats-accounts "Response is Stale"'

/**
 * A stored account: 200 with the JWT, or 304 when `If-None-Match` names its ETag; HEAD has no
 * body. The header list is built per response from values the cache computed once (keeping the
 * list per account costs memory and buys no speed: docs/design-measurements.md). `stale`: the
 * store serves from a copy that may be behind (see `AccountService.servingStale`).
 */
export function accountAnswer(entry: CachedAccount, nowMs: number, method: string, ifNoneMatch: string | undefined, stale = false): Answer {
  const { status, headers } = accountHead(entry, nowMs, ifNoneMatch, stale)
  return { status, headers, body: sendsBody(status, method) ? entry.body : null }
}

/** Whether an account answer carries the JWT: a 200 to GET (not to HEAD, never a 304). */
export const sendsBody = (status: 200 | 304, method: string): boolean => status === 200 && method !== 'HEAD'


/** `accountAnswer` without the body: status 200 (the entry's bytes follow, unless HEAD) or 304. */
export function accountHead(entry: CachedAccount, nowMs: number, ifNoneMatch: string | undefined, stale: boolean): { status: 200 | 304; headers: string[] } {
  const headers = ['ETag', entry.etag, 'Cache-Control', cacheControl(entry, nowMs)]
  if (stale) headers.push('Warning', STALE_WARNING)
  if (ifNoneMatch?.includes(entry.etag) === true) return { status: 304, headers }
  headers.push('Content-Type', 'application/jwt', 'Content-Length', String(entry.end - entry.start))
  return { status: 200, headers }
}

/** A domain error's status, headers and body (the words and statuses come from `status.ts`). */
export function rejection(err: AccountServerError): Answer {
  const { status, headers, body } = errorAnswer(err)
  return { status, headers: Object.entries(headers).flat(), body }
}

/** A body over the limit: refused unread, the connection closes after the answer. */
export function tooLarge(maxBodyBytes: number): Answer {
  const answer = rejection(
    new AccountServerError(ErrorCode.TooLarge, `the body is over the ${maxBodyBytes}-byte limit; an account JWT is a few kilobytes`),
  )
  answer.headers.push('Connection', 'close')
  return answer
}

/** The answer to a failed request: a domain error's own, anything else logged and 500. */
export function failure(err: unknown, logger: Logger, doing: string): Answer {
  if (err instanceof AccountServerError) return rejection(err)
  logger.error({ err }, `unexpected error while ${doing}`)
  return { status: 500, headers: [...TEXT_HEADER_LIST], body: 'internal server error\n' }
}

/** For the routes (the app drops HEAD bodies itself). */
export function toResponse(answer: Answer): Response {
  const headers = new Headers()
  const list = answer.headers
  for (let i = 0; i < list.length; i += 2) headers.append(list[i]!, list[i + 1]!)
  return new Response(answer.body, { status: answer.status, headers })
}

/**
 * For the fast path, with CORS added as the app's router adds it to the account route (which
 * grants it). An error while writing closes that response and its socket, never the process.
 * @returns false when the answer could not be written
 */
export function writeAnswer(res: ServerResponse, answer: Answer, method: string, origin: string | undefined, logger: Logger): boolean {
  try {
    res.writeHead(answer.status, addCors(answer.headers, origin, method, true))
    res.end(method === 'HEAD' ? undefined : (answer.body ?? undefined))
    return true
  } catch (err) {
    logger.error({ err }, 'cannot write a response; closing its connection')
    res.destroy()
    return false
  }
}
