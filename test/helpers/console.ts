/**
 * The web console over real HTTP: the app on a loopback port, a real SQLite store (it keeps the
 * history the diffs need) holding the standard fixture accounts plus a few with more to show.
 * @module
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { getRequestListener } from '@hono/node-server'
import { AccountOverview } from '../../src/accounts/overview.js'
import { AccountService } from '../../src/accounts/service.js'
import { buildApp } from '../../src/app.js'
import { AdminAuth } from '../../src/http/admin-auth.js'
import { sqliteStore } from '../../src/store/drivers/sqlite.js'
import type { JwtStore } from '../../src/store/types.js'
import { silentLogger, trustOf } from './app.js'
import { loadFixtureSet } from './fixtures.js'
import { mintAccount, newKey, operatorSigningKey } from './mint.js'
import { tempDir } from './tmp.js'

export const ADMIN_TOKEN = 'console-test-admin-token-0123456789'

export type RunningConsole = {
  base: string
  service: AccountService
  store: JwtStore
  /** Key of the account named "billing" (exports, JetStream tiers, signing keys). */
  billing: string
  /** Key of the account named "orders" (imports billing's service, and a missing exporter's stream). */
  orders: string
  /** Signs account JWTs for the fixture operator. */
  sign: ReturnType<typeof operatorSigningKey>
  close(): Promise<void>
}

const fixtures = loadFixtureSet('standard')

/** A push as nsc does it, over HTTP. */
export async function push(base: string, pubkey: string, jwt: string): Promise<Response> {
  return fetch(`${base}/jwt/v1/accounts/${pubkey}`, { method: 'POST', body: jwt, headers: { 'Content-Type': 'application/jwt' } })
}

export async function startConsole(): Promise<RunningConsole> {
  const store = await sqliteStore({ file: join(await tempDir('console-'), 'accounts.db') })
  const service = new AccountService({ store, trust: trustOf('standard') })
  const overview = new AccountOverview({ service })
  const app = buildApp({ service, logger: silentLogger, overview, adminAuth: new AdminAuth({ token: ADMIN_TOKEN }) })
  const server = createServer(getRequestListener(app.fetch))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  for (const entry of fixtures.accepted.filter((e) => e.name !== 'R-old')) {
    const answer = await push(base, entry.pubkey, fixtures.jwt(entry))
    if (answer.status !== 200 && answer.status !== 201) throw new Error(`fixture ${entry.name}: ${answer.status} ${await answer.text()}`)
  }
  const sign = operatorSigningKey(fixtures.dir)
  const billing = newKey('account')
  const orders = newKey('account').publicKey
  const now = Math.floor(Date.now() / 1000)
  const jetstream = { mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1, max_ack_pending: -1, mem_max_stream_bytes: 0, disk_max_stream_bytes: 0, max_bytes_required: false }
  const accounts: [string, string][] = [
    [
      billing.publicKey,
      mintAccount(billing.publicKey, sign, {
        name: 'billing',
        exp: now + 3 * 86_400,
        nats: {
          limits: {
            subs: 1000, data: 1 << 30, payload: 1 << 20, imports: -1, exports: -1, wildcards: true, conn: 100, leaf: 2,
            tiered_limits: { R1: { ...jetstream, disk_storage: 10 << 30, streams: 20 }, R3: { ...jetstream, disk_storage: 5 << 30, streams: 5, consumer: 50 } },
          },
          exports: [
            { name: 'invoices', subject: 'billing.invoices.>', type: 'stream' },
            { name: 'charge', subject: 'billing.charge', type: 'service', token_req: true, response_type: 'Singleton' },
          ],
          signing_keys: [newKey('account').publicKey, { kind: 'user_scope', key: newKey('account').publicKey, role: 'readers', template: { sub: { allow: ['billing.>'] } } }],
          tags: ['team:payments', 'env:prod'],
        },
      }),
    ],
    [
      orders,
      mintAccount(orders, sign, {
        name: 'orders',
        nats: {
          imports: [
            { name: 'invoices', subject: 'billing.invoices.>', account: billing.publicKey, type: 'stream' },
            { name: 'audit', subject: 'audit.>', account: newKey('account').publicKey, type: 'stream' },
          ],
          mappings: { 'orders.new': [{ subject: 'orders.new.v2', weight: 100 }] },
          revocations: { [newKey('user').publicKey]: now - 3600 },
        },
      }),
    ],
  ]
  for (const [pubkey, jwt] of accounts) {
    const answer = await push(base, pubkey, jwt)
    if (answer.status !== 200 && answer.status !== 201) throw new Error(`account ${pubkey}: ${answer.status} ${await answer.text()}`)
  }
  return {
    base,
    service,
    store,
    billing: billing.publicKey,
    orders,
    sign,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      overview.close()
      await store.close()
    },
  }
}
