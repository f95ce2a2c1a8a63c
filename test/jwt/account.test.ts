import { describe, expect, it } from 'vitest'
import { checkAccountJwt, type AccountCheck } from '../../src/jwt/account.js'
import { parseOperator } from '../../src/jwt/trust.js'
import { mintAccount, mintJwt, mintOperator, newKey } from '../helpers/mint.js'

const operator = newKey('operator')
const signingKey = newKey('operator')
const trust = parseOperator(mintOperator(operator, { name: 'OP', nats: { signing_keys: [signingKey.publicKey] } }), 't')
const strict = { ...trust, strict: true }
const now = 1_800_000_000
const account = newKey('account')
const other = newKey('account')

describe('checkAccountJwt', () => {
  it('returns what the store keeps', () => {
    const jwt = mintAccount(account.publicKey, signingKey, { iat: now, exp: now + 10, name: 'ACC' })
    expect(checkAccountJwt(jwt, { trust, now, expectedKey: account.publicKey })).toEqual({
      pubkey: account.publicKey,
      jti: expect.any(String),
      iat: now,
      exp: now + 10,
      issuer: signingKey.publicKey,
      name: 'ACC',
      jwt,
    })
  })

  it('accepts v1 account JWTs', () => {
    const jwt = mintAccount(account.publicKey, operator, { version: 1 })
    expect(checkAccountJwt(jwt, { trust, now: Math.floor(Date.now() / 1000) }).pubkey).toBe(account.publicKey)
  })

  type Case = readonly [string, () => string, Partial<AccountCheck>, string]
  it.each<Case>([
    ['malformed', () => 'x', {}, 'ERR_JWT_MALFORMED'],
    ['not an account', () => mintJwt('user', newKey('user').publicKey, account, {}), {}, 'ERR_NOT_ACCOUNT_JWT'],
    ['generic claim', () => mintJwt('generic', operator.publicKey, operator, {}), {}, 'ERR_NOT_ACCOUNT_JWT'],
    ['bad signature', () => mintAccount(account.publicKey, operator).slice(0, -4) + 'AAAA', {}, 'ERR_JWT_SIGNATURE'],
    ['user issuer', () => mintAccount(account.publicKey, newKey('user')), {}, 'ERR_BAD_ISSUER'],
    ['subject mismatch', () => mintAccount(account.publicKey, operator), { expectedKey: other.publicKey }, 'ERR_SUBJECT_MISMATCH'],
    ['user subject', () => mintAccount(newKey('user').publicKey, operator), {}, 'ERR_BAD_SUBJECT'],
    ['self-signed', () => mintAccount(account.publicKey, account), {}, 'ERR_SELF_SIGNED'],
    ['signed by another account', () => mintAccount(account.publicKey, other), {}, 'ERR_BAD_ISSUER'],
    ['foreign operator', () => mintAccount(account.publicKey, newKey('operator')), {}, 'ERR_UNTRUSTED_ISSUER'],
    ['no operator', () => mintAccount(account.publicKey, operator), { trust: null }, 'ERR_UNTRUSTED_ISSUER'],
    ['strict identity', () => mintAccount(account.publicKey, operator), { trust: strict }, 'ERR_UNTRUSTED_ISSUER'],
    ['expired', () => mintAccount(account.publicKey, operator, { exp: now - 1 }), {}, 'ERR_CLAIMS_INVALID'],
    ['not yet valid', () => mintAccount(account.publicKey, operator, { nbf: now + 1 }), {}, 'ERR_CLAIMS_INVALID'],
    ['missing limits with an export', () => mintJwt('account', account.publicKey, operator, { exports: [{ subject: 'a', type: 'stream' }] }), {}, 'ERR_CLAIMS_INVALID'],
  ])('refuses %s with %s', (_, make, overrides, code) => {
    expect(() => checkAccountJwt(make(), { trust, now, ...overrides })).toThrow(expect.objectContaining({ code }))
  })

  it('lists every issue, warnings included, on a claims failure', () => {
    const jwt = mintAccount(account.publicKey, operator, { exp: now - 1, nbf: now + 1 })
    try {
      checkAccountJwt(jwt, { trust, now })
      expect.unreachable()
    } catch (err) {
      expect((err as { issues: { description: string }[] }).issues.map((i) => i.description)).toEqual(
        expect.arrayContaining(['claim is expired', 'claim is not yet valid']),
      )
    }
  })
})
