/**
 * NATS JetStream KV store: one bucket shared by any number of nats-accounts instances, one key
 * per account. Reads come from a local mirror of the bucket kept by a watch, so they cost what
 * the memory store's do; an instance's own accepted write is in its mirror before the put
 * resolves. Newest-wins is decided per write with compare-and-set on the key's revision: a
 * write names the revision it decided against, and one that lost the race reads the key again
 * and decides again. Deletions are records marked deleted (tombstones), never KV deletes.
 * The caller brings the connection (the store layer knows no NATS configuration).
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { NatsConnection } from '@nats-io/transport-node'
import { StoreUnavailableError } from '../../errors.js'
import type { StoredAccount } from '../../jwt/types.js'
import type { Logger } from '../../log/logger.js'
import type { ChangeListener, JwtStore, PutResult, PutSource, StoreChange, StoreStatus } from '../types.js'
import { KeyLock } from '../utils/key-lock.js'
import { decidePut, putResult, xorInto } from '../utils/newest-wins.js'
import { KvLink, retryUntil, type BucketEntry } from './kv-link.js'
import { KvMirror } from './kv-mirror.js'
import { decodeRecord, encodeRecord, type KvRecord } from './kv-record.js'
import { SnapshotFile } from './kv-snapshot.js'

export const DRIVER_NAME = 'kv'

export type KvStoreOptions = {
  bucket: string
  /**
   * Connects to the account that holds the bucket (the caller knows the servers and
   * credentials); the store closes the connection on close.
   */
  connect: () => Promise<NatsConnection>
  /** Replicas of the bucket and its history stream when they are created. @default 1 */
  replicas?: number
  logger?: Logger
  /** How long a write (or a read that decides one) is retried before it fails. @default 10000 ms */
  writeTimeoutMs?: number
  /** How often the bucket and the watch are checked. @default 2000 ms */
  checkIntervalMs?: number
  /**
   * A file for the local snapshot of the bucket ('' for none). With one, start-up does not wait
   * for the bucket: the snapshot is served until the bucket is reachable and loaded.
   */
  snapshot?: string
  /** How often a changed mirror is written to the snapshot. @default 30000 ms */
  snapshotIntervalMs?: number
}

/** A store on a KV bucket: reachable, loaded and writable, or why not. */
export type KvJwtStore = JwtStore & { status(): StoreStatus }

/** What a key holds as far as a write is concerned: its revision (0: never written) and record. */
type Held = { revision: number; record: KvRecord | null }

const ACCOUNT_KEY = /^A[A-Z2-7]{55}$/
/** How long start-up waits for the bucket before it serves the snapshot. */
const SNAPSHOT_WAIT_MS = 2000
const MAX_RETRY_MS = 30_000

/**
 * Opens the bucket (creating it when missing), loads every key and starts watching; with a
 * snapshot, starts from it when the bucket does not answer at once, and keeps trying.
 * @throws when the bucket cannot be opened or read (and no snapshot was found)
 */
export async function kvStore(options: KvStoreOptions): Promise<KvJwtStore> {
  const store = new KvStore(options)
  await store.open()
  // As the other drivers: methods that can be passed around and spread (metrics wrap them).
  return {
    name: DRIVER_NAME,
    get: (pubkey) => store.get(pubkey),
    deleted: (pubkey) => store.deleted(pubkey),
    list: () => store.list(),
    count: () => store.count(),
    unreadableEntries: () => store.unreadableEntries(),
    hash: (nowSeconds) => store.hash(nowSeconds),
    put: (account, source) => store.put(account, source),
    delete: (pubkey, source) => store.delete(pubkey, source),
    recordNotification: (pubkey, jti, outcome) => store.recordNotification(pubkey, jti, outcome),
    history: (pubkey) => store.history(pubkey),
    version: (pubkey, jti) => store.version(pubkey, jti),
    watch: (listener) => store.watch(listener),
    status: () => store.status(),
    close: () => store.close(),
  }
}

class KvStore {
  readonly #options: Required<Omit<KvStoreOptions, 'logger'>> & { logger?: Logger }
  readonly #mirror = new KvMirror()
  readonly #locks = new KeyLock()
  readonly #listeners = new Set<ChangeListener>()
  /** Written into every record: the watch reports other instances' writes only. */
  readonly #writer = randomUUID()
  #pending: StoreChange[] = []
  #nc: NatsConnection | null = null
  #link: KvLink | null = null
  #caughtUp = false
  #loaded: () => void = () => undefined
  #connected = false
  #disconnectedAt = 0
  /** Why the last attempt, check or write failed; null once one succeeds again. */
  #problem: string | null = null
  #timer: ReturnType<typeof setInterval> | null = null
  #checking = false
  #closed = false
  #wake: () => void = () => undefined
  readonly #snapshot: SnapshotFile | null
  /** After a snapshot was loaded: the keys the bucket's watch has delivered so far. */
  #seen: Set<string> | null = null

