/**
 * The one table from error codes to HTTP answers. Bodies start with the Go server's message
 * (what scripts and nsc users already know) followed by the precise cause.
 * @module
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { AccountServerError, ErrorCode } from '../errors.js'
import { ClaimsInvalidError } from '../jwt/account.js'

type Answer = { status: ContentfulStatusCode; prefix: string; headers?: Record<string, string> }

export const ERROR_ANSWERS: Record<ErrorCode, Answer> = {
  [ErrorCode.InvalidPublicKey]: { status: 400, prefix: 'bad account public key in URL' },
  [ErrorCode.JwtMalformed]: { status: 400, prefix: 'bad JWT in request' },
  [ErrorCode.JwtSignature]: { status: 400, prefix: 'bad JWT in request' },
  [ErrorCode.NotAccountJwt]: { status: 400, prefix: 'bad JWT in request' },
  [ErrorCode.SubjectMismatch]: { status: 400, prefix: "pub keys don't match" },
  [ErrorCode.BadSubject]: { status: 400, prefix: 'bad JWT Subject in request' },
  [ErrorCode.BadIssuer]: { status: 400, prefix: 'Bad JWT Issuer in request' },
  [ErrorCode.SelfSigned]: { status: 400, prefix: 'Signing service not enabled' },
  [ErrorCode.UntrustedIssuer]: { status: 400, prefix: 'untrusted issuer in request' },
  [ErrorCode.ClaimsInvalid]: { status: 400, prefix: 'One or more validation issues occurred' },
  [ErrorCode.Stale]: { status: 409, prefix: 'stale JWT in request' },
  [ErrorCode.Deleted]: { status: 409, prefix: 'deleted account' },
  [ErrorCode.NotFound]: { status: 404, prefix: 'no matching account JWT' },
  [ErrorCode.TooLarge]: { status: 413, prefix: 'request body too large' },
  [ErrorCode.BadParameter]: { status: 400, prefix: '' },
  [ErrorCode.StoreRead]: { status: 500, prefix: 'error loading JWT' },
  [ErrorCode.StoreWrite]: { status: 500, prefix: 'error saving JWT' },
  [ErrorCode.WriterUnavailable]: { status: 503, prefix: 'service unavailable, retry', headers: { 'Retry-After': '1' } },
  [ErrorCode.Config]: { status: 500, prefix: 'server configuration error' },
  [ErrorCode.NotImplemented]: { status: 501, prefix: '' },
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
  const { status, prefix } = ERROR_ANSWERS[err.code]
  const headers = { ...TEXT_HEADERS, ...ERROR_ANSWERS[err.code].headers }
  if (err instanceof ClaimsInvalidError) {
    // The Go server's item layout: one "\t - <issue>\n" per issue, items separated by "\n".
    const items = err.issues.map((i) => `\t - ${i.description}\n`).join('\n')
    return { status, headers, body: `${GO_CLAIMS_INVALID}\n${prefix}:\n${items}\n` }
  }
  if (prefix === '') return { status, headers, body: `${err.message}\n` }
  return { status, headers, body: err.message === '' ? `${prefix}\n` : `${prefix}: ${err.message}\n` }
}

/** The error on one line, as logs and the import command print it. */
export function describeError(err: AccountServerError): string {
  const { prefix } = ERROR_ANSWERS[err.code]
  if (prefix === '') return err.message
  return err.message === '' ? prefix : `${prefix}: ${err.message}`
}

export function errorResponse(err: AccountServerError): Response {
  const { status, headers, body } = errorAnswer(err)
  return new Response(body, { status, headers })
}
