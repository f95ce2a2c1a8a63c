/**
 * --workers: several processes on one port. Caches stay coherent (no worker serves an older JWT
 * once a POST was answered), newest wins across processes, metrics add up, SIGTERM stops all.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { startServer, type RunningServer } from '../helpers/cli.js'
import { fresh } from '../helpers/fresh-http.js'
import { mintAccount, mintOperator, newKey } from '../helpers/mint.js'
import { shuffled } from '../helpers/shuffle.js'
import { waitFor } from '../helpers/wait.js'
import { tempDir } from '../helpers/tmp.js'

const servers: RunningServer[] = []
afterAll(async () => {
  for (const server of servers) await server.stop()
})

for (const store of ['sqlite', 'directory'] as const) {
  describe(`--workers 2 on the ${store} store`, () => {
    it('never serves an older JWT after a POST was answered, and newest wins across workers', async () => {
      const dir = await tempDir()
      const operator = newKey('operator')
      await writeFile(join(dir, 'op.jwt'), mintOperator(operator))
      const storeArgs = store === 'sqlite' ? ['--sqlite', join(dir, 'a.db')] : ['-dir', join(dir, 'jwt'), '--shard']
      const server = await startServer([...storeArgs, '-operator', join(dir, 'op.jwt'), '--workers', '2'])
      servers.push(server)
      // The resolver line comes from the first worker; the coherence checks need both serving.
      await waitFor(() => server.logs().includes('all 2 workers are serving'), { message: 'both workers serving' })
      const account = newKey('account').publicKey
      const url = `${server.base}/jwt/v1/accounts/${account}`
      const now = Math.floor(Date.now() / 1000)
      let jwt = mintAccount(account, operator, { iat: now - 100 })
      expect((await fresh(url, jwt)).status).toBe(200)
      for (let round = 1; round <= 5; round++) {
        // Every worker has the current version cached...
        for (const res of await Promise.all(Array.from({ length: 10 }, () => fresh(url)))) expect(res.text).toBe(jwt)
        // ...and once the POST of the next one is answered, none serves the old one.
        jwt = mintAccount(account, operator, { iat: now - 100 + round })
        expect((await fresh(url, jwt)).status).toBe(200)
        for (const res of await Promise.all(Array.from({ length: 10 }, () => fresh(url)))) expect(res.text).toBe(jwt)
      }
      const versions = Array.from({ length: 30 }, (_, i) => mintAccount(account, operator, { iat: now + i }))
      const statuses = await Promise.all(shuffled(versions, 29).map(async (v) => (await fresh(url, v)).status))
      expect(statuses.every((s) => s === 200 || s === 409)).toBe(true)
      for (const res of await Promise.all(Array.from({ length: 10 }, () => fresh(url)))) {
        expect(readStoredMeta(res.text).iat).toBe(now + 29)
      }
      const metrics = (await fresh(`${server.base}/metrics`)).text
      const posts = /nats_accounts_jwt_pushes_total\{verdict="stored"\} (\d+)/.exec(metrics)?.[1]
      expect(Number(posts)).toBeGreaterThanOrEqual(6)
      expect(await server.stop()).toBe(0)
      expect(server.logs()).toContain('closed JWT store worker=1')
      expect(server.logs()).toContain('closed JWT store worker=2')
    })
  })
}

describe('--workers 2 stopped while starting', () => {
  it('stops every worker, also one still starting', async () => {
    const dir = await tempDir()
    const server = await startServer(['--sqlite', join(dir, 'a.db'), '--workers', '2'])
    servers.push(server)
    // The first worker printed the resolver line; the second is still starting.
    expect(server.logs()).not.toContain('all 2 workers are serving')
    expect(await server.stop()).toBe(0)
    expect(server.logs()).toContain('closed JWT store worker=1')
  })
})