  constructor(options: KvStoreOptions) {
    this.#options = { replicas: 1, writeTimeoutMs: 10_000, checkIntervalMs: 2000, snapshot: '', snapshotIntervalMs: 30_000, ...options }
    const { snapshot, bucket, snapshotIntervalMs, logger } = this.#options
    this.#snapshot = snapshot === '' ? null : new SnapshotFile(snapshot, bucket, snapshotIntervalMs, logger)
  }

  async open(): Promise<void> {
    const { bucket, logger } = this.#options
    await this.#snapshot?.load(this.#mirror)
    // Checked from the start: a watch made while the stream has no leader may never deliver.
    this.#timer = setInterval(() => void this.#tick(), this.#options.checkIntervalMs)
    this.#timer.unref()
    const loaded = this.#snapshot?.loaded
    if (loaded === undefined || loaded === null) return this.#attach(false)
    const attached = this.#attach(true)
    let timeout: ReturnType<typeof setTimeout> | undefined
    const waited = new Promise<boolean>((resolve) => (timeout = setTimeout(() => resolve(false), SNAPSHOT_WAIT_MS)))
    if (!(await Promise.race([attached.then(() => true), waited]))) {
      const written = new Date(loaded.writtenAt).toISOString()
      logger?.warn(`KV bucket ${bucket} is not reachable yet (${this.#problem ?? 'connecting'}): serving ${this.#mirror.count} account${this.#mirror.count === 1 ? '' : 's'} from the snapshot ${this.#snapshot!.file} written at ${written} until it is`)
    }
    clearTimeout(timeout)
  }

  /**
   * Connects, opens the bucket and loads it. With `retry` (a snapshot is served meanwhile),
   * failures are retried with back-off until it succeeds or the store closes.
   */
  async #attach(retry: boolean): Promise<void> {
    const { bucket, replicas, writeTimeoutMs, logger, connect } = this.#options
    for (let attempt = 0; !this.#closed; attempt++) {
      let nc: NatsConnection | null = null
      try {
        nc = await connect()
        if (this.#closed) return void (await nc.close())
        this.#nc = nc
        this.#connected = true
        void this.#followConnection(nc)
        const link = await KvLink.open(nc, { bucket, replicas, timeoutMs: writeTimeoutMs, logger }, {
          entry: (entry) => this.#onEntry(entry),
          caughtUp: () => this.#onCaughtUp(),
        })
        this.#adopt(link)
        const loaded = new Promise<void>((resolve) => (this.#loaded = resolve))
        this.#link = link
        await link.watch()
        await loaded
        this.#problem = null
        if (attempt > 0) logger?.info(`KV bucket ${bucket} is reachable and loaded: ${this.#mirror.count} accounts`)
        return
      } catch (err) {
        this.#link?.stop()
        this.#link = null
        this.#nc = null
        this.#connected = false
        await nc?.close().catch(() => undefined)
        if (!retry || this.#closed) throw err
        const problem = `KV bucket ${bucket} is not reachable: ${(err as Error).message}`
        if (problem !== this.#problem) logger?.error(`${problem}; trying again with back-off`)
        this.#problem = problem
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(MAX_RETRY_MS, 500 * 2 ** Math.min(attempt, 6)))
          this.#wake = () => (clearTimeout(timer), resolve())
        })
      }
    }
  }

  /** A snapshot of another bucket of the same name (made again) is dropped, not merged. */
  #adopt(link: KvLink): void {
    const loaded = this.#snapshot?.loaded
    if (loaded === undefined || loaded === null) return
    if (loaded.streamCreated === link.streamCreated) {
      this.#seen = new Set()
      return
    }
    this.#options.logger?.warn(`the KV snapshot is of an earlier bucket ${link.bucket} (created ${loaded.streamCreated}): dropped`)
    for (const key of this.#mirror.keys()) this.#mirror.remove(key)
    this.#snapshot!.loaded = null
    this.#report(null)
  }

  #onEntry(entry: BucketEntry): void {
    if (!ACCOUNT_KEY.test(entry.key)) return
    this.#seen?.add(entry.key)
    const value = entry.operation === 'PUT' ? decodeRecord(entry.key, entry.value) : 'removed'
    this.#applyRemote(entry.key, entry.revision, value)
  }

  #onCaughtUp(): void {
    // Keys the snapshot held that the bucket no longer has (purged by another tool).
    if (this.#seen !== null) {
      for (const key of this.#mirror.keys()) if (!this.#seen.has(key) && this.#mirror.remove(key)) this.#changed(key, 'nats')
      this.#seen = null
    }
    this.#caughtUp = true
    this.#loaded()
  }

