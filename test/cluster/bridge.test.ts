/**
 * The worker side of the cluster over a fake channel to the primary process (no child
 * process): commits relayed to the leader, invalidations, refusals, and what a worker answers.
 */
import { describe, expect, it } from 'vitest'
import { AccountCache } from '../../src/accounts/cache.js'
import type { PushResult, Writer } from '../../src/accounts/ports.js'
import { StaleJwtError } from '../../src/errors.js'
import { AccountService } from '../../src/accounts/service.js'
import { ClusterBridge, joinCluster, type WorkerChannel } from '../../src/cluster/bridge.js'
import type { ToPrimary, ToWorker } from '../../src/cluster/protocol.js'
import { ErrorCode } from '../../src/errors.js'
import { checkAccountJwt } from '../../src/jwt/account.js'
import { parseOperator } from '../../src/jwt/trust.js'
import { memoryStore } from '../../src/store/drivers/memory.js'
import type { StoredAccount } from '../../src/jwt/types.js'
import { mintAccount, mintOperator, newKey } from '../helpers/mint.js'

/** A channel whose primary side is the test: what the worker sent, and a way to answer it. */
function fakeChannel(answer: (message: ToPrimary, deliver: (message: ToWorker) => void) => void = () => undefined) {
  const listeners: ((message: ToWorker) => void)[] = []
  const sent: ToPrimary[] = []
  const deliver = (message: ToWorker) => {
    for (const listener of listeners) listener(message)
  }
  const channel: WorkerChannel = {
    send: (message) => {
      sent.push(message)
      answer(message, deliver)
    },
    listen: (receive) => {
      listeners.push(receive)
    },
  }
  return { channel, sent, deliver }
}

function setup() {
  const operator = newKey('operator')
  const trust = parseOperator(mintOperator(operator), 'test')
  const pubkey = newKey('account').publicKey
  const now = Math.floor(Date.now() / 1000)
  const mint = (iat: number) => mintAccount(pubkey, operator, { iat: now - iat })
  const checked = (jwt: string) => checkAccountJwt(jwt, { trust, now })
  return { trust, pubkey, mint, checked }
}

const source = { kind: 'http' as const, detail: '127.0.0.1' }

