/**
 * The KV store's hold on its bucket: opens (or creates) the bucket and its history stream,
 * watches every key, and checks the watch is alive. After a node is lost a watch was seen to
 * stay silent for good; so every check compares the stream's last sequence with the last
 * revision delivered. A watch that is behind and delivered nothing since the previous check is
 * made again from the next revision, in the background: making a consumer needs the JetStream
 * meta leader, which may itself be the node that was lost. Until the new watch runs, each check
 * reads the missing revisions one by one from the stream leader, which does not need it.
 * @module
 */
import {
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream'
import { Kvm, type KV } from '@nats-io/kv'
import type { NatsConnection, QueuedIterator } from '@nats-io/transport-node'
import type { Logger } from '../../log/logger.js'
import { KvHistory } from './kv-history.js'

/** The latest message under a key, as read from the stream leader. */
export type LatestValue = {
  revision: number
  /** null for a KV delete or purge. */
  value: Uint8Array | null
  /** The `Nats-Msg-Id` it was written with ('' for none). */
  msgId: string
}

/** One message of the bucket, from the watch or read from the stream. */
export type BucketEntry = {
  key: string
  revision: number
  operation: 'PUT' | 'DEL' | 'PURGE'
  value: Uint8Array
}

export type WatchEvents = {
  /** Each message of the bucket, once, in revision order. */
  entry(entry: BucketEntry): void
  /** The watch delivered everything the stream held when it (re)started. */
  caughtUp(): void
}

/** Longest wait for one attempt, so that a retry can follow before the deadline. */
const ATTEMPT_MS = 2000

/**
 * Runs `operation` until it succeeds, retrying failures (timeouts, no stream leader) with a
 * growing pause; each attempt gets the time left (at most ATTEMPT_MS).
 * @throws the last failure once the deadline has passed, or `stop` says so
 */
export async function retryUntil<T>(deadline: number, operation: (timeoutMs: number) => Promise<T>, stop: () => boolean): Promise<T> {
  for (let backoff = 100; ; backoff = Math.min(backoff * 2, 1000)) {
    try {
      return await operation(Math.max(100, Math.min(ATTEMPT_MS, deadline - Date.now())))
    } catch (err) {
      if (Date.now() + backoff >= deadline || stop()) throw err
      await new Promise((resolve) => setTimeout(resolve, backoff))
    }
  }
}

/** Where the bucket's keys live, for publishing without the KV client's own put. */
const subjectOf = (bucket: string, key: string) => `$KV.${bucket}.${key}`

/** The stream behind a bucket. */
const streamOf = (bucket: string) => `KV_${bucket}`

/** Most revisions one check reads from the stream while the watch is being made again. */
const MAX_FILL = 1000

const operationOf = (header: string | undefined): BucketEntry['operation'] =>
  header === 'DEL' || header === 'PURGE' ? header : 'PUT'

export class KvLink {
  readonly bucket: string
  readonly js: JetStreamClient
  readonly jsm: JetStreamManager
  readonly kv: KV
  readonly history: KvHistory
  /** When the bucket's stream was created (a bucket made again under the same name differs). */
  readonly streamCreated: string
  readonly #events: WatchEvents
  readonly #logger: Logger | undefined
  #watch: QueuedIterator<BucketEntry> | null = null
  #delivered = 0
  #deliveredAtLastCheck = -1
  #resubscribing = false
  #stopped = false

  private constructor(
    bucket: string,
    streamCreated: string,
    js: JetStreamClient,
    jsm: JetStreamManager,
    kv: KV,
    events: WatchEvents,
    logger?: Logger,
  ) {
    this.bucket = bucket
    this.streamCreated = streamCreated
    this.js = js
    this.jsm = jsm
    this.kv = kv
    this.history = new KvHistory(js, jsm, bucket)
    this.#events = events
    this.#logger = logger
  }

  /**
   * Opens the bucket, creating it (and the history stream) with `replicas` when missing; an
   * existing bucket is used as it is, with a warning when its settings differ.
   */
  static async open(
    nc: NatsConnection,
    options: { bucket: string; replicas: number; timeoutMs: number; logger?: Logger },
    events: WatchEvents,
  ): Promise<KvLink> {
    const { bucket, replicas, timeoutMs, logger } = options
    const js = jetstream(nc, { timeout: timeoutMs })
    const jsm = await jetstreamManager(nc, { timeout: timeoutMs })
    const kvm = new Kvm(js)
    const stream = streamOf(bucket)
    try {
      const { config } = await jsm.streams.info(stream)
      const differences = [
        config.num_replicas !== replicas ? `${config.num_replicas} replicas, not ${replicas}` : '',
        config.max_msgs_per_subject !== 1 ? `history ${config.max_msgs_per_subject}, not 1` : '',
      ].filter(Boolean)
      if (differences.length > 0) {
        logger?.warn(`KV bucket ${bucket} exists with other settings (${differences.join(', ')}): used as it is`)
      }
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err
      await kvm.create(bucket, { replicas, history: 1, description: 'nats-accounts: the account JWTs, one key per account' })
      logger?.info(`created KV bucket ${bucket} with ${replicas} replica${replicas === 1 ? '' : 's'}`)
    }
    // Bound without direct gets: a read must come from the stream leader, never a lagging replica.
    const kv = await kvm.open(bucket, { allow_direct: false })
    const { created } = (await kv.status()).streamInfo
    const link = new KvLink(bucket, created, js, jsm, kv, events, logger)
    await link.history.ensure(replicas)
    return link
  }

  /** The highest revision the watch delivered. */
  get delivered(): number {
    return this.#delivered
  }

  /** Starts watching every key (their newest values, then every change). */
  async watch(): Promise<void> {
    await this.#subscribe(0)
  }

  async #subscribe(fromRevision: number): Promise<void> {
    this.#watch?.stop()
    const { state } = (await this.kv.status()).streamInfo
    const target = state.messages === 0 ? 0 : state.last_seq
    if (target <= this.#delivered) this.#events.caughtUp()
    const watch = await this.kv.watch({ key: '>', ...(fromRevision > 0 ? { resumeFromRevision: fromRevision } : {}) })
    if (this.#stopped) return watch.stop()
    this.#watch = watch
    void (async () => {
      for await (const entry of watch) {
        this.#deliver(entry)
        if (entry.delta === 0 || entry.revision >= target) this.#events.caughtUp()
      }
    })().catch((err: unknown) => this.#logger?.warn(`KV bucket ${this.bucket}: the watch ended: ${(err as Error).message}`))
  }

  /** Passes on an entry the store has not had yet (the watch and a fill may both bring it). */
  #deliver(entry: BucketEntry): void {
    if (entry.revision <= this.#delivered) return
    this.#delivered = entry.revision
    this.#events.entry(entry)
  }

  /**
   * Asks the stream leader for the bucket's state. A watch that fell silent behind it is made
   * again in the background, and meanwhile the missing revisions are read from the stream.
   * @returns whether the watch is still behind the stream
   * @throws when the stream leader does not answer (the bucket is unreachable)
   */
  async check(): Promise<boolean> {
    const { state } = (await this.kv.status()).streamInfo
    const last = state.messages === 0 ? 0 : state.last_seq
    const silent = this.#delivered === this.#deliveredAtLastCheck
    if (last > this.#delivered && silent && !this.#stopped) {
      this.#logger?.warn(`KV bucket ${this.bucket}: the watch stopped at revision ${this.#delivered} of ${last}, reading the rest from the stream and watching again`)
      this.#resubscribe()
      await this.#fill(last)
      if (this.#delivered >= last) this.#events.caughtUp()
    }
    this.#deliveredAtLastCheck = this.#delivered
    return last > this.#delivered
  }

  /** Makes the watch again from the next revision, once at a time; a failure waits for the next check. */
  #resubscribe(): void {
    if (this.#resubscribing) return
    this.#resubscribing = true
    this.#subscribe(this.#delivered + 1)
      .catch((err: unknown) => this.#logger?.warn(`KV bucket ${this.bucket}: watching again failed: ${(err as Error).message}`))
      .finally(() => (this.#resubscribing = false))
  }

  /** Reads the revisions after the last delivered up to `last` from the stream leader. */
  async #fill(last: number): Promise<void> {
    const stream = streamOf(this.bucket)
    const prefix = subjectOf(this.bucket, '')
    const end = Math.min(last, this.#delivered + MAX_FILL)
    for (let seq = this.#delivered + 1; seq <= end && !this.#stopped; seq++) {
      const message = await this.jsm.streams.getMessage(stream, { seq })
      // Null: that revision was overwritten by a newer one under its key.
      if (message === null || !message.subject.startsWith(prefix)) continue
      this.#deliver({
        key: message.subject.slice(prefix.length),
        revision: message.seq,
        operation: operationOf(message.header?.get('KV-Operation')),
        value: message.data,
      })
    }
  }

  /** The newest message under a key, from the stream leader (null: the key was never written). */
  async latest(key: string): Promise<LatestValue | null> {
    const message = await this.jsm.streams.getMessage(streamOf(this.bucket), { last_by_subj: subjectOf(this.bucket, key) })
    if (message === null) return null
    return {
      revision: message.seq,
      value: operationOf(message.header?.get('KV-Operation')) === 'PUT' ? message.data : null,
      msgId: message.header?.get('Nats-Msg-Id') ?? '',
    }
  }

  /**
   * Writes a key if its newest revision is still `expected` (0: never written).
   * @returns the new revision, or null when another writer got there first
   */
  async write(key: string, value: Uint8Array, expected: number, msgID: string, timeoutMs: number): Promise<number | null> {
    try {
      const ack = await this.js.publish(subjectOf(this.bucket, key), value, {
        msgID,
        expect: { lastSubjectSequence: expected },
        timeout: timeoutMs,
      })
      return ack.seq
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence) return null
      throw err
    }
  }

  stop(): void {
    this.#stopped = true
    this.#watch?.stop()
  }
}