  async #followConnection(nc: NatsConnection): Promise<void> {
    void nc.closed().then(() => this.#nc === nc && (this.#connected = false))
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') [this.#connected, this.#disconnectedAt] = [false, Date.now()]
      else if (status.type === 'reconnect') this.#connected = true
    }
  }

  async #tick(): Promise<void> {
    const link = this.#link
    if (link === null || this.#checking || this.#closed) return
    this.#checking = true
    try {
      const behind = await link.check()
      if (!behind) this.#caughtUp = true
      this.#problem = null
      if (this.#caughtUp) this.#snapshot?.save(this.#mirror, link.streamCreated, false)
    } catch (err) {
      this.#problem = `KV bucket ${link.bucket} does not answer: ${(err as Error).message}`
    } finally {
      this.#checking = false
    }
  }

  /**
   * A value seen in the bucket: kept if newer, and reported unless this instance wrote it (the
   * watch may deliver an own write before its acknowledgement arrives).
   */
  #applyRemote(pubkey: string, revision: number, value: KvRecord | null | 'removed'): void {
    if (!this.#mirror.apply(pubkey, revision, value)) return
    this.#markDirty()
    if (typeof value === 'object' && value?.writer === this.#writer) return
    this.#changed(pubkey, value === null || value === 'removed' ? 'nats' : value.source)
  }

  #markDirty(): void {
    if (this.#snapshot !== null) this.#snapshot.dirty = true
  }

  #changed(pubkey: string, source: StoreChange['source']): void {
    if (this.#listeners.size > 0 && this.#pending.push({ pubkey, source }) === 1) setImmediate(() => this.#report(this.#pending.splice(0)))
  }

  #report(changes: StoreChange[] | null): void {
    for (const listener of this.#listeners) listener(changes)
  }

  status(): StoreStatus {
    const { bucket } = this.#options
    const loaded = this.#snapshot?.loaded
    if (this.#link === null && loaded !== undefined && loaded !== null) {
      const written = new Date(loaded.writtenAt).toISOString()
      const why = this.#problem ?? 'connecting'
      return { connected: false, caughtUp: false, writable: false, reason: `serving the local snapshot of KV bucket ${bucket} written at ${written}: ${why}` }
    }
    const connected = this.#connected && this.#link !== null
    const reason = !this.#connected
      ? `disconnected from the NATS servers of KV bucket ${bucket}`
      : (this.#problem ?? (this.#caughtUp ? '' : `loading KV bucket ${bucket}`))
    return { connected, caughtUp: this.#caughtUp, writable: connected && this.#problem === null, reason }
  }

  async get(pubkey: string): Promise<StoredAccount | null> {
    return this.#mirror.account(pubkey)
  }

  async deleted(pubkey: string): Promise<StoredAccount | null> {
    const entry = this.#mirror.entry(pubkey)
    return entry?.deleted ? entry.account : null
  }

  async *list(): AsyncIterable<StoredAccount> {
    yield* this.#mirror.live()
  }

  async count(): Promise<number> {
    return this.#mirror.count
  }

  unreadableEntries(): number {
    return this.#mirror.unreadable
  }

  async hash(nowSeconds: number): Promise<Uint8Array> {
    const hash = new Uint8Array(32)
    for (const digest of this.#mirror.digests(nowSeconds)) xorInto(hash, digest)
    return hash
  }

  put(account: StoredAccount, source: PutSource): Promise<PutResult> {
    const { pubkey } = account
    return this.#locks.run(pubkey, async () => {
      let held = this.#held(pubkey)
      let fresh = false
      for (;;) {
        const previous = held.record?.deleted === false ? held.record.account : null
        const tombstone = held.record?.deleted === true ? held.record.account : null
        const outcome = decidePut(previous, account, tombstone, source)
        if (outcome === 'stored') {
          const revision = await this.#write(pubkey, { account, deleted: false, source: source.kind, writer: this.#writer }, held.revision)
          if (revision !== null) {
            await this.#recordHistory(account, source, 'accepted', revision)
            return putResult(outcome, account, previous, tombstone)
          }
        } else if (fresh) {
          return putResult(outcome, account, previous, tombstone)
        }
        // Another writer was first, or the mirror (which may lag) refused it: ask the bucket.
        held = await this.#latest(pubkey)
        fresh = true
      }
    })
  }

  delete(pubkey: string, source: PutSource): Promise<StoredAccount | null> {
    return this.#locks.run(pubkey, async () => {
      let held = this.#held(pubkey)
      let fresh = false
      for (;;) {
        const live = held.record?.deleted === false ? held.record.account : null
        if (live !== null) {
          const revision = await this.#write(pubkey, { account: live, deleted: true, source: source.kind, writer: this.#writer }, held.revision)
          if (revision !== null) {
            await this.#recordHistory(live, source, 'deleted', revision)
            return live
          }
        } else if (fresh) {
          return null
        }
        held = await this.#latest(pubkey)
        fresh = true
      }
    })
  }

  async recordNotification(pubkey: string, jti: string, outcome: string): Promise<void> {
    try {
      await this.#retrying(`record the notification of ${pubkey}`, (link, timeoutMs) =>
        link.history.recordNotification(pubkey, jti, outcome, timeoutMs),
      )
    } catch (err) {
      this.#options.logger?.error({ account: pubkey, jti }, `the notification outcome is not in the history: ${(err as Error).message}`)
    }
  }

  async history(pubkey: string) {
    return this.#retrying(`read the history of ${pubkey}`, (link) => link.history.entries(pubkey))
  }

  async version(pubkey: string, jti: string) {
    return this.#retrying(`read version ${jti} of ${pubkey}`, (link) => link.history.version(pubkey, jti))
  }

  watch(listener: ChangeListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#wake()
    await this.#locks.idle()
    if (this.#link !== null && this.#caughtUp) this.#snapshot?.save(this.#mirror, this.#link.streamCreated, true)
    await this.#snapshot?.settled()
    this.#link?.stop()
    this.#listeners.clear()
    await this.#nc?.close()
  }

  #held(pubkey: string): Held {
    const entry = this.#mirror.entry(pubkey)
    return entry === undefined ? { revision: 0, record: null } : { revision: entry.revision, record: entry }
  }

  /** The key as the stream leader has it now (the mirror learns it too). */
  async #latest(pubkey: string): Promise<Held> {
    const latest = await this.#retrying(`read ${pubkey}`, (link) => link.latest(pubkey))
    if (latest === null) return { revision: 0, record: null }
    const record = latest.value === null ? null : decodeRecord(pubkey, latest.value)
    this.#applyRemote(pubkey, latest.revision, latest.value === null ? 'removed' : record)
    return { revision: latest.revision, record }
  }

  /**
   * Writes a record if the key is still at `expected`; null when another writer was first.
   * Retried attempts carry the same message id: one that landed although its answer was lost
   * is not stored twice, and is recognised as ours.
   */
  async #write(pubkey: string, record: KvRecord, expected: number): Promise<number | null> {
    const msgID = randomUUID()
    const value = encodeRecord(record)
    let attempts = 0
    const revision = await this.#retrying(`store ${pubkey}`, async (link, timeoutMs) => {
      const written = await link.write(pubkey, value, expected, msgID, timeoutMs)
      if (written !== null || attempts++ === 0) return written
      const latest = await link.latest(pubkey)
      return latest?.msgId === msgID ? latest.revision : null
    })
    if (revision !== null && this.#mirror.apply(pubkey, revision, record)) this.#markDirty()
    return revision
  }

  async #recordHistory(account: StoredAccount, source: PutSource, event: 'accepted' | 'deleted', revision: number): Promise<void> {
    try {
      await this.#retrying(`record the history of ${account.pubkey}`, (link, timeoutMs) =>
        link.history.record(account, source, event, revision, timeoutMs),
      )
    } catch (err) {
      // The bucket holds the change already: it stands, without its history entry.
      this.#options.logger?.error({ account: account.pubkey, jti: account.jti }, `${event} but not in the history: ${(err as Error).message}`)
    }
  }

  /**
   * Runs a bucket operation, retrying failures (timeouts, no stream leader) until the write
   * timeout has passed.
   * @throws StoreUnavailableError when it still fails then, or the bucket is out of reach now
   */
  async #retrying<T>(what: string, operation: (link: KvLink, timeoutMs: number) => Promise<T>): Promise<T> {
    const { bucket, writeTimeoutMs } = this.#options
    const link = this.#link
    // Lost a moment ago (its server died), the connection is being replaced: wait as for a leader.
    if (link === null || this.#closed || (!this.#connected && Date.now() - this.#disconnectedAt >= writeTimeoutMs)) {
      throw new StoreUnavailableError(DRIVER_NAME, `cannot ${what}: ${this.#closed ? 'the store is closed' : this.status().reason}`)
    }
    try {
      const attempt = (timeoutMs: number) => (this.#connected ? operation(link, timeoutMs) : Promise.reject(new Error(this.status().reason)))
      const result = await retryUntil(Date.now() + writeTimeoutMs, attempt, () => this.#closed)
      this.#problem = null
      return result
    } catch (err) {
      this.#problem = `cannot ${what} in KV bucket ${bucket}: ${(err as Error).message}`
      throw new StoreUnavailableError(DRIVER_NAME, `${this.#problem}; its NATS servers must be reachable and its stream must have a leader`, { cause: err })
    }
  }
}
