import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  Algorithms,
  encodeAccount,
  encodeActivation,
  encodeUser,
  type Activation,
  type Import,
} from '@nats-io/jwt'
import { fromSeed } from '@nats-io/nkeys'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { AccountServerError, ErrorCode } from '../../src/errors.js'
import { decodedJwtResponse, formatDecodedJwt } from '../../src/http/decode-view.js'

const FIXTURES = join(import.meta.dirname, '../fixtures/standard')
const OPERATOR = 'OAVFGYSFILUKZ5ON3UXGKVP7S4RU5P6X6FHN6JYCNYYYRMPBU2P2J77V'

const HEADER_V2 = '{\n    "typ": "JWT",\n    "alg": "ed25519-nkey"\n}\n'

function b64(text: string): string {
  return Buffer.from(text).toString('base64url')
}

/** A JWT from hand-written JSON with a fake signature: the view never checks the outer one. */
function handMade(claims: string, header = '{"typ":"JWT","alg":"ed25519-nkey"}'): string {
  return `${b64(header)}.${b64(claims)}.sig`
}

function view(claimsJson: string, sig = 'sig', headerJson = HEADER_V2): string {
  return `${headerJson}\r\n${claimsJson}\r\n${sig}`
}

function claimsOf(jwt: string): Record<string, unknown> {
  const payload = Buffer.from(jwt.split('.')[1]!, 'base64url').toString()
  return JSON.parse(payload) as Record<string, unknown>
}

function seed(name: string) {
  const text = readFileSync(join(FIXTURES, 'seeds', `${name}.nk`), 'utf8').trim()
  return fromSeed(new TextEncoder().encode(text))
}

function fails(token: string): string {
  try {
    formatDecodedJwt(token)
  } catch (err) {
    expect(err).toBeInstanceOf(AccountServerError)
    expect((err as AccountServerError).code).toBe(ErrorCode.JwtMalformed)
    return (err as AccountServerError).message
  }
  throw new Error('formatDecodedJwt did not throw')
}

describe('formatDecodedJwt on the Go-issued fixtures', () => {
  it('decodes the operator JWT', () => {
    const token = readFileSync(join(FIXTURES, 'operator.jwt'), 'utf8')
    expect(formatDecodedJwt(token)).toBe(
      view(
        `{
    "iat": 1795337169 (2026-11-22),
    "iss": "${OPERATOR}",
    "jti": "PVKV2QOJ32YTDO7A7ZAPAJQB3LDOVBYZFMPBDN5DWLV6KYKI77KQ",
    "name": "TestOperator",
    "nats": {
        "account_server_url": "http://127.0.0.1:9090/jwt/v1",
        "signing_keys": [
            "OA5ILPYU6C2DBQ5Q47JV57K2Q6JRKZSGK5YBQBRUQYC2HBFSDMEIZHDZ"
        ],
        "system_account": "ADIONZ4A6O7CHSF63YXCZX4MZSXB2CDJYAVACXF3XGAD4XPVYC7IF57U",
        "type": "operator",
        "version": 2
    },
    "sub": "${OPERATOR}"
}
`,
        'lrfyvoda9UzncFGYeWLYG99vORRGB7fIsMUM3B7tBC6bWgIrduHNgZp_kub6jTXNrT9Z0bHjHAlcCf1ftEE5CA',
      ),
    )
  })

  it('decodes an account JWT, keys sorted at every level', () => {
    const pubkey = 'AAQ66UYHNLOOR5YARLMXZGXVHULF4UWQLBDJAL3CPPKPTJ3UOTF6CN7G'
    const token = readFileSync(join(FIXTURES, 'accounts', `${pubkey}.jwt`), 'utf8')
    expect(formatDecodedJwt(token)).toBe(
      view(
        `{
    "iat": 1795337169 (2026-11-22),
    "iss": "${OPERATOR}",
    "jti": "GEZHPIZ7YAOEMDDEXRJYW5SSCHGHE2GYZTTLXCHI36EKAOSMHZ2Q",
    "name": "A0",
    "nats": {
        "default_permissions": {
            "pub": {},
            "sub": {}
        },
        "limits": {
            "conn": -1,
            "data": -1,
            "exports": -1,
            "imports": -1,
            "leaf": -1,
            "payload": -1,
            "subs": -1,
            "wildcards": true
        },
        "type": "account",
        "version": 2
    },
    "sub": "${pubkey}"
}
`,
        'agGASu3fStKjtfztE4ZrDh_dAze35vwzKXyihF1cMHYRjPRebKZc9zGNCgmoHGTEOssAgx7QdMqU-SSr01bYAQ',
      ),
    )
  })

  it('keeps the third segment verbatim, trailing newline and extra segments ignored', () => {
    const token = readFileSync(join(FIXTURES, 'operator.jwt'), 'utf8')
    const sig = token.split('.')[2]!
    expect(formatDecodedJwt(`${token}\n`).endsWith(`}\n\r\n${sig}\n`)).toBe(true)
    expect(formatDecodedJwt(`${token}.more.parts`).endsWith(`}\n\r\n${sig}`)).toBe(true)
  })
})

