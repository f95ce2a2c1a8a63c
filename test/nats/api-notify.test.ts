/**
 * `POST /api/v1/accounts/<key>/notify` with a real nats-server: the admin re-sends the update
 * notification and the server answers what the nats-servers did; without the token, nothing is
 * sent.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadFixtureSet, natsServerOperatorConfig } from '../helpers/fixtures.js'
import { startNatsServer } from '../helpers/nats-server.js'
import { freePort } from '../helpers/ports.js'
import { startAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const set = loadFixtureSet('standard')
const entry = (name: string) => set.manifest.fixtures.find((f) => f.name === name && f.verdict === 'accept')!
const TOKEN = 'notify-admin-token'

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

describe('POST /api/v1/accounts/<key>/notify', () => {
  it('sends the notification again for the admin, and only for the admin', async () => {
    const dir = await tempDir()
    const tokenFile = join(dir, 'token')
    await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 })
    const port = await freePort()
    const server = await startAccountServer({
      operator: set.operatorPath,
      store: { type: 'sqlite', file: join(dir, 'accounts.db') },
      nats: { servers: [`nats://127.0.0.1:${port}`], credentials: set.credsPath('SYS'), reconnectWaitMs: 100 },
      api: { auth: false, adminTokenFile: tokenFile, adminCertSubjects: [] },
    })
    cleanups.push(() => server.stop())
    for (const name of ['SYS', 'A0']) {
      const res = await fetch(`${server.base}/jwt/v1/accounts/${entry(name).pubkey}`, { method: 'POST', body: set.jwt(entry(name)) })
      expect(res.status).toBe(202)
    }
    const nats = await startNatsServer({ config: `${natsServerOperatorConfig(set)}resolver: URL(${server.base}/jwt/v1/accounts/)\n`, port })
    cleanups.push(() => nats.stop())
    await waitFor(() => server.logs().includes('connected to NATS for account notifications'), { timeoutMs: 15_000, message: 'NATS' })

    const key = entry('A0').pubkey!
    const notify = (token?: string) =>
      fetch(`${server.base}/api/v1/accounts/${key}/notify`, { method: 'POST', headers: token ? { Authorization: `Bearer ${token}` } : {} })
    const before = server.logs().split('notification sent again').length
    expect((await notify()).status).toBe(401)
    expect((await notify('wrong')).status).toBe(401)
    expect(server.logs().split('notification sent again').length).toBe(before)

    const res = await notify(TOKEN)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { account: string; jti: string; notification: { sent: boolean; summary: string; failed: string[] } }
    expect(body).toMatchObject({ account: key, jti: entry('A0').jti, notification: { sent: true, failed: [] } })
    expect(body.notification.summary).toMatch(/^notified 1 nats-server/)
    expect(server.logs()).toContain('notification sent again')
    const missing = await fetch(`${server.base}/api/v1/accounts/${'A'.repeat(56)}/notify`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } })
    expect(missing.status).toBe(404)
  })
})
