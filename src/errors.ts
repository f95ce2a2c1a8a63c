/**
 * Domain errors, all of them. Every failure the server reports carries a stable `code` and opens
 * with the words of its code (`ERROR_WORDS`: the Go server's messages, which scripts and nsc
 * users already know). The HTTP layer maps codes to statuses (`http/status.ts`), the NATS layer
 * to its own envelope; logs, NATS and the import command print `describeError`.
 * @module
 */

export const ErrorCode = {
  /** The key in the URL (or a NATS subject) is not an account public key. */
  InvalidPublicKey: 'ERR_INVALID_PUBKEY',
  /** The request body is not a decodable JWT: segments, base64url, header, JSON, version. */
  JwtMalformed: 'ERR_JWT_MALFORMED',
  /** The signature does not verify with the key named in `iss`. */
  JwtSignature: 'ERR_JWT_SIGNATURE',
  /** A JWT that decodes but is not an account claim (user, operator, activation...). */
  NotAccountJwt: 'ERR_NOT_ACCOUNT_JWT',
  /** The claim's `sub` differs from the key in the URL. */
  SubjectMismatch: 'ERR_SUBJECT_MISMATCH',
  /** The claim's `sub` is not an account public key. */
  BadSubject: 'ERR_BAD_SUBJECT',
  /** The issuer is not an operator key (an account key that is not the subject). */
  BadIssuer: 'ERR_BAD_ISSUER',
  /** The account JWT is self-signed and no signing service is configured. */
  SelfSigned: 'ERR_SELF_SIGNED',
  /** The issuer is not trusted by the configured operator (or no operator is configured). */
  UntrustedIssuer: 'ERR_UNTRUSTED_ISSUER',
  /** Blocking claim issues, expiry included. */
  ClaimsInvalid: 'ERR_CLAIMS_INVALID',
  /** The JWT is older (`iat`) than the one already stored. */
  Stale: 'ERR_JWT_STALE',
  /** The account was deleted, and the JWT is not newer than the deleted one. */
  Deleted: 'ERR_ACCOUNT_DELETED',
  /** No JWT is stored for the account. */
  NotFound: 'ERR_NOT_FOUND',
  /** The request body is over the size limit. */
  TooLarge: 'ERR_TOO_LARGE',
  /** A query parameter has a value the route cannot use. */
  BadParameter: 'ERR_BAD_PARAMETER',
  /** The store failed to read (unreadable or corrupt entry, I/O error). */
  StoreRead: 'ERR_STORE_READ',
  /** The store failed to write. */
  StoreWrite: 'ERR_STORE_WRITE',
  /** The store cannot take writes now (a NATS KV bucket out of reach); nothing was written, the client retries. */
  StoreUnavailable: 'ERR_STORE_UNAVAILABLE',
  /** `--workers`: the writing worker is restarting; the write was not made, the client retries. */
  WriterUnavailable: 'ERR_WRITER_UNAVAILABLE',
  /** Configuration or start-up problem (not an HTTP error). */
  Config: 'ERR_CONFIG',
  /** A command line that cannot be run: unknown flag or command, missing value (not an HTTP error). */
  Usage: 'ERR_USAGE',
  /** A feature the request asks for is not available (e.g. lookup by jti without history). */
  NotImplemented: 'ERR_NOT_IMPLEMENTED',
  /** An admin route without an admin identity, or with a wrong token. */
  Unauthorized: 'ERR_UNAUTHORIZED',
  /** An identity that is not an admin, or a request the rules refuse (a delete request not trusted, the system account). */
  Forbidden: 'ERR_FORBIDDEN',
} as const

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** The words each code opens with; '' where the message says it all. */
export const ERROR_WORDS: Record<ErrorCode, string> = {
  [ErrorCode.InvalidPublicKey]: 'bad account public key in URL',
  [ErrorCode.JwtMalformed]: 'bad JWT in request',
  [ErrorCode.JwtSignature]: 'bad JWT in request',
  [ErrorCode.NotAccountJwt]: 'bad JWT in request',
  [ErrorCode.SubjectMismatch]: "pub keys don't match",
  [ErrorCode.BadSubject]: 'bad JWT Subject in request',
  [ErrorCode.BadIssuer]: 'Bad JWT Issuer in request',
  [ErrorCode.SelfSigned]: 'Signing service not enabled',
  [ErrorCode.UntrustedIssuer]: 'untrusted issuer in request',
  [ErrorCode.ClaimsInvalid]: 'One or more validation issues occurred',
  [ErrorCode.Stale]: 'stale JWT in request',
  [ErrorCode.Deleted]: 'deleted account',
  [ErrorCode.NotFound]: 'no matching account JWT',
  [ErrorCode.TooLarge]: 'request body too large',
  [ErrorCode.BadParameter]: '',
  [ErrorCode.StoreRead]: 'error loading JWT',
  [ErrorCode.StoreWrite]: 'error saving JWT',
  [ErrorCode.StoreUnavailable]: 'store unavailable, retry',
  [ErrorCode.WriterUnavailable]: 'service unavailable, retry',
  [ErrorCode.Config]: 'server configuration error',
  [ErrorCode.Usage]: '',
  [ErrorCode.NotImplemented]: '',
  [ErrorCode.Unauthorized]: '',
  [ErrorCode.Forbidden]: '',
}