describe('formatDecodedJwt on JWTs made with @nats-io/jwt', () => {
  const operator = seed('operator')
  const importer = seed('A0')
  const exporter = seed('A1')
  const signingKey = seed('A2')
  const IMPORTER = importer.getPublicKey()
  const EXPORTER = exporter.getPublicKey()

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2025-01-02T03:04:05Z'))
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('expands v2 and v1 activation tokens in struct field order, dates annotated', async () => {
    const v2 = await encodeActivation(
      'svc',
      importer,
      exporter,
      'service',
      { subject: 'orders.>' },
      { exp: 4102444800 },
    )
    const v1 = await encodeActivation(
      'feed',
      importer,
      exporter,
      'stream',
      { subject: 'feed.*' },
      { algorithm: Algorithms.v1 },
    )
    // Issued by a signing key: the library writes `issuer_account` and the tags after `subject`.
    const tagged: Partial<Activation> & { tags: string[] } = { subject: 'sk.>', tags: ['t1'] }
    const bySigningKey = await encodeActivation('sk', importer, exporter, 'stream', tagged, {
      signer: signingKey,
    })
    const imports: Import[] = [
      { name: 'svc', subject: 'orders.>', account: EXPORTER, token: v2, type: 'service' },
      { name: 'feed', subject: 'feed.*', account: EXPORTER, token: v1, type: 'stream' },
      { name: 'sk', subject: 'sk.>', account: EXPORTER, token: bySigningKey, type: 'stream' },
      { name: 'bad', subject: 'x', account: EXPORTER, token: 'not-a-jwt', type: 'stream' },
    ]
    const token = await encodeAccount(
      'importer',
      importer,
      { imports, tags: ['<b>&co'] },
      { signer: operator, exp: 1767225600 },
    )

    expect(formatDecodedJwt(token)).toBe(
      view(
        `{
    "aud": "NATS",
    "exp": 1767225600 (2026-01-01),
    "iat": 1735787045 (2025-01-02),
    "iss": "${OPERATOR}",
    "jti": "${claimsOf(token).jti}",
    "name": "importer",
    "nats": {
        "imports": [
            {
                "account": "${EXPORTER}",
                "name": "svc",
                "subject": "orders.>",
                "token": {
                    "aud": "NATS",
                    "exp": 4102444800 (2100-01-01),
                    "jti": "${claimsOf(v2).jti}",
                    "iat": 1735787045 (2025-01-02),
                    "iss": "${EXPORTER}",
                    "name": "svc",
                    "sub": "${IMPORTER}",
                    "nats": {
                        "subject": "orders.>",
                        "kind": "service",
                        "type": "activation",
                        "version": 2
                    }
                },
                "type": "service"
            },
            {
                "account": "${EXPORTER}",
                "name": "feed",
                "subject": "feed.*",
                "token": {
                    "aud": "NATS",
                    "jti": "${claimsOf(v1).jti}",
                    "iat": 1735787045 (2025-01-02),
                    "iss": "${EXPORTER}",
                    "name": "feed",
                    "sub": "${IMPORTER}",
                    "nats": {
                        "subject": "feed.*",
                        "kind": "stream",
                        "type": "activation",
                        "version": 1
                    }
                },
                "type": "stream"
            },
            {
                "account": "${EXPORTER}",
                "name": "sk",
                "subject": "sk.>",
                "token": {
                    "aud": "NATS",
                    "jti": "${claimsOf(bySigningKey).jti}",
                    "iat": 1735787045 (2025-01-02),
                    "iss": "${signingKey.getPublicKey()}",
                    "name": "sk",
                    "sub": "${IMPORTER}",
                    "nats": {
                        "subject": "sk.>",
                        "kind": "stream",
                        "issuer_account": "${EXPORTER}",
                        "tags": [
                            "t1"
                        ],
                        "type": "activation",
                        "version": 2
                    }
                },
                "type": "stream"
            },
            {
                "account": "${EXPORTER}",
                "name": "bad",
                "subject": "x",
                "token": <bad token - expected 3 dot-separated segments, got 1>,
                "type": "stream"
            }
        ],
        "tags": [
            "<b>&co"
        ],
        "type": "account",
        "version": 2
    },
    "sub": "${IMPORTER}"
}
`,
        token.split('.')[2],
      ),
    )
  })

  it('decodes a v1 JWT', async () => {
    const opts = { algorithm: Algorithms.v1, signer: operator }
    const token = await encodeAccount('legacy', importer, {}, opts)
    expect(formatDecodedJwt(token)).toBe(
      view(
        `{
    "aud": "NATS",
    "iat": 1735787045 (2025-01-02),
    "iss": "${OPERATOR}",
    "jti": "${claimsOf(token).jti}",
    "name": "legacy",
    "nats": {},
    "sub": "${IMPORTER}",
    "type": "account"
}
`,
        token.split('.')[2],
        '{\n    "typ": "JWT",\n    "alg": "ed25519"\n}\n',
      ),
    )
  })

  it("omits the empty fields of an activation token, as Go's omitempty does", () => {
    const claims = {
      aud: '',
      exp: 0,
      iat: 0,
      iss: EXPORTER,
      jti: 'J',
      name: 'n',
      nbf: null,
      sub: IMPORTER,
      nats: {
        subject: 'a',
        kind: 'stream',
        issuer_account: '',
        tags: [],
        type: 'activation',
        version: 2,
      },
    }
    const header = b64('{"typ":"JWT","alg":"ed25519-nkey"}')
    const signingInput = `${header}.${b64(JSON.stringify(claims))}`
    const sig = Buffer.from(exporter.sign(Buffer.from(signingInput))).toString('base64url')
    expect(formatDecodedJwt(importWithToken(`${signingInput}.${sig}`))).toBe(
      view(`{
    "nats": {
        "imports": [
            {
                "token": {
                    "jti": "J",
                    "iss": "${EXPORTER}",
                    "name": "n",
                    "sub": "${IMPORTER}",
                    "nats": {
                        "subject": "a",
                        "kind": "stream",
                        "type": "activation",
                        "version": 2
                    }
                },
                "type": "stream"
            }
        ]
    }
}
`),
    )
  })

  it('reports activation tokens that do not decode, verify or fit as bad tokens', async () => {
    const user = seed('A0-user')
    const good = await encodeActivation('t', importer, exporter, 'stream', { subject: 'a' })
    const other = await encodeActivation('t', importer, exporter, 'stream', { subject: 'b' })
    const header = b64('{"typ":"JWS","alg":"ed25519-nkey"}')
    const cases: Array<[string, string]> = [
      [
        await encodeActivation('t', importer, user, 'stream', { subject: 'a' }),
        'issuer is not an account or operator key',
      ],
      [
        await encodeActivation('t', importer, exporter, 'both' as 'stream', { subject: 'a' }),
        'unknown export type "both"',
      ],
      [
        `${good.slice(0, good.lastIndexOf('.'))}${other.slice(other.lastIndexOf('.'))}`,
        'signature does not verify',
      ],
      [await encodeUser('u', user, importer), 'not activation claim'],
      [`${header}.e30.c`, 'not supported type "JWS"'],
    ]
    for (const [token, message] of cases) {
      expect(formatDecodedJwt(importWithToken(token))).toBe(badTokenView(message))
    }
  })
})

