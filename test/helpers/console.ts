/**
 * The web console of a whole server on a loopback port (real HTTP, a real SQLite store: it keeps
 * the history the diffs need, an admin token file), holding the standard fixture accounts plus
 * a few with more to show.
 * @module
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadFixtureSet } from './fixtures.js'
import { mintAccount, newKey, operatorSigningKey } from './mint.js'
import { startAccountServer } from './server.js'
import { tempDir } from './tmp.js'

export const ADMIN_TOKEN = 'console-test-admin-token-0123456789'

export type RunningConsole = {
  base: string
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
  const dir = await tempDir('console-')
  const adminTokenFile = join(dir, 'admin-token')
  await writeFile(adminTokenFile, `${ADMIN_TOKEN}\n`, { mode: 0o600 })
  const server = await startAccountServer({
    operator: fixtures.operatorPath,
    store: { type: 'sqlite', file: join(dir, 'accounts.db') },
    api: { auth: false, adminTokenFile, adminCertSubjects: [] },
  })
  const { base } = server

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
  return { base, billing: billing.publicKey, orders, sign, close: () => server.stop() }
}
