/**
 * Account-claim validation with the rules of nats-io/jwt v2 (`AccountClaims.Validate` and all it
 * calls, plus the JSON decoding that precedes it), one file per Go file it follows. Where jwt
 * releases v2.3.0…v2.8.2 differ, the strictest form wins, so a claim without blocking issues is
 * accepted by every nats-server from 2.9 to 2.14. Signature, issuer trust and the key kinds of
 * `sub`/`iss` are checked elsewhere.
 * @module
 */
import type { ClaimIssue } from '../../errors.js'
import { claimVersion } from '../json.js'
import { isPublicKeyOf } from '../nkeys.js'
import type { ClaimsData } from '../types.js'
import { checkAccount, limitsAreEmpty, migrateV1 } from './account.js'
import { num, rec, Report, str } from './read.js'
import { ACCOUNT_V1, ACCOUNT_V2, loadProblems } from './shapes.js'

export type { ClaimIssue }
export { misspelledKeys } from './shapes.js'

/**
 * Every issue the Go library would report for this account claim (warnings included), plus time
 * checks.
 */
export function accountClaimIssues(claims: ClaimsData, nowSeconds: number, json?: string): ClaimIssue[] {
  const report = new Report()
  const problems = loadProblems(claims, ACCOUNT_V1, ACCOUNT_V2, json)
  if (problems.length > 0) {
    for (const problem of problems) report.error(problem)
    return report.issues
  }
  const now = Math.floor(nowSeconds)
  const exp = num(claims, 'exp')
  const nbf = num(claims, 'nbf')
  if (exp > 0 && now > exp) report.timeCheck('claim is expired')
  if (nbf > 0 && nbf > now) report.timeCheck('claim is not yet valid')

  const nats = claimVersion(claims) === 1 ? migrateV1(rec(claims, 'nats')) : rec(claims, 'nats')
  checkAccount(nats, str(claims, 'sub'), report)
  if (isPublicKeyOf(str(claims, 'iss'), 'A') && !limitsAreEmpty(rec(nats, 'limits'))) {
    report.warning("self-signed account JWTs shouldn't contain operator limits")
  }
  return report.issues
}