/** An account claim whose one import carries `token` (followed by `type`, as Go sorts it). */
function importWithToken(token: string): string {
  return handMade(JSON.stringify({ nats: { imports: [{ token, type: 'stream' }] } }))
}

function badTokenView(message: string): string {
  return view(`{
    "nats": {
        "imports": [
            {
                "token": <bad token - ${message}>,
                "type": "stream"
            }
        ]
    }
}
`)
}

describe('JSON output as Go encodes it', () => {
  it('prints integers and floats the way Go prints float64', () => {
    const token = handMade(
      '{"a":-1,"b":0,"c":1.5,"d":-12.50,"e":1.0,"f":1E2,"g":12345678901234567890,' +
        '"h":1e21,"i":1.5e-7,"j":0.000001}',
    )
    expect(formatDecodedJwt(token)).toBe(
      view(`{
    "a": -1,
    "b": 0,
    "c": 1.5,
    "d": -12.5,
    "e": 1,
    "f": 100,
    "g": 12345678901234567000,
    "h": 1e+21,
    "i": 1.5e-7,
    "j": 0.000001
}
`),
    )
  })

  it('keeps <, > and & but escapes U+2028/U+2029 and control characters', () => {
    const token = handMade(
      '{"html":"<a href=\\"x\\">&amp;</a> > * \\u003c","ctl":"\\u0001\\b\\f\\n\\r\\t\\u007f",' +
        '"sep":"a\u2028b\\u2029","pair":"\\ud83d\\ude00","path":"a\\/b\\\\"}',
    )
    expect(formatDecodedJwt(token)).toBe(
      view(`{
    "ctl": "\\u0001\\b\\f\\n\\r\\t\u007f",
    "html": "<a href=\\"x\\">&amp;</a> > * <",
    "pair": "\u{1f600}",
    "path": "a/b\\\\",
    "sep": "a\\u2028b\\u2029"
}
`),
    )
  })

  it('sorts keys by their UTF-8 bytes, numeric-looking keys included', () => {
    const token = handMade('{"b":1,"9":2,"10":3,"a":4,"A":5,"é":6,"\u{1f600}":7,"\uff21":8}')
    expect(formatDecodedJwt(token)).toBe(
      view(`{
    "10": 3,
    "9": 2,
    "A": 5,
    "a": 4,
    "b": 1,
    "é": 6,
    "\uff21": 8,
    "\u{1f600}": 7
}
`),
    )
  })

  it('writes empty objects and arrays inline and nests arrays', () => {
    const token = handMade('{"e":{},"l":[],"n":[[1,[]],{"k":null}],"t":true}')
    expect(formatDecodedJwt(token)).toBe(
      view(`{
    "e": {},
    "l": [],
    "n": [
        [
            1,
            []
        ],
        {
            "k": null
        }
    ],
    "t": true
}
`),
    )
  })

  it('prints null claims as null', () => {
    expect(formatDecodedJwt(handMade(' null '))).toBe(view('null\n'))
  })

  it('re-marshals the header as typ then alg', () => {
    const header = '{"alg":"HS256","kid":[1],"typ":"jwt"}'
    expect(formatDecodedJwt(handMade('{}', header))).toBe(
      view('{}\n', 'sig', '{\n    "typ": "jwt",\n    "alg": "HS256"\n}\n'),
    )
    expect(formatDecodedJwt(handMade('{}', '{}'))).toBe(
      view('{}\n', 'sig', '{\n    "typ": "",\n    "alg": ""\n}\n'),
    )
  })
})

