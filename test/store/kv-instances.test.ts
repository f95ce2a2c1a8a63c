/**
 * The kv driver beyond the contract: several instances on one bucket (compare-and-set,
 * propagation, change feed), history, values written by other tools, and a bucket that goes
 * away and comes back.
 */
import { connect } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCode } from '../../src/errors.js'
import { openKvStore } from '../../src/nats/kv-connection.js'
import type { KvJwtStore } from '../../src/store/drivers/kv.js'
import type { StoreChange } from '../../src/store/types.js'
import { freshBucket, kvConfig, startJetStream } from '../helpers/kv.js'
import { newKey } from '../helpers/mint.js'
import type { NatsServer } from '../helpers/nats-server.js'
import { shuffled } from '../helpers/shuffle.js'
import { waitFor } from '../helpers/wait.js'
import { accountVersion } from './contract.js'

let server: NatsServer
const opened: KvJwtStore[] = []
const servers: NatsServer[] = []
beforeAll(async () => {
  server = await startJetStream()
  servers.push(server)
})
afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()))
  await Promise.all(servers.map((s) => s.stop()))
})

async function instances(count: number, bucket = freshBucket(), on: Pick<NatsServer, 'url'> = server): Promise<KvJwtStore[]> {
  const stores: KvJwtStore[] = []
  for (let i = 0; i < count; i++) stores.push(await openKvStore(kvConfig(on, bucket)))
  opened.push(...stores)
  return stores
}

describe('kv store: instances on one bucket', () => {
  it('keeps the newest JWT when three instances race on the same accounts (compare-and-set)', async () => {
    const stores = await instances(3)
    const accounts = Array.from({ length: 30 }, () => newKey('account').publicKey)
    const versions = accounts.flatMap((pubkey) => Array.from({ length: 8 }, (_, i) => accountVersion(pubkey, 5000 + i)))
    const order = shuffled(versions, 7)
    const results = await Promise.all(order.map((v, i) => stores[i % 3]!.put(v, { kind: 'http' })))
    expect(results.every((r) => r.outcome === 'stored' || r.outcome === 'stale')).toBe(true)
    for (const pubkey of accounts) {
      const newest = versions.filter((v) => v.pubkey === pubkey).at(-1)!
      expect(results[order.indexOf(newest)]!.outcome).toBe('stored')
      for (const store of stores) {
        await waitFor(async () => (await store.get(pubkey))?.jti === newest.jti, { timeoutMs: 10_000, message: `the newest of ${pubkey}` })
      }
      const stored = results.filter((r, i) => order[i]!.pubkey === pubkey && r.outcome === 'stored')
      const accepted = (await stores[0]!.history!(pubkey)).filter((h) => h.event === 'accepted')
      expect(accepted).toHaveLength(stored.length)
    }
  })

  it('serves its own write at once and the other instance soon after; the feed reports others only', async () => {
    const [a, b] = await instances(2)
    const seenByA: StoreChange[] = []
    const seenByB: StoreChange[] = []
    a!.watch!((changes) => seenByA.push(...(changes ?? [])))
    b!.watch!((changes) => seenByB.push(...(changes ?? [])))
    const account = accountVersion(newKey('account').publicKey, 1000)
    expect((await a!.put(account, { kind: 'http' })).outcome).toBe('stored')
    expect(await a!.get(account.pubkey)).toEqual(account)
    await waitFor(async () => (await b!.get(account.pubkey)) !== null, { timeoutMs: 10_000, message: 'b to serve it' })
    expect(await b!.get(account.pubkey)).toEqual(account)
    expect(await b!.count()).toBe(1)
    await waitFor(() => seenByB.length > 0, { message: 'b to report it' })
    expect(seenByB).toEqual([{ pubkey: account.pubkey, source: 'http' }])
    const other = accountVersion(newKey('account').publicKey, 1000)
    await b!.put(other, { kind: 'import' })
    await waitFor(() => seenByA.length > 0, { timeoutMs: 10_000, message: 'a to report b’s write' })
    // a's watch delivers in revision order: its own write came before b's, and was not reported.
    expect(seenByA).toEqual([{ pubkey: other.pubkey, source: 'import' }])
  })

  it('refuses on one instance what the other deleted, and agrees on the tombstone', async () => {
    const [a, b] = await instances(2)
    const pubkey = newKey('account').publicKey
    const v1 = accountVersion(pubkey, 1000)
    await a!.put(v1, { kind: 'http' })
    await waitFor(async () => (await b!.get(pubkey)) !== null, { timeoutMs: 10_000, message: 'b to hold it' })
    expect(await b!.delete(pubkey, { kind: 'nats', detail: 'delete request' })).toEqual(v1)
    // a may not have seen the deletion yet: the put is checked against the bucket.
    expect(await a!.put(accountVersion(pubkey, 1000, { description: 'same second' }), { kind: 'http' })).toMatchObject({
      outcome: 'deleted',
      current: v1,
    })
    expect(await a!.get(pubkey)).toBeNull()
    expect(await a!.deleted(pubkey)).toEqual(v1)
  })

  it('keeps every accepted version with its source and notification outcome', async () => {
    const [store] = await instances(1)
    const pubkey = newKey('account').publicKey
    const v1 = accountVersion(pubkey, 1000)
    const v2 = accountVersion(pubkey, 2000)
    const before = Date.now()
    await store!.put(v1, { kind: 'http', detail: '10.0.0.1' })
    await store!.put(v2, { kind: 'import', detail: '/old/dir' })
    await store!.put(accountVersion(pubkey, 1500), { kind: 'http' })
    await store!.put(v2, { kind: 'nats' })
    await store!.recordNotification!(pubkey, v2.jti, '1 server updated')
    await store!.delete(pubkey, { kind: 'nats', detail: 'delete request by O...' })
    const history = await store!.history!(pubkey)
    const entry = { exp: 0, receivedAt: expect.any(Number), notification: '' }
    expect(history).toEqual([
      { ...entry, event: 'deleted', jti: v2.jti, iat: 2000, issuer: v2.issuer, source: 'nats', sourceDetail: 'delete request by O...' },
      { ...entry, event: 'accepted', jti: v2.jti, iat: 2000, issuer: v2.issuer, source: 'import', sourceDetail: '/old/dir', notification: '1 server updated' },
      { ...entry, event: 'accepted', jti: v1.jti, iat: 1000, issuer: v1.issuer, source: 'http', sourceDetail: '10.0.0.1' },
    ])
    expect(history[1]!.receivedAt).toBeGreaterThanOrEqual(before)
    expect(await store!.version!(pubkey, v1.jti)).toEqual(v1)
    expect(await store!.version!(pubkey, 'nope')).toBeNull()
    expect(await store!.history!(newKey('account').publicKey)).toEqual([])
  })

  it('skips values other tools wrote, and drops keys they deleted', async () => {
    const bucket = freshBucket()
    const [store] = await instances(1, bucket)
    const nc = await connect({ servers: server.url })
    const kv = await new Kvm(nc).open(bucket)
    const garbled = newKey('account').publicKey
    const removed = accountVersion(newKey('account').publicKey, 1000)
    await store!.put(removed, { kind: 'http' })
    await kv.put(garbled, 'not a record')
    await kv.put('other.key', 'ignored')
    await kv.delete(removed.pubkey)
    await waitFor(async () => store!.unreadableEntries!() === 1 && (await store!.get(removed.pubkey)) === null, {
      timeoutMs: 10_000,
      message: 'the foreign writes to be seen',
    })
    expect(await store!.get(garbled)).toBeNull()
    expect(await store!.count()).toBe(0)
    const fixed = accountVersion(garbled, 1000)
    expect((await store!.put(fixed, { kind: 'http' })).outcome).toBe('stored')
    expect(store!.unreadableEntries!()).toBe(0)
    await nc.close()
  })
})

