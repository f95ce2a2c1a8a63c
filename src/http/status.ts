/**
 * The one table from error codes to HTTP statuses (and the headers a status needs). Bodies are
 * the error's words (`describeError`), and for claim issues the Go server's layout.
 * @module
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { AccountServerError, ClaimsInvalidError, describeError, ERROR_WORDS, ErrorCode } from '../errors.js'

type Answer = { status: ContentfulStatusCode; headers?: Record<string, string> }

/** Codes no request raises (start-up and command-line problems) answer 500 if one ever escapes. */
const STATUSES: Partial<Record<ErrorCode, Answer>> = {
  [ErrorCode.InvalidPublicKey]: { status: 400 },
  [ErrorCode.JwtMalformed]: { status: 400 },
  [ErrorCode.JwtSignature]: { status: 400 },
  [ErrorCode.NotAccountJwt]: { status: 400 },
  [ErrorCode.SubjectMismatch]: { status: 400 },
  [ErrorCode.BadSubject]: { status: 400 },
  [ErrorCode.BadIssuer]: { status: 400 },
  [ErrorCode.SelfSigned]: { status: 400 },
  [ErrorCode.UntrustedIssuer]: { status: 400 },
  [ErrorCode.ClaimsInvalid]: { status: 400 },
  [ErrorCode.BadParameter]: { status: 400 },
  [ErrorCode.Stale]: { status: 409 },
  [ErrorCode.Deleted]: { status: 409 },
  [ErrorCode.NotFound]: { status: 404 },
  [ErrorCode.TooLarge]: { status: 413 },
  [ErrorCode.StoreRead]: { status: 500 },
  [ErrorCode.StoreWrite]: { status: 500 },
  [ErrorCode.StoreUnavailable]: { status: 503, headers: { 'Retry-After': '2' } },
  [ErrorCode.WriterUnavailable]: { status: 503, headers: { 'Retry-After': '1' } },
  [ErrorCode.NotImplemented]: { status: 501 },
  [ErrorCode.Unauthorized]: { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="nats-accounts"' } },
  [ErrorCode.Forbidden]: { status: 403 },
}

/** The status and headers of a domain error. */
export function statusOf(code: ErrorCode): Answer {
  return STATUSES[code] ?? { status: 500 }
}

export const TEXT_HEADERS = {
  'Content-Type': 'text/plain; charset=utf-8',
  'X-Content-Type-Options': 'nosniff',
} as const

/**
 * The Go server's first line of a claims refusal, typo included: scripts match POST answers on
 * it. The corrected sentence follows it there, and stands alone everywhere else (logs, NATS).
 */
export const GO_CLAIMS_INVALID = 'The server was unable to update your account JWT. One more more validation issues occurred.'

/** The status, headers and body for a domain error. */
export function errorAnswer(err: AccountServerError): { status: ContentfulStatusCode; headers: Record<string, string>; body: string } {
  const { status, headers: extra } = statusOf(err.code)
  const headers = { ...TEXT_HEADERS, ...extra }
  if (err instanceof ClaimsInvalidError) {
    // The Go server's item layout: one "\t - <issue>\n" per issue, items separated by "\n".
    const items = err.issues.map((i) => `\t - ${i.description}\n`).join('\n')
    return { status, headers, body: `${GO_CLAIMS_INVALID}\n${ERROR_WORDS[err.code]}:\n${items}\n` }
  }
  return { status, headers, body: `${describeError(err)}\n` }
}

export function errorResponse(err: AccountServerError): Response {
  const { status, headers, body } = errorAnswer(err)
  return new Response(body, { status, headers })
}
