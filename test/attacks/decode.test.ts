/**
 * Issue 11 item 5: `?decode=true` on a stored near-1 MB JWT must not block the event loop.
 * Go's patterns run as a regular expression backtracked quadratically on a `"token"` member
 * full of quotes (66 s on 934 KB); the linear scan answers in well under the test's timeout.
 */
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { mintAccount, newKey, operatorSigningKey } from '../helpers/mint.js'
import { startAccountServer, type RunningAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'

const set = loadFixtureSet('standard')
const servers: RunningAccountServer[] = []
afterAll(async () => {
  for (const server of servers) await server.stop()
})

describe('?decode=true on a large stored JWT', () => {
  it('answers a 900 KB JWT with a quote-filled "token" member and keeps /healthz answering', { timeout: 10_000 }, async () => {
    const server = await startAccountServer({
      operator: set.operatorPath,
      store: { type: 'sqlite', file: join(await tempDir(), 'a.db') },
    })
    servers.push(server)
    const signer = operatorSigningKey(set.dir)
    const account = newKey('account').publicKey
    // The last member of its object: no `",` follows on its line, so every quote was a restart.
    const jwt = mintAccount(account, signer, { extra: { zz: { token: '"'.repeat(300_000) } } })
    expect(jwt.length).toBeGreaterThan(800_000)
    const stored = await fetch(`${server.base}/jwt/v1/accounts/${account}`, { method: 'POST', body: jwt })
    expect(stored.status).toBe(200)

    const decoding = fetch(`${server.base}/jwt/v1/accounts/${account}?decode=true`)
    const health = await fetch(`${server.base}/healthz`, { signal: AbortSignal.timeout(4000) })
    expect(health.status).toBe(200)
    const decoded = await decoding
    expect(decoded.status).toBe(200)
    const text = await decoded.text()
    expect(text).toContain(`"sub": "${account}"`)
    expect(text).toContain(`"token": "${'\\"'.repeat(300_000)}"`)
  })
})
