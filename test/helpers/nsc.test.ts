/**
 * The nsc-style minting helper computes `jti` exactly as nats-io/jwt v2 does: checked against
 * every JWT the Go library made for the fixtures.
 */
import { describe, expect, it } from 'vitest'
import { decodeJwt } from '../../src/jwt/decode.js'
import { FIXTURE_SET_NAMES, loadFixtureSet } from './fixtures.js'
import { newKey } from './mint.js'
import { natsJti, sameSecondEdit, type RegisteredClaims } from './nsc.js'

describe('nsc-style minting', () => {
  const goMade = FIXTURE_SET_NAMES.flatMap((name) => {
    const set = loadFixtureSet(name)
    return set.accepted.map((entry) => [`${name}/${entry.name}`, set.jwt(entry).trim()] as const)
  })

  it.each(goMade)('computes the jti nats-io/jwt gave %s', (_, jwt) => {
    const claims = decodeJwt(jwt).claims as unknown as RegisteredClaims & { jti: string }
    expect(natsJti(claims)).toBe(claims.jti)
  })

  it('gives a same-second edit the same jti and iat, and other bytes', () => {
    const account = newKey('account').publicKey
    const { added, edited } = sameSecondEdit(account, newKey('operator'), { iat: 1_800_000_000 })
    const [a, b] = [decodeJwt(added).claims, decodeJwt(edited).claims]
    expect(b.jti).toBe(a.jti)
    expect(b.iat).toBe(a.iat)
    expect(edited).not.toBe(added)
    expect((b.nats as { limits: { conn: number } }).limits.conn).toBe(5)
    expect((a.nats as { limits: { conn: number } }).limits.conn).toBe(-1)
  })
})
