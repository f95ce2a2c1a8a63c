/**
 * The kv store's local snapshot: written on close, served at start-up while the bucket is out
 * of reach (POSTs refused), then replaced by what the bucket holds once it is back.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, ErrorCode } from '../../src/errors.js'
import { openKvStore } from '../../src/nats/kv-connection.js'
import type { KvJwtStore } from '../../src/store/drivers/kv.js'
import type { StoreChange } from '../../src/store/types.js'
import { freshBucket, kvConfig, startJetStream } from '../helpers/kv.js'
import { newKey } from '../helpers/mint.js'
import type { NatsServer } from '../helpers/nats-server.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'
import { accountVersion } from './contract.js'

const servers: NatsServer[] = []
const stores: KvJwtStore[] = []
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()))
  await Promise.all(servers.map((s) => s.stop()))
})

describe('kv store: local snapshot', () => {
  it('serves the snapshot while the bucket is down, refuses writes, and catches up when it is back', async () => {
    const first = await startJetStream()
    servers.push(first)
    const snapshot = join(await tempDir(), 'state', 'kv.snapshot')
    const config = kvConfig(first, freshBucket(), { snapshot })
    const kept = accountVersion(newKey('account').publicKey, 1000)
    const updated = accountVersion(newKey('account').publicKey, 1000)
    const removed = accountVersion(newKey('account').publicKey, 1000)
    const writer = await openKvStore(config)
    for (const account of [kept, updated, removed]) await writer.put(account, { kind: 'http' })
    await writer.close()
    expect((await readFile(snapshot, 'utf8')).split('\n')[0]).toContain(`"bucket":"${config.bucket}"`)

    const other = await openKvStore({ ...config, snapshot: '' })
    stores.push(other)
    const newer = accountVersion(updated.pubkey, 2000)
    await other.put(newer, { kind: 'http' })
    await other.delete(removed.pubkey, { kind: 'http' })
    await first.stop()

    const started = Date.now()
    const fromSnapshot = await openKvStore(config)
    stores.push(fromSnapshot)
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(fromSnapshot.status()).toMatchObject({ connected: false, caughtUp: false, writable: false })
    expect(fromSnapshot.status().reason).toContain(`serving the local snapshot of KV bucket ${config.bucket}`)
    expect(await fromSnapshot.get(kept.pubkey)).toEqual(kept)
    expect(await fromSnapshot.get(updated.pubkey)).toEqual(updated)
    expect(await fromSnapshot.count()).toBe(3)
    await expect(fromSnapshot.put(accountVersion(kept.pubkey, 3000), { kind: 'http' })).rejects.toMatchObject({
      code: ErrorCode.StoreUnavailable,
    })
    const seen: (readonly StoreChange[] | null)[] = []
    fromSnapshot.watch!((changes) => seen.push(changes))

    servers.push(await startJetStream({ storeDir: first.storeDir, port: first.port }))
    await waitFor(() => fromSnapshot.status().caughtUp, { timeoutMs: 60_000, message: 'the store to catch up with the bucket' })
    expect(fromSnapshot.status()).toEqual({ connected: true, caughtUp: true, writable: true, reason: '' })
    expect(await fromSnapshot.get(updated.pubkey)).toEqual(newer)
    expect(await fromSnapshot.get(removed.pubkey)).toBeNull()
    expect(await fromSnapshot.deleted(removed.pubkey)).toEqual(removed)
    expect(await fromSnapshot.count()).toBe(2)
    await waitFor(() => seen.flat().length >= 2, { message: 'the changes to be reported' })
    expect(seen.flat()).toEqual(expect.arrayContaining([{ pubkey: updated.pubkey, source: 'http' }, { pubkey: removed.pubkey, source: 'http' }]))
    expect((await fromSnapshot.put(accountVersion(kept.pubkey, 3000), { kind: 'http' })).outcome).toBe('stored')
  }, 120_000)

  it('fails at start-up without a usable snapshot, and ignores a broken one', async () => {
    const down = await startJetStream()
    servers.push(down)
    await down.stop()
    const snapshot = join(await tempDir(), 'kv.snapshot')
    await writeFile(snapshot, 'not a snapshot\n')
    await expect(openKvStore(kvConfig(down, freshBucket(), { snapshot }))).rejects.toThrow(ConfigError)
    const up = await startJetStream()
    servers.push(up)
    const store = await openKvStore(kvConfig(up, freshBucket(), { snapshot }))
    stores.push(store)
    expect(store.status().caughtUp).toBe(true)
    expect(await store.count()).toBe(0)
  })

  it('drops a snapshot of an earlier bucket of the same name (its revisions mean nothing now)', async () => {
    const server = await startJetStream()
    servers.push(server)
    const snapshot = join(await tempDir(), 'kv.snapshot')
    const config = kvConfig(server, freshBucket(), { snapshot })
    const pubkey = newKey('account').publicKey
    const old = await openKvStore(config)
    for (let i = 0; i < 4; i++) await old.put(accountVersion(newKey('account').publicKey, 1000), { kind: 'http' })
    await old.put(accountVersion(pubkey, 1000), { kind: 'http' })
    await old.close()
    const { connect } = await import('@nats-io/transport-node')
    const { jetstreamManager } = await import('@nats-io/jetstream')
    const nc = await connect({ servers: server.url })
    await (await jetstreamManager(nc)).streams.delete(`KV_${config.bucket}`)
    await nc.close()
    const recreated = await openKvStore({ ...config, snapshot: '' })
    stores.push(recreated)
    const current = accountVersion(pubkey, 2000)
    await recreated.put(current, { kind: 'http' })
    const again = await openKvStore(config)
    stores.push(again)
    expect(await again.get(pubkey)).toEqual(current)
    expect(await again.count()).toBe(1)
  })
})
