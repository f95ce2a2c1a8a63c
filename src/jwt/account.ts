/**
 * The full check an account JWT passes before it is stored, whatever the transport: decode,
 * claim type, signature, subject, issuer trust (strict signing keys included) and the blocking
 * claim issues of nats-io/jwt (time checks included).
 * @module
 */
import { AccountServerError, ClaimsInvalidError, describeIat, ErrorCode } from '../errors.js'
import type { StoredAccount } from './types.js'
import { accountMeta, decodeJwt, storedAccount } from './decode.js'
import { accountKeyProblem, isAccountKey, publicKeyKind } from './nkeys.js'
import { isTrustedIssuer, type OperatorTrust } from './trust.js'
import { accountClaimIssues, misspelledKeys } from './claims/index.js'
import { verifySignature } from './verify.js'

export type AccountCheck = {
  /** The configured operator, or null when none is (every JWT is then refused). */
  trust: OperatorTrust | null
  /** The account key the JWT is posted for (URL or NATS subject), when there is one. */
  expectedKey?: string
  /** Seconds since the epoch. */
  now: number
  /** How far in the future an `iat` may be. @default DEFAULT_CLOCK_SKEW_S */
  clockSkewSeconds?: number
}

/** Five minutes, as JWT libraries usually allow between clocks. */
export const DEFAULT_CLOCK_SKEW_S = 300

const fail = (code: ErrorCode, message: string) => new AccountServerError(code, message)

/**
 * Checks the key a JWT is sent for (URL or NATS subject) before anything else, so a malformed
 * key never reaches the store. A valid key of another kind (a user key...) gets the Go server's
 * "bad JWT Subject in request", its answer to an account JWT for a user key.
 */
export function checkPushKey(key: string): void {
  const problem = accountKeyProblem(key)
  if (problem === null) return
  const code = publicKeyKind(key) === null ? ErrorCode.InvalidPublicKey : ErrorCode.BadSubject
  throw fail(code, `"${key}" ${problem}`)
}

/**
 * @returns the account as it will be stored
 * @throws AccountServerError with the code of the first failed check
 */
export function checkAccountJwt(token: string, check: AccountCheck): StoredAccount {
  const decoded = decodeJwt(token)
  const misspelled = misspelledKeys(decoded.claims)
  if (misspelled.length > 0) {
    throw new ClaimsInvalidError(misspelled.map((description) => ({ description, blocking: true, timeCheck: false })))
  }
  if (decoded.kind !== 'account') {
    throw fail(ErrorCode.NotAccountJwt, `claim type is "${decoded.kind}", not "account"`)
  }
  verifySignature(decoded)
  const meta = accountMeta(decoded)
  if (meta.jti === '') throw fail(ErrorCode.JwtMalformed, 'the JWT has no jti')
  const { pubkey: subject, issuer } = meta
  const issuerKind = publicKeyKind(issuer)
  if (issuerKind !== 'operator' && issuerKind !== 'account') {
    throw fail(ErrorCode.BadIssuer, `issuer ${issuer} is neither an operator nor an account key`)
  }
  if (check.expectedKey !== undefined && subject !== check.expectedKey) {
    throw fail(
      ErrorCode.SubjectMismatch,
      `JWT subject ${subject} is not the account key ${check.expectedKey} it was sent for`,
    )
  }
  if (!isAccountKey(subject)) {
    throw fail(ErrorCode.BadSubject, `JWT subject "${subject}" is not an account public key`)
  }
  const { trust } = check
  if (issuerKind === 'account') {
    if (issuer === subject) {
      throw fail(
        ErrorCode.SelfSigned,
        `the account JWT is self-signed by ${subject}; it must be signed by the operator${trust ? ` ${trust.key}` : ''} or one of its signing keys`,
      )
    }
    throw fail(
      ErrorCode.BadIssuer,
      `issuer ${issuer} is an account key; account JWTs must be signed by an operator key`,
    )
  }
  if (trust === null) {
    throw fail(
      ErrorCode.UntrustedIssuer,
      'no operator is configured, so no issuer can be trusted: start the server with -operator <operator JWT file> to accept account JWTs',
    )
  }
  if (!isTrustedIssuer(trust, issuer)) {
    throw fail(
      ErrorCode.UntrustedIssuer,
      issuer === trust.key
        ? `issuer ${issuer} is the identity key of operator ${trust.name}, which sets strict_signing_key_usage: account JWTs must be signed by one of its signing keys (${[...trust.signingKeys].join(', ') || 'none'})`
        : `issuer ${issuer} is not operator ${trust.key} (${trust.name}) nor one of its signing keys`,
    )
  }
  const issues = accountClaimIssues(decoded.claims, check.now, decoded.payloadJson)
  // A far-future iat would win every newest-wins decision until that time comes.
  const skew = check.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_S
  if (meta.iat > check.now + skew) {
    issues.push({
      description: `issued in the future: iat ${describeIat(meta.iat)} is ${meta.iat - check.now} s after this server's time ${describeIat(check.now)}; at most ${skew} s of clock skew are accepted (--clock-skew)`,
      blocking: true,
      timeCheck: true,
    })
  }
  if (issues.some((issue) => issue.blocking || issue.timeCheck)) throw new ClaimsInvalidError(issues)
  return storedAccount(meta, decoded.token)
}
