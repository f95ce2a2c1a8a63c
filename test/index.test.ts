/**
 * The public entry (`src/index.ts`, the package's `exports`): what a library user imports, used
 * as a library user would — a server started from it serves a POSTed account over real HTTP.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import * as entry from '../src/index.js'
import { loadFixtureSet } from './helpers/fixtures.js'
import { tempDir } from './helpers/tmp.js'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const set = loadFixtureSet('standard')

const RUNTIME_EXPORTS = [
  'createAccountServer',
  'createLogger',
  'loadConfig',
  'defaultConfig',
  'openStore',
  'sqliteStore',
  'directoryStore',
  'memoryStore',
  'checkAccountJwt',
  'loadOperator',
  'parseOperator',
  'AccountServerError',
  'ConfigError',
  'StoreError',
  'ClaimsInvalidError',
  'StaleJwtError',
  'DeletedAccountError',
  'ErrorCode',
  'VERSION',
]

describe('public entry', () => {
  it('exports the server, configuration, stores, JWT check and errors', () => {
    expect(Object.keys(entry).sort()).toEqual([...RUNTIME_EXPORTS].sort())
  })

  it('the package resolves by its own name to the built entry and its types', async () => {
    const script = `
      const m = await import('nats-accounts')
      const pkg = (await import('nats-accounts/package.json', { with: { type: 'json' } })).default
      const fs = await import('node:fs')
      console.log(JSON.stringify({ keys: Object.keys(m).sort(), types: fs.existsSync(pkg.exports['.'].types) }))`
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO })
    expect(JSON.parse(stdout)).toEqual({ keys: [...RUNTIME_EXPORTS].sort(), types: true })
  })

  it('checks an account JWT as a POST does', () => {
    const trust = entry.parseOperator(set.operatorJwt, set.operatorPath)
    const accepted = set.accepted[0]!
    expect(entry.checkAccountJwt(set.jwt(accepted), { trust, now: accepted.iat }).pubkey).toBe(accepted.pubkey)
    const untrusted = set.rejected.find((e) => e.reason === 'untrusted-issuer')!
    expect(() => entry.checkAccountJwt(set.jwt(untrusted), { trust, now: untrusted.iat ?? 0 })).toThrow(
      expect.objectContaining({ code: entry.ErrorCode.UntrustedIssuer }),
    )
  })

  it('a server built from it stores a POSTed account and serves it over HTTP', async () => {
    const config = entry.defaultConfig()
    config.http = { ...config.http, host: '127.0.0.1', port: 0 }
    config.operator = set.operatorPath
    const store = await entry.directoryStore({ dir: await tempDir(), shard: false })
    const server = await entry.createAccountServer({ config, store, logger: entry.createLogger({ destination: { write: () => true } }) })
    try {
      const { port } = await server.start()
      const accepted = set.accepted[0]!
      const url = `http://127.0.0.1:${port}/jwt/v1/accounts/${accepted.pubkey}`
      const posted = await fetch(url, { method: 'POST', body: set.jwt(accepted) })
      expect(posted.status).toBe(200)
      const served = await fetch(url)
      expect(served.status).toBe(200)
      expect(await served.text()).toBe(set.jwt(accepted).trim())
    } finally {
      await server.stop()
    }
  })
})