export class AccountServerError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AccountServerError'
    this.code = code
  }
}

/** The error on one line, as logs, NATS replies and the import command print it. */
export function describeError(err: AccountServerError): string {
  const words = ERROR_WORDS[err.code]
  if (words === '') return err.message
  return err.message === '' ? words : `${words}: ${err.message}`
}

/** A time in a message: readable, with the raw claim value to compare. */
export function describeIat(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')} (iat ${seconds})`
}

/** One finding of the nats-io/jwt claim rules. */
export type ClaimIssue = { description: string; blocking: boolean; timeCheck: boolean }

/** Blocking claim issues; `issues` lists every issue found, warnings included (as Go did). */
export class ClaimsInvalidError extends AccountServerError {
  readonly issues: readonly ClaimIssue[]
  constructor(issues: readonly ClaimIssue[], options?: ErrorOptions) {
    super(ErrorCode.ClaimsInvalid, issues.map((i) => i.description).join('; '), options)
    this.name = 'ClaimsInvalidError'
    this.issues = issues
  }
}

/** The account and issue time of a JWT, as the refusals below name them. */
type IssuedJwt = { pubkey: string; iat: number }

export class StaleJwtError extends AccountServerError {
  constructor(posted: IssuedJwt, stored: IssuedJwt, options?: ErrorOptions) {
    super(
      ErrorCode.Stale,
      `the JWT for ${posted.pubkey} was issued at ${describeIat(posted.iat)}, before the stored JWT issued at ${describeIat(stored.iat)}; the stored JWT stays`,
      options,
    )
    this.name = 'StaleJwtError'
  }
}

export class DeletedAccountError extends AccountServerError {
  constructor(posted: IssuedJwt, deleted: IssuedJwt, options?: ErrorOptions) {
    super(
      ErrorCode.Deleted,
      `${posted.pubkey} was deleted when it held the JWT issued at ${describeIat(deleted.iat)}; only a JWT issued after that can re-create it`,
      options,
    )
    this.name = 'DeletedAccountError'
  }
}

/** Thrown by the drivers; wraps the OS or database error as `cause`. */
export class StoreError extends AccountServerError {
  constructor(driver: string, op: 'read' | 'write', message: string, options?: ErrorOptions) {
    super(op === 'read' ? ErrorCode.StoreRead : ErrorCode.StoreWrite, `[${driver}] ${message}`, options)
    this.name = 'StoreError'
  }
}

/**
 * The store cannot be written now (its servers are out of reach, the write timed out): the
 * write was not acknowledged, and a retry may succeed once the store is back.
 */
export class StoreUnavailableError extends AccountServerError {
  constructor(driver: string, message: string, options?: ErrorOptions) {
    super(ErrorCode.StoreUnavailable, `[${driver}] ${message}`, options)
    this.name = 'StoreUnavailableError'
  }
}

/** Start-up problems: bad flags, unreadable operator file, unusable listen address. Exit 1. */
export class ConfigError extends AccountServerError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Config, message, options)
    this.name = 'ConfigError'
  }
}

/** A configuration that cannot be read or parsed. The message starts with `<file>:<line>: `. */
export class ConfigSyntaxError extends ConfigError {
  readonly file: string
  /** 0 when the file itself could not be read. */
  readonly line: number
  /** The message without the location. */
  readonly reason: string
  constructor(file: string, line: number, reason: string, options?: ErrorOptions) {
    super(line > 0 ? `${file}:${line}: ${reason}` : `${file}: ${reason}`, options)
    this.name = 'ConfigSyntaxError'
    this.file = file
    this.line = line
    this.reason = reason
  }
}

/** A command line that cannot be run (unknown flag, missing value, flags that do not go together). Exit 2. */
export class UsageError extends AccountServerError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Usage, message, options)
    this.name = 'UsageError'
  }
}
