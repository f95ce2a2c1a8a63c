/**
 * Go's `jwt.DecodeActivationClaims`, shared by the import rules (jwt/claims/imports.ts) and the
 * `?decode=true` view: the token decoded, its signature verified, issued by an account or an
 * operator, and of the activation kind. Each caller reads the fields it needs.
 * @module
 */
import { AccountServerError, ErrorCode } from '../errors.js'
import { decodeJwt } from './decode.js'
import { publicKeyKind } from './nkeys.js'
import type { DecodedJwt } from './types.js'
import { verifySignature } from './verify.js'

/** @throws AccountServerError with Go's message for the first check that fails */
export function decodeActivationJwt(token: string): DecodedJwt {
  const jwt = decodeJwt(token)
  verifySignature(jwt)
  const issuer = publicKeyKind(jwt.claims.iss ?? '')
  if (issuer !== 'account' && issuer !== 'operator') {
    throw new AccountServerError(ErrorCode.JwtMalformed, 'issuer is not an account or operator key')
  }
  if (jwt.kind !== 'activation') throw new AccountServerError(ErrorCode.JwtMalformed, 'not activation claim')
  return jwt
}
