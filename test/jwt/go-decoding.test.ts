/**
 * JWTs nats-server's Go decoder refuses (or reads differently) are refused here too: number
 * literals an integer field cannot take, keys that differ from a field only in letter case,
 * and an `iat` further in the future than the clock skew allows.
 */
import { describe, expect, it } from 'vitest'
import { checkAccountJwt } from '../../src/jwt/account.js'
import { parseOperator } from '../../src/jwt/trust.js'
import { unusualNumbers } from '../../src/jwt/go-json.js'
import { mintOperator, newKey, UNLIMITED, type Signer } from '../helpers/mint.js'

const operator = newKey('operator')
const trust = parseOperator(mintOperator(operator, { name: 'OP' }), 't')
const now = 1_800_000_000
const account = newKey('account').publicKey

/** An account JWT whose payload is exactly `payload` (JSON text, not re-serialised). */
function signRaw(payload: string, signer: Signer = operator): string {
  const header = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' })).toString('base64url')
  const input = `${header}.${Buffer.from(payload).toString('base64url')}`
  return `${input}.${signer.sign(Buffer.from(input)).toString('base64url')}`
}

const limits = JSON.stringify(UNLIMITED).slice(1, -1)
/** A valid account payload with `parts` spliced in: top-level members, and members of `limits`. */
function payload(top = '', limit = '', iat = String(now)): string {
  return `{"jti":"J","iat":${iat},"iss":"${operator.publicKey}","name":"A","sub":"${account}"${top},"nats":{"limits":{${limits}${limit}},"type":"account","version":2}}`
}

function refusal(jwt: string, clockSkewSeconds?: number): { code: string; issues: string[] } {
  try {
    checkAccountJwt(jwt, { trust, now, clockSkewSeconds })
  } catch (err) {
    const { code, issues } = err as { code: string; issues?: { description: string }[] }
    return { code, issues: issues?.map((i) => i.description) ?? [] }
  }
  throw new Error('accepted')
}

describe('number literals Go cannot decode into an integer claim', () => {
  it.each([
    ['an exponent in iat', payload('', '', '1.7e9'), 'json: cannot unmarshal number 1.7e9 into iat of type int64'],
    ['a fraction in iat', payload('', '', `${now}.0`), `json: cannot unmarshal number ${now}.0 into iat of type int64`],
    ['exp past int64', payload(',"exp":9223372036854775808'), 'json: cannot unmarshal number 9223372036854775808 into exp of type int64'],
    ['nbf below int64', payload(',"nbf":-9223372036854775809'), 'json: cannot unmarshal number -9223372036854775809 into nbf of type int64'],
    ['a fraction in a limit', payload('', ',"conn":5.0'), 'json: cannot unmarshal number 5.0 into nats.limits.conn of type int64'],
    ['an exponent in a JetStream limit', payload('', ',"mem_storage":1E3'), 'json: cannot unmarshal number 1E3 into nats.limits.mem_storage of type int64'],
    ['a fraction hidden by a later duplicate key', payload(`,"iat":${now}`, '', '1.5'), 'json: cannot unmarshal number 1.5 into iat of type int64'],
  ])('refuses %s', (_, text, issue) => {
    expect(refusal(signRaw(text))).toEqual({ code: 'ERR_CLAIMS_INVALID', issues: [issue] })
  })

  it.each([
    ['int64 bounds', payload(',"exp":9223372036854775807,"nbf":-9223372036854775808')],
    ['fractions and exponents in fields Go ignores', payload(',"x":1.5,"y":{"iat":1e3}')],
    ['number-like strings', payload(',"aud":"1.5e3"')],
    ['a negative zero', payload('', ',"conn":-0')],
  ])('accepts %s', (_, text) => {
    expect(checkAccountJwt(signRaw(text), { trust, now }).pubkey).toBe(account)
  })
})

describe('keys that differ from a claim field only in letter case', () => {
  it.each([
    ['a second subject as "SUB"', payload(`,"SUB":"${newKey('account').publicKey}"`), 'key "SUB" differs from "sub" only in letter case'],
    ['"NATS" beside "nats"', payload(',"NATS":{"type":"operator"}'), 'key "NATS" differs from "nats" only in letter case'],
    ['a long s, which Go folds onto s', payload(',"ſub":"x"'), 'key "ſub" differs from "sub" only in letter case'],
    ['a limit as "Conn"', payload('', ',"Conn":1'), 'key "Conn" in nats.limits differs from "conn" only in letter case'],
  ])('refuses %s', (_, text, issue) => {
    const { code, issues } = refusal(signRaw(text))
    expect(code).toBe('ERR_CLAIMS_INVALID')
    expect(issues).toHaveLength(1)
    expect(issues[0]).toContain(issue)
  })

  it('refuses a claim whose only "nats" is spelled "NATS", naming the key', () => {
    const text = `{"jti":"J","iat":${now},"iss":"${operator.publicKey}","name":"A","sub":"${account}","NATS":{"type":"account","version":2}}`
    expect(refusal(signRaw(text)).issues).toEqual([
      'key "NATS" differs from "nats" only in letter case: nats-server reads it as "nats", use that spelling alone',
    ])
  })
})

describe('iat in the future', () => {
  it('is accepted within the clock skew (default 5 minutes) and refused past it, naming both times', () => {
    expect(checkAccountJwt(signRaw(payload('', '', String(now + 300))), { trust, now }).iat).toBe(now + 300)
    expect(refusal(signRaw(payload('', '', String(now + 301))))).toEqual({
      code: 'ERR_CLAIMS_INVALID',
      issues: [
        `issued in the future: iat 2027-01-15T08:05:01Z (iat ${now + 301}) is 301 s after this server's time 2027-01-15T08:00:00Z (iat ${now}); at most 300 s of clock skew are accepted (--clock-skew)`,
      ],
    })
    expect(refusal(signRaw(payload('', '', String(now + 1))), 0).issues[0]).toMatch(/^issued in the future: .* at most 0 s of clock skew/)
  })
})

describe('unusualNumbers', () => {
  it('finds each literal with its path, across strings with escapes and nested arrays', () => {
    const json = '{"a":"x\\"1.5","b":[1,{"c":2.5}],"d\\u0065":[[3e0]],"big":12345678901234567890,"ok":-12}'
    expect(unusualNumbers(json)).toEqual([
      { path: ['b', 1, 'c'], literal: '2.5' },
      { path: ['de', 0, 0], literal: '3e0' },
      { path: ['big'], literal: '12345678901234567890' },
    ])
  })
})