describe('kv store: the bucket out of reach', () => {
  it('serves what it holds, refuses writes with ERR_STORE_UNAVAILABLE, and recovers by itself', async () => {
    const first = await startJetStream()
    servers.push(first)
    const bucket = freshBucket()
    const [a, b] = await instances(2, bucket, first)
    const kept = accountVersion(newKey('account').publicKey, 1000)
    await a!.put(kept, { kind: 'http' })
    expect(a!.status()).toEqual({ connected: true, caughtUp: true, writable: true, reason: '' })
    await first.stop()
    await waitFor(() => !a!.status().connected, { timeoutMs: 10_000, message: 'a to see the servers gone' })
    expect(a!.status()).toMatchObject({ writable: false, reason: expect.stringContaining(bucket) })
    expect(await a!.get(kept.pubkey)).toEqual(kept)
    const refused = accountVersion(kept.pubkey, 2000)
    await expect(a!.put(refused, { kind: 'http' })).rejects.toMatchObject({ code: ErrorCode.StoreUnavailable })
    expect(await a!.get(kept.pubkey)).toEqual(kept)

    servers.push(await startJetStream({ storeDir: first.storeDir, port: first.port }))
    await waitFor(() => a!.status().writable && b!.status().writable, { timeoutMs: 30_000, message: 'both writable again' })
    const newer = accountVersion(kept.pubkey, 3000)
    const stored = await waitFor(
      async () => (await b!.put(newer, { kind: 'http' }).catch(() => null))?.outcome,
      { timeoutMs: 30_000, message: 'a write after the restart' },
    )
    expect(stored).toBe('stored')
    await waitFor(async () => (await a!.get(kept.pubkey))?.iat === 3000, { timeoutMs: 30_000, message: 'a to see b’s write after the restart' })
    expect(a!.status()).toMatchObject({ caughtUp: true, writable: true })
  })
})
