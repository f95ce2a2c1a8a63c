/**
 * Domain errors. Every failure the server reports carries a stable `code`; the HTTP layer maps
 * codes to statuses in one table (`http/status.ts`), the NATS layer to its own envelope.
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
  /** `--workers`: the writing worker is restarting; the write was not made, the client retries. */
  WriterUnavailable: 'ERR_WRITER_UNAVAILABLE',
  /** Configuration or start-up problem (not an HTTP error). */
  Config: 'ERR_CONFIG',
  /** A feature the request asks for is not available (e.g. lookup by jti without history). */
  NotImplemented: 'ERR_NOT_IMPLEMENTED',
} as const

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

export class AccountServerError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AccountServerError'
    this.code = code
  }
}

/** Thrown by the drivers; wraps the OS or database error as `cause`. */
export class StoreError extends AccountServerError {
  constructor(driver: string, op: 'read' | 'write', message: string, options?: ErrorOptions) {
    super(op === 'read' ? ErrorCode.StoreRead : ErrorCode.StoreWrite, `[${driver}] ${message}`, options)
    this.name = 'StoreError'
  }
}

/** Start-up problems: bad flags, unreadable operator file, unusable listen address. */
export class ConfigError extends AccountServerError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Config, message, options)
    this.name = 'ConfigError'
  }
}

/** A command line that cannot be run as given (exit code 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}
