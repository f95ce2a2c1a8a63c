/**
 * Every fixture of test/fixtures/*\/manifest.json (made with the Go JWT library) gets the verdict
 * its manifest names, posted over the HTTP API to a server trusting that set's operator.
 */
import { describe, expect, it } from 'vitest'
import { etagOf } from '../../src/accounts/cache.js'
import { buildTestApp, post, trustOf } from '../helpers/app.js'
import { FIXTURE_SET_NAMES, loadFixtureSet, type RejectedEntry } from '../helpers/fixtures.js'

/** Where a reject is posted: its subject, or (no subject / not an account key) an accepted account's key. */
function targetOf(entry: RejectedEntry, fallback: string): string {
  return entry.pubkey ?? fallback
}

const EXPECTED: Record<string, { status: number; start: string | RegExp }> = {
  'untrusted-issuer': { status: 400, start: /^(untrusted issuer in request|Signing service not enabled): / },
  expired: { status: 400, start: 'The server was unable to update your account JWT. One more more validation issues occurred.\nOne or more validation issues occurred:\n\t - claim is expired\n' },
  'not-yet-valid': { status: 400, start: 'The server was unable to update your account JWT. One more more validation issues occurred.\nOne or more validation issues occurred:\n\t - claim is not yet valid\n' },
  'subject-not-account': { status: 400, start: 'bad JWT Subject in request: ' },
  'bad-signature': { status: 400, start: 'bad JWT in request: signature does not verify' },
  'not-account-jwt': { status: 400, start: 'bad JWT Subject in request: ' },
  'not-a-jwt': { status: 400, start: 'bad JWT in request: expected 3 dot-separated segments' },
  'stale-iat': { status: 409, start: 'stale JWT in request: ' },
  'strict-signing-key': { status: 400, start: 'untrusted issuer in request: ' },
}

for (const name of FIXTURE_SET_NAMES) {
  const set = loadFixtureSet(name)
  describe(`fixtures: ${name}`, () => {
    it.each(set.accepted.map((e) => [e.name, e] as const))('accepts %s', async (_, entry) => {
      const app = buildTestApp({ trust: trustOf(name) })
      const res = await post(app, entry.pubkey, set.jwt(entry))
      expect(res.status).toBe(200)
      expect(await res.text()).toBe('')
      const got = await app.request(`/jwt/v1/accounts/${entry.pubkey}`)
      expect(got.status).toBe(200)
      expect(await got.text()).toBe(set.jwt(entry).trim())
      expect(got.headers.get('ETag')).toBe(etagOf(Buffer.from(set.jwt(entry).trim())))
    })

    it.each(set.rejected.map((e) => [e.name, e.reason, e] as const))(
      'rejects %s (%s) and stores nothing',
      async (_, reason, entry) => {
        const app = buildTestApp({ trust: trustOf(name) })
        const sys = set.systemAccount
        const before = entry.precondition ? set.accepted.find((a) => a.pubkey === entry.pubkey) : undefined
        if (before) expect((await post(app, before.pubkey, set.jwt(before))).status).toBe(200)
        const target = targetOf(entry, sys)
        const res = await post(app, target, set.jwt(entry))
        const expected = EXPECTED[reason]!
        expect(res.status).toBe(expected.status)
        const body = await res.text()
        if (typeof expected.start === 'string') expect(body.startsWith(expected.start)).toBe(true)
        else expect(body).toMatch(expected.start)
        expect(body.endsWith('\n')).toBe(true)
        expect(await app.store.count()).toBe(before ? 1 : 0)
        if (before) {
          const served = await app.request(`/jwt/v1/accounts/${before.pubkey}`)
          expect(await served.text()).toBe(set.jwt(before).trim())
        }
      },
    )

    it('accepts R-old into an empty store (its verdict depends on R being stored)', async () => {
      const app = buildTestApp({ trust: trustOf(name) })
      const old = set.rejected.find((e) => e.reason === 'stale-iat')!
      expect((await post(app, old.pubkey!, set.jwt(old))).status).toBe(200)
    })
  })
}
