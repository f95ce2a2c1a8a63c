import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isTrustedIssuer, loadOperatorFile, parseOperator } from '../../src/jwt/trust.js'

const EXPECTED = 'the operator setting (-operator) takes the operator JWT: the <operator>.jwt file of the nsc store, or the output of `nsc describe operator --raw`'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { mintAccount, mintJwt, mintOperator, newKey } from '../helpers/mint.js'
import { tempDir } from '../helpers/tmp.js'

describe('operator trust', () => {
  it('trusts the signing keys, and the identity key unless strict (nats-server\'s trusted keys)', async () => {
    for (const name of ['standard', 'strict'] as const) {
      const set = loadFixtureSet(name)
      const trust = await loadOperatorFile(set.operatorPath)
      for (const key of set.signingKeys) expect(isTrustedIssuer(trust, key)).toBe(true)
      expect(isTrustedIssuer(trust, set.operatorKey)).toBe(name === 'standard')
      expect(isTrustedIssuer(trust, newKey('operator').publicKey)).toBe(false)
    }
  })

  it('reads the fixtures: identity key, signing keys, strict flag, system account', async () => {
    for (const name of ['standard', 'strict'] as const) {
      const set = loadFixtureSet(name)
      const trust = await loadOperatorFile(set.operatorPath)
      expect(trust.key).toBe(set.operatorKey)
      expect([...trust.signingKeys]).toEqual(set.signingKeys)
      expect(trust.strict).toBe(name === 'strict')
      expect(trust.systemAccount).toBe(set.systemAccount)
      expect(trust.source).toBe(set.operatorJwt)
    }
  })

  const op = newKey('operator')
  const account = newKey('account')
  it.each([
    ['garbage', 'nope', 'operator JWT test is not valid: expected 3 dot-separated segments, got 1'],
    [
      'an account JWT',
      mintAccount(account.publicKey, op, { name: 'A' }),
      `operator JWT test is an account JWT (of account A ${account.publicKey}, issued by ${op.publicKey}), not an operator JWT: ${EXPECTED}`,
    ],
    ['a bad signing key', mintOperator(op, { nats: { signing_keys: ['OXX'] } }), 'operator JWT test lists an invalid signing key "OXX"'],
    ['a bad system account', mintOperator(op, { nats: { system_account: 'AXX' } }), 'operator JWT test names an invalid system account "AXX"'],
    ['an operator signed by an account', mintJwt('operator', op.publicKey, account, {}), `operator JWT test is issued by "${account.publicKey}", not an operator key`],
    ['a non-operator subject', mintJwt('operator', account.publicKey, op, {}), `operator JWT test has subject "${account.publicKey}", not an operator key`],
  ])('refuses %s', (_, jwt, message) => {
    expect(() => parseOperator(jwt, 'test')).toThrow(expect.objectContaining({ code: 'ERR_CONFIG', message }))
  })

  it('keeps the decoding error as the cause of an invalid operator JWT', () => {
    expect(() => parseOperator('nope', 'test')).toThrow(
      expect.objectContaining({ cause: expect.objectContaining({ code: 'ERR_JWT_MALFORMED' }) }),
    )
  })

  it('names the file it cannot read', async () => {
    const missing = join(await tempDir(), 'missing.jwt')
    await expect(loadOperatorFile(missing)).rejects.toThrow(`cannot read operator JWT ${missing}: ENOENT`)
    const bad = join(await tempDir(), 'bad.jwt')
    await writeFile(bad, 'eHh4.y.z')
    await expect(loadOperatorFile(bad)).rejects.toThrow(`operator JWT ${bad} is not valid: header is not JSON`)
  })

  it('says what a seed, a .creds file or an account JWT file is, and what -operator takes', async () => {
    const set = loadFixtureSet('standard')
    const seed = join(set.dir, 'seeds', 'operator.nk')
    await expect(loadOperatorFile(seed)).rejects.toThrow(
      `operator JWT ${seed} is an nkey seed (a private key), not an operator JWT; keep it secret: ${EXPECTED}`,
    )
    const creds = set.credsPath('SYS')
    await expect(loadOperatorFile(creds)).rejects.toThrow(
      `operator JWT ${creds} is a user's .creds file (it belongs to -creds), not an operator JWT: ${EXPECTED}`,
    )
    const accountFile = join(set.dir, 'sys.jwt')
    await expect(loadOperatorFile(accountFile)).rejects.toThrow(
      new RegExp(`^operator JWT ${accountFile} is an account JWT \\(of account SYS ${set.systemAccount}, issued by O[A-Z2-7]{55}\\), not an operator JWT`),
    )
  })

  it('accepts an operator JWT armoured as nsc writes it, and serves the JWT it holds', async () => {
    const set = loadFixtureSet('standard')
    const file = join(await tempDir(), 'decorated.jwt')
    const jwt = set.operatorJwt.trim()
    await writeFile(
      file,
      `-----BEGIN NATS OPERATOR JWT-----\n${jwt}\n------END NATS OPERATOR JWT------\n\n` +
        '************************* IMPORTANT *************************\nNKEY Seed printed below can be used to sign and prove identity.\n',
    )
    const trust = await loadOperatorFile(file)
    expect(trust.key).toBe(set.operatorKey)
    expect(trust.systemAccount).toBe(set.systemAccount)
    expect(trust.source).toBe(jwt)
  })
})
