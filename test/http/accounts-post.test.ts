import { readdir } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { parseOperator } from '../../src/jwt/trust.js'
import { directoryStore } from '../../src/store/drivers/directory.js'
import { buildTestApp, post } from '../helpers/app.js'
import { mintAccount, mintJwt, mintOperator, newKey, UNLIMITED } from '../helpers/mint.js'
import { shuffled } from '../helpers/shuffle.js'
import { tempDir } from '../helpers/tmp.js'

const operator = newKey('operator')
const signingKey = newKey('operator')
const trust = parseOperator(
  mintOperator(operator, { name: 'OP', nats: { signing_keys: [signingKey.publicKey] } }),
  'test',
)
const strictTrust = parseOperator(
  mintOperator(operator, {
    name: 'OP',
    nats: { signing_keys: [signingKey.publicKey], strict_signing_key_usage: true },
  }),
  'test',
)
const now = Math.floor(Date.now() / 1000)

async function expectRejected(res: Response, status: number, body: string | RegExp) {
  expect(res.status).toBe(status)
  expect(res.headers.get('Content-Type')).toBe('text/plain; charset=utf-8')
  const text = await res.text()
  if (typeof body === 'string') expect(text).toBe(body)
  else expect(text).toMatch(body)
}

describe('POST /jwt/v1/accounts/:pubkey', () => {
  it('stores a JWT signed by the operator identity key or a signing key', async () => {
    const app = buildTestApp({ trust })
    for (const signer of [operator, signingKey]) {
      const account = newKey('account').publicKey
      const res = await post(app, account, mintAccount(account, signer))
      expect(res.status).toBe(200)
      expect(await res.text()).toBe('')
    }
    expect(await app.store.count()).toBe(2)
  })

  it('stores the JWT without the trailing newline curl --data-binary @file sends', async () => {
    const app = buildTestApp({ trust })
    const account = newKey('account').publicKey
    const jwt = mintAccount(account, operator)
    expect((await post(app, account, `${jwt}\r\n`)).status).toBe(200)
    expect((await app.store.get(account))?.jwt).toBe(jwt)
  })

  it('treats the same JWT again as a 200 no-op', async () => {
    const app = buildTestApp({ trust })
    const account = newKey('account').publicKey
    const jwt = mintAccount(account, operator)
    expect((await post(app, account, jwt)).status).toBe(200)
    expect((await post(app, account, jwt)).status).toBe(200)
    expect((await app.store.get(account))?.jwt).toBe(jwt)
  })

  it('replaces a JWT with a newer one and with one of the same second', async () => {
    const app = buildTestApp({ trust })
    const account = newKey('account').publicKey
    const first = mintAccount(account, operator, { iat: now - 10 })
    const sameSecond = mintAccount(account, operator, { iat: now - 10, extra: { aud: 'x' } })
    const newer = mintAccount(account, signingKey, { iat: now })
    for (const jwt of [first, sameSecond, newer]) {
      expect((await post(app, account, jwt)).status).toBe(200)
      expect(await (await app.request(`/jwt/v1/accounts/${account}`)).text()).toBe(jwt)
    }
  })

  it('answers 409 naming both issue times for an older JWT, and keeps the newer', async () => {
    const app = buildTestApp({ trust })
    const account = newKey('account').publicKey
    const newer = mintAccount(account, operator, { iat: 1795337170 })
    const older = mintAccount(account, operator, { iat: 1795337169 })
    await post(app, account, newer)
    await expectRejected(
      await post(app, account, older),
      409,
      `stale JWT in request: the JWT for ${account} was issued at 2026-11-22T08:46:09Z (iat 1795337169), before the stored JWT issued at 2026-11-22T08:46:10Z (iat 1795337170); the stored JWT stays\n`,
    )
    expect((await app.store.get(account))?.jwt).toBe(newer)
  })

  it('keeps the newest JWT when many versions are posted at once', async () => {
    const app = buildTestApp({ trust, store: await directoryStore({ dir: await tempDir() }) })
    const account = newKey('account').publicKey
    const versions = Array.from({ length: 30 }, (_, i) => mintAccount(account, operator, { iat: now - 100 + i }))
    const statuses = await Promise.all(shuffled(versions, 30).map(async (jwt) => (await post(app, account, jwt)).status))
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true)
    expect(await (await app.request(`/jwt/v1/accounts/${account}`)).text()).toBe(versions.at(-1))
  })

  describe('rejections (status, message, nothing stored)', () => {
    const account = newKey('account').publicKey
    const foreign = newKey('operator')
    const otherAccount = newKey('account')
    const user = newKey('user')
    const cases: [string, () => { key: string; body: string }, number, string | RegExp][] = [
      ['an empty body', () => ({ key: account, body: '' }), 400, 'bad JWT in request: empty body\n'],
      ['text that is no JWT', () => ({ key: account, body: 'hello world' }), 400, 'bad JWT in request: expected 3 dot-separated segments, got 1\n'],
      ['a header that is not base64url', () => ({ key: account, body: 'a+b.c.d' }), 400, 'bad JWT in request: header is not base64url\n'],
      ['a header that is not JSON', () => ({ key: account, body: `${Buffer.from('nope').toString('base64url')}.e30.AA` }), 400, 'bad JWT in request: header is not JSON\n'],
      ['a header with typ other than JWT', () => ({ key: account, body: `${Buffer.from('{"typ":"JWS","alg":"ed25519-nkey"}').toString('base64url')}.e30.AA` }), 400, 'bad JWT in request: not supported type "JWS"\n'],
      ['a header with another algorithm', () => ({ key: account, body: `${Buffer.from('{"typ":"JWT","alg":"HS256"}').toString('base64url')}.e30.AA` }), 400, 'bad JWT in request: unexpected "HS256" algorithm\n'],
      ['a claim version above 2', () => {
        const jwt = mintAccount(account, operator)
        const [h, p, s] = jwt.split('.')
        const claims = JSON.parse(Buffer.from(p!, 'base64url').toString())
        claims.nats.version = 3
        return { key: account, body: `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}` }
      }, 400, 'bad JWT in request: JWT was generated by a newer version (claim version 3)\n'],
      ['a bad signature', () => {
        const [h, p] = mintAccount(account, operator).split('.')
        const [, , s] = mintAccount(account, operator, { name: 'other' }).split('.')
        return { key: account, body: `${h}.${p}.${s}` }
      }, 400, 'bad JWT in request: signature does not verify\n'],
      ['a user JWT', () => ({ key: account, body: mintJwt('user', user.publicKey, otherAccount, {}) }), 400, 'bad JWT in request: claim type is "user", not "account"\n'],
      ['an operator JWT', () => ({ key: account, body: mintOperator(operator) }), 400, 'bad JWT in request: claim type is "operator", not "account"\n'],
      ['a JWT without jti', () => ({ key: account, body: mintAccount(account, operator, { jti: '' }) }), 400, 'bad JWT in request: the JWT has no jti\n'],
      ['a user key as issuer', () => ({ key: account, body: mintAccount(account, user) }), 400, `Bad JWT Issuer in request: issuer ${user.publicKey} is neither an operator nor an account key\n`],
      ['a JWT for another account', () => ({ key: otherAccount.publicKey, body: mintAccount(account, operator) }), 400, `pub keys don't match: JWT subject ${account} is not the account key ${otherAccount.publicKey} it was sent for\n`],
      ['a self-signed JWT', () => ({ key: otherAccount.publicKey, body: mintAccount(otherAccount.publicKey, otherAccount) }), 400, `Signing service not enabled: the account JWT is self-signed by ${otherAccount.publicKey}; it must be signed by the operator ${operator.publicKey} or one of its signing keys\n`],
      ['a JWT signed by another account', () => ({ key: account, body: mintAccount(account, otherAccount) }), 400, `Bad JWT Issuer in request: issuer ${otherAccount.publicKey} is an account key; account JWTs must be signed by an operator key\n`],
      ['a foreign operator', () => ({ key: account, body: mintAccount(account, foreign) }), 400, `untrusted issuer in request: issuer ${foreign.publicKey} is not operator ${operator.publicKey} (OP) nor one of its signing keys\n`],
      ['an expired JWT', () => ({ key: account, body: mintAccount(account, operator, { exp: now - 10 }) }), 400, 'The server was unable to update your account JWT. One more more validation issues occurred.\nOne or more validation issues occurred:\n\t - claim is expired\n\n'],
      ['a JWT not valid yet', () => ({ key: account, body: mintAccount(account, operator, { nbf: now + 3600 }) }), 400, 'The server was unable to update your account JWT. One more more validation issues occurred.\nOne or more validation issues occurred:\n\t - claim is not yet valid\n\n'],
      ['blocking claim issues', () => ({ key: account, body: mintAccount(account, operator, { nats: { limits: UNLIMITED, exports: [{ subject: 'a b', type: 'stream' }] } }) }), 400, /^The server was unable to update your account JWT\. One more more validation issues occurred\.\nOne or more validation issues occurred:\n\t - .*spaces/],
      ['a user key in the URL', () => ({ key: user.publicKey, body: mintAccount(account, operator) }), 400, `bad JWT Subject in request: "${user.publicKey}" is a user key, not an account key\n`],
      ['an operator key in the URL', () => ({ key: operator.publicKey, body: mintAccount(account, operator) }), 400, `bad JWT Subject in request: "${operator.publicKey}" is an operator key, not an account key\n`],
      ['a malformed key in the URL', () => ({ key: 'ABC', body: mintAccount(account, operator) }), 400, 'bad account public key in URL: "ABC" not 56 base32 characters\n'],
      ['a key with a bad checksum in the URL', () => ({ key: `${account.slice(0, -1)}${account.endsWith('A') ? 'B' : 'A'}`, body: mintAccount(account, operator) }), 400, /^bad account public key in URL: ".*" invalid checksum\n$/],
    ]

    it.each(cases)('refuses %s', async (_, make, status, body) => {
      const dir = await tempDir()
      const app = buildTestApp({ trust, store: await directoryStore({ dir }) })
      const { key, body: jwt } = make()
      await expectRejected(await post(app, key, jwt), status, body)
      expect(await app.store.count()).toBe(0)
      expect(await readdir(dir)).toEqual([])
    })

    it('refuses an identity-signed JWT when the operator is strict', async () => {
      const app = buildTestApp({ trust: strictTrust })
      await expectRejected(
        await post(app, account, mintAccount(account, operator)),
        400,
        `untrusted issuer in request: issuer ${operator.publicKey} is the identity key of operator OP, which sets strict_signing_key_usage: account JWTs must be signed by one of its signing keys (${signingKey.publicKey})\n`,
      )
      expect((await post(app, account, mintAccount(account, signingKey))).status).toBe(200)
    })

    it('refuses every push, saying why, when no operator is configured', async () => {
      const app = buildTestApp({ trust: null })
      await expectRejected(
        await post(app, account, mintAccount(account, operator)),
        400,
        'untrusted issuer in request: no operator is configured, so no issuer can be trusted: start the server with -operator <operator JWT file> to accept account JWTs\n',
      )
      expect(await app.store.count()).toBe(0)
    })

    it('answers 413 for a body over the limit and stores nothing', async () => {
      const app = buildTestApp({ trust })
      const big = 'x'.repeat(1024 * 1024 + 1)
      await expectRejected(
        await post(app, account, big),
        413,
        'request body too large: the body is over the 1048576-byte limit; an account JWT is a few kilobytes\n',
      )
      expect(await app.store.count()).toBe(0)
    })

    it('never touches the filesystem for a path-like key', async () => {
      const dir = await tempDir()
      const app = buildTestApp({ trust, store: await directoryStore({ dir, shard: true }) })
      for (const key of ['..%2F..%2Fetc%2Fpasswd', `${'A'.repeat(55)}B`, 'a%00b']) {
        expect((await post(app, key, mintAccount(account, operator))).status).toBe(400)
        expect((await app.request(`/jwt/v1/accounts/${key}`)).status).toBe(400)
      }
      expect(await readdir(dir)).toEqual([])
    })
  })
})
