import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadOperatorFile, parseOperator } from '../../src/jwt/trust.js'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { mintAccount, mintJwt, mintOperator, newKey } from '../helpers/mint.js'
import { tempDir } from '../helpers/tmp.js'

describe('operator trust', () => {
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
    ['an account JWT', mintAccount(account.publicKey, op), 'operator JWT test is a "account" JWT, not an operator JWT'],
    ['a bad signing key', mintOperator(op, { nats: { signing_keys: ['OXX'] } }), 'operator JWT test lists an invalid signing key "OXX"'],
    ['a bad system account', mintOperator(op, { nats: { system_account: 'AXX' } }), 'operator JWT test names an invalid system account "AXX"'],
    ['an operator signed by an account', mintJwt('operator', op.publicKey, account, {}), `operator JWT test is issued by "${account.publicKey}", not an operator key`],
    ['a non-operator subject', mintJwt('operator', account.publicKey, op, {}), `operator JWT test has subject "${account.publicKey}", not an operator key`],
  ])('refuses %s', (_, jwt, message) => {
    expect(() => parseOperator(jwt, 'test')).toThrow(expect.objectContaining({ code: 'ERR_CONFIG', message }))
  })

  it('names the file it cannot read', async () => {
    const missing = join(await tempDir(), 'missing.jwt')
    await expect(loadOperatorFile(missing)).rejects.toThrow(`cannot read operator JWT ${missing}: ENOENT`)
    const bad = join(await tempDir(), 'bad.jwt')
    await writeFile(bad, 'eHh4.y.z')
    await expect(loadOperatorFile(bad)).rejects.toThrow(`operator JWT ${bad} is not valid: header is not JSON`)
  })
})
