/**
 * The one builder of account answers that the fast path and the routes share: each answer kind
 * on its own (the differential test in fast-path.test.ts checks both paths write them alike).
 */
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { AccountServerError, ErrorCode } from '../../src/errors.js'
import {
  accountAnswer,
  addCors,
  cacheControl,
  failure,
  rejection,
  toResponse,
  tooLarge,
} from '../../src/http/account-response.js'
import { CachedAccount } from '../../src/accounts/cache.js'

const NOW_MS = 1_700_000_000_000
const entry = (exp: number) => new CachedAccount(exp, Buffer.from('a.b.c'), 0, 5, '"e1"')

function headersOf(list: string[]): Record<string, string> {
  const pairs: [string, string][] = []
  for (let i = 0; i < list.length; i += 2) pairs.push([list[i]!, list[i + 1]!])
  return Object.fromEntries(pairs)
}

describe('cacheControl', () => {
  it('revalidates a JWT without exp or already expired, and caches one with exp until then', () => {
    expect(cacheControl(entry(0), NOW_MS)).toBe('no-cache')
    expect(cacheControl(entry(NOW_MS / 1000 - 1), NOW_MS)).toBe('no-cache')
    expect(cacheControl(entry(NOW_MS / 1000 + 60.5), NOW_MS)).toBe('max-age=60, stale-while-revalidate=3600, stale-if-error=3600')
  })
})

describe('accountAnswer', () => {
  it('is 200 with the JWT, its ETag, Cache-Control, type and length', () => {
    const answer = accountAnswer(entry(0), NOW_MS, 'GET', undefined)
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual(Buffer.from('a.b.c'))
    expect(headersOf(answer.headers)).toEqual({
      ETag: '"e1"',
      'Cache-Control': 'no-cache',
      'Content-Type': 'application/jwt',
      'Content-Length': '5',
    })
  })

  it('has no body for HEAD, with the same headers', () => {
    const answer = accountAnswer(entry(0), NOW_MS, 'HEAD', undefined)
    expect(answer).toEqual({ ...accountAnswer(entry(0), NOW_MS, 'GET', undefined), body: null })
  })

  it('is 304 with ETag and Cache-Control only when If-None-Match names the ETag', () => {
    const answer = accountAnswer(entry(0), NOW_MS, 'GET', 'W/"x", "e1"')
    expect(answer.status).toBe(304)
    expect(answer.body).toBeNull()
    expect(headersOf(answer.headers)).toEqual({ ETag: '"e1"', 'Cache-Control': 'no-cache' })
    expect(accountAnswer(entry(0), NOW_MS, 'GET', '"e2"').status).toBe(200)
  })
})

describe('addCors', () => {
  it('always varies on Origin and echoes the origin only where granted, for simple methods', () => {
    expect(addCors([], 'https://ui', 'GET', true)).toEqual([
      'Vary',
      'Origin',
      'Access-Control-Allow-Origin',
      'https://ui',
      'Access-Control-Expose-Headers',
      'Authorization',
    ])
    expect(addCors([], 'https://ui', 'GET', false)).toEqual(['Vary', 'Origin'])
    expect(addCors([], undefined, 'GET', true)).toEqual(['Vary', 'Origin'])
    expect(addCors([], 'https://ui', 'DELETE', true)).toEqual(['Vary', 'Origin'])
  })
})

describe('failure answers', () => {
  it('a domain error: its status and the Go words, as plain text', () => {
    const answer = rejection(new AccountServerError(ErrorCode.NotFound, ''))
    expect(answer.status).toBe(404)
    expect(answer.body).toBe('no matching account JWT\n')
    expect(headersOf(answer.headers)).toEqual({ 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' })
  })

  it('a body over the limit: 413 naming the limit, and the connection closes', () => {
    const answer = tooLarge(1024)
    expect(answer.status).toBe(413)
    expect(answer.body).toBe('request body too large: the body is over the 1024-byte limit; an account JWT is a few kilobytes\n')
    expect(headersOf(answer.headers).Connection).toBe('close')
  })

  it('anything else: logged, and a plain 500', () => {
    let logged = ''
    const logger = pino({ level: 'error' }, { write: (line: string) => (logged += line) })
    const answer = failure(new Error('disk on fire'), logger, 'serving an account')
    expect(answer.status).toBe(500)
    expect(answer.body).toBe('internal server error\n')
    expect(headersOf(answer.headers)['Content-Type']).toBe('text/plain; charset=utf-8')
    expect(logged).toContain('unexpected error while serving an account')
    expect(logged).toContain('disk on fire')
    expect(failure(new AccountServerError(ErrorCode.Stale, 'older'), logger, 'x').status).toBe(409)
  })
})

describe('toResponse', () => {
  it('keeps status, body and every header (repeated names appended)', async () => {
    const response = toResponse({ status: 202, headers: ['Vary', 'Origin', 'Vary', 'Accept', 'X-A', '1'], body: 'ok\n' })
    expect(response.status).toBe(202)
    expect(await response.text()).toBe('ok\n')
    expect(response.headers.get('Vary')).toBe('Origin, Accept')
    expect(response.headers.get('X-A')).toBe('1')
  })
})