describe('ClusterBridge as the Writer of a worker that does not write', () => {
  it('serves the newest JWT when the leader stored a newer one before its answer was handled', async () => {
    const { trust, pubkey, mint, checked } = setup()
    const store = memoryStore()
    const newer = mint(5)
    // The leader stores ours, then another worker's newer JWT, whose "forget" arrives first.
    const { channel } = fakeChannel((message, deliver) => {
      if (message.t !== 'commit') return
      void (async () => {
        const ours = await store.put(message.account, message.source)
        await store.put(checked(newer), source)
        deliver({ t: 'forget', seq: 1, keys: [pubkey] })
        deliver({ t: 'committed', id: message.id, result: { ...ours, outcome: 'stored' } })
      })()
    })
    const cache = new AccountCache(10)
    const bridge = new ClusterBridge(channel, 2, (keys) => cache.forget(keys))
    const service = new AccountService({ store, trust, cache, writer: bridge, invalidation: bridge, changes: null })
    joinCluster(channel, { forget: (keys) => service.forget(keys), metricsJson: async () => [], stop: () => undefined })
    expect((await service.push(mint(10), { expectedKey: pubkey, source })).outcome).toBe('stored')
    expect((await service.lookup(pubkey))?.body.toString()).toBe(newer)
  })

  it('drops its cached copy once the leader stored a change, with no forget from the primary', async () => {
    const { trust, pubkey, mint } = setup()
    const store = memoryStore()
    const { channel } = fakeChannel((message, deliver) => {
      if (message.t !== 'commit') return
      void store.put(message.account, message.source).then((ours) => deliver({ t: 'committed', id: message.id, result: { ...ours, outcome: 'stored' } }))
    })
    const cache = new AccountCache(10)
    const bridge = new ClusterBridge(channel, 2, (keys) => cache.forget(keys))
    const service = new AccountService({ store, trust, cache, writer: bridge, changes: null })
    const older = mint(10)
    const newer = mint(5)
    expect((await service.push(older, { expectedKey: pubkey, source })).outcome).toBe('stored')
    expect((await service.lookup(pubkey))?.body.toString()).toBe(older)
    await service.push(newer, { expectedKey: pubkey, source })
    expect((await service.lookup(pubkey))?.body.toString()).toBe(newer)
  })

  it("refuses with the leader's code and message, and as unavailable when the refusal has none", async () => {
    const { trust, pubkey, mint } = setup()
    let refusal: { code: string; message: string } | undefined = { code: ErrorCode.Stale, message: 'older than the stored JWT' }
    const { channel } = fakeChannel((message, deliver) => {
      if (message.t === 'commit') deliver({ t: 'committed', id: message.id, refusal })
    })
    const bridge = new ClusterBridge(channel, 2, () => undefined)
    const service = new AccountService({ store: memoryStore(), trust, writer: bridge, changes: null })
    await expect(service.push(mint(10), { expectedKey: pubkey, source })).rejects.toMatchObject({ code: ErrorCode.Stale, message: 'older than the stored JWT' })
    refusal = undefined
    await expect(service.push(mint(5), { expectedKey: pubkey, source })).rejects.toMatchObject({ code: ErrorCode.WriterUnavailable })
  })

  it('announces changes and resolves once the primary says every worker forgot them', async () => {
    const { channel, sent, deliver } = fakeChannel()
    const bridge = new ClusterBridge(channel, 1, () => undefined)
    let done = false
    const announcing = bridge.announce(['A']).then(() => (done = true))
    expect(sent).toEqual([{ t: 'changed', id: 1, keys: ['A'] }])
    await Promise.resolve()
    expect(done).toBe(false)
    deliver({ t: 'announced', id: 1 })
    await announcing
    expect(done).toBe(true)
    expect(bridge.leader).toBe(true)
  })
})

describe('joinCluster', () => {
  it('attaches, leads with a writer, forgets, gives its metrics, stores the others commits and stops', async () => {
    const { pubkey, mint, checked } = setup()
    const store = memoryStore()
    const writer: Writer = {
      async commit(account: StoredAccount): Promise<PushResult> {
        const result = await store.put(account, source)
        if (result.outcome === 'stale') throw new StaleJwtError(account, result.current)
        return { ...result, outcome: 'stored' }
      },
    }
    const { channel, sent, deliver } = fakeChannel()
    const forgotten: (string[] | null)[] = []
    let stopped = false
    joinCluster(channel, { forget: (keys) => forgotten.push(keys), metricsJson: async () => ['m'], stop: () => (stopped = true), writer })
    expect(sent).toEqual([{ t: 'attached' }, { t: 'leading' }])
    deliver({ t: 'forget', seq: 7, keys: null })
    expect(forgotten).toEqual([null])
    expect(sent.at(-1)).toEqual({ t: 'forgot', seq: 7 })
    deliver({ t: 'metrics-json', seq: 8 })
    await expect.poll(() => sent.at(-1)).toEqual({ t: 'metrics-json', seq: 8, json: ['m'] })
    const newer = checked(mint(5))
    deliver({ t: 'commit', id: 3, account: newer, source })
    await expect.poll(() => sent.at(-1)).toMatchObject({ t: 'committed', id: 3, result: { outcome: 'stored' } })
    deliver({ t: 'commit', id: 4, account: checked(mint(10)), source })
    await expect.poll(() => sent.at(-1)).toMatchObject({ t: 'committed', id: 4, refusal: { code: ErrorCode.Stale } })
    expect((await store.get(pubkey))?.jwt).toBe(newer.jwt)
    deliver({ t: 'stop' })
    expect(stopped).toBe(true)
  })

  it('a worker that does not write attaches only', () => {
    const { channel, sent } = fakeChannel()
    joinCluster(channel, { forget: () => undefined, metricsJson: async () => [], stop: () => undefined })
    expect(sent).toEqual([{ t: 'attached' }])
  })
})