describe('iat and exp annotations', () => {
  it('appends the UTC date to iat and exp members followed by a comma', () => {
    const token = handMade(
      '{"exp":0,"iat":-1,"nbf":253402300799,"x":{"exp":253402300799,"iat":5},' +
        '"y":{"exp":1767225599,"z":1}}',
    )
    expect(formatDecodedJwt(token)).toBe(
      view(`{
    "exp": 0 (),
    "iat": -1 (1969-12-31),
    "nbf": 253402300799,
    "x": {
        "exp": 253402300799 (9999-12-31),
        "iat": 5
    },
    "y": {
        "exp": 1767225599 (2025-12-31),
        "z": 1
    }
}
`),
    )
  })

  it.each([['{"iat":1.5,"z":1}'], ['{"exp":"soon","z":1}']])(
    'fails like Go when an annotated value is not an integer: %s',
    (claims) => {
      expect(fails(handMade(claims))).toBe('error marshalling account tokens')
    },
  )
})

describe('errors', () => {
  it.each([
    ['', 'error decoding account claim'],
    ['only.two', 'error decoding account claim'],
    ['a!b.e30.sig', 'error decoding account claim header'],
    [`${b64('{"typ":"JWT"}')}=.e30.sig`, 'error decoding account claim header'],
    ['e.e30.sig', 'error decoding account claim header'],
    [`${b64('{')}.e30.sig`, 'error unmarshalling account claim header'],
    [`${b64('{"typ":5}')}.e30.sig`, 'error unmarshalling account claim header'],
    [`${b64('["JWT"]')}.e30.sig`, 'error unmarshalling account claim header'],
    [`${b64('{}')}.e30+.sig`, 'error decoding account claim'],
    [`${b64('{}')}.${b64('{"a":1,}')}.sig`, 'error decoding account claim'],
    [`${b64('{}')}.${b64('[1]')}.sig`, 'error decoding account claim'],
    [`${b64('{}')}.${b64('"claims"')}.sig`, 'error decoding account claim'],
  ])('%j → %s', (token, message) => {
    expect(fails(token)).toBe(message)
  })

  it('gives up on claims nested too deep for the stack', () => {
    const deep = `{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`
    expect(fails(handMade(deep))).toBe('error marshalling account claim')
  })
})

describe('decodedJwtResponse', () => {
  it('answers 200 text/plain with the view', async () => {
    const token = handMade('{"iat":1,"z":null}')
    const res = decodedJwtResponse(token)
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('text/plain')
    expect(res.headers.get('X-Content-Type-Options')).toBeNull()
    expect(await res.text()).toBe(view('{\n    "iat": 1 (1970-01-01),\n    "z": null\n}\n'))
  })

  it('answers 500 with the Go message when the JWT cannot be decoded', async () => {
    const res = decodedJwtResponse(`${b64('{}')}.${b64('[1]')}.sig`)
    expect(res.status).toBe(500)
    expect(res.headers.get('Content-Type')).toBe('text/plain; charset=utf-8')
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
    expect(await res.text()).toBe('error decoding account claim\n')
  })

  it('answers 500 error marshalling account tokens for a non-integer iat', async () => {
    const res = decodedJwtResponse(handMade('{"iat":"today","z":1}'))
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('error marshalling account tokens\n')
  })
})
