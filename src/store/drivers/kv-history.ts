/**
 * The KV store's history: a JetStream stream beside the bucket, one subject per account, one
 * message per accepted version (with its JWT), deletion and notification outcome. The bucket
 * keeps only the newest record per key; this stream keeps everything, as SQLite's history
 * table does. It is written after the bucket (JetStream has no transaction across subjects),
 * with the bucket revision as message id, so a retried append is stored once.
 * @module
 */
import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream'
import type { StoredAccount } from '../../jwt/types.js'
import type { HistoryEntry, PutSource } from '../types.js'

/** The stream that keeps a bucket's history, and the subject prefix its accounts use. */
export function historyStreamOf(bucket: string): { stream: string; prefix: string } {
  return { stream: `NATS_ACCOUNTS_HISTORY_${bucket}`, prefix: `$NATS_ACCOUNTS.${bucket}.history` }
}

type Accepted = {
  e: 'accepted' | 'deleted'
  jwt?: string
  jti: string
  iat: number
  exp: number
  issuer: string
  name: string
  at: number
  source: PutSource['kind']
  detail: string
}
type Notified = { e: 'notification'; jti: string; outcome: string }
type HistoryMessage = Accepted | Notified

const encoder = new TextEncoder()
const decoder = new TextDecoder()
/** Longest wait for one page of an account's history. */
const READ_TIMEOUT_MS = 5000

export class KvHistory {
  readonly #js: JetStreamClient
  readonly #jsm: JetStreamManager
  readonly #stream: string
  readonly #prefix: string

  constructor(js: JetStreamClient, jsm: JetStreamManager, bucket: string) {
    this.#js = js
    this.#jsm = jsm
    const { stream, prefix } = historyStreamOf(bucket)
    this.#stream = stream
    this.#prefix = prefix
  }

  /** Creates the stream when missing (file storage, every message kept). */
  async ensure(replicas: number): Promise<void> {
    try {
      await this.#jsm.streams.info(this.#stream)
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err
      await this.#jsm.streams.add({
        name: this.#stream,
        subjects: [`${this.#prefix}.*`],
        num_replicas: replicas,
        description: 'nats-accounts: every accepted account JWT, deletion and notification outcome',
      })
    }
  }

  /** Appends one accepted version or deletion; `revision` is its bucket revision. */
  async record(
    account: StoredAccount,
    source: PutSource,
    event: 'accepted' | 'deleted',
    revision: number,
    timeoutMs: number,
  ): Promise<void> {
    const message: Accepted = {
      e: event,
      ...(event === 'accepted' ? { jwt: account.jwt } : {}),
      jti: account.jti,
      iat: account.iat,
      exp: account.exp,
      issuer: account.issuer,
      name: account.name,
      at: Date.now(),
      source: source.kind,
      detail: source.detail ?? '',
    }
    await this.#publish(account.pubkey, message, { msgID: `${account.pubkey}.${revision}`, timeout: timeoutMs })
  }

  async recordNotification(pubkey: string, jti: string, outcome: string, timeoutMs: number): Promise<void> {
    await this.#publish(pubkey, { e: 'notification', jti, outcome }, { timeout: timeoutMs })
  }

  async #publish(pubkey: string, message: HistoryMessage, options: { msgID?: string; timeout: number }): Promise<void> {
    await this.#js.publish(`${this.#prefix}.${pubkey}`, encoder.encode(JSON.stringify(message)), options)
  }

  /** Every accepted version and deletion, newest first, each with its notification outcome. */
  async entries(pubkey: string): Promise<HistoryEntry[]> {
    const entries: HistoryEntry[] = []
    /** Outcomes seen (reading newest first) for versions not reached yet, by `jti`. */
    const outcomes = new Map<string, string>()
    const messages = await this.#read(pubkey)
    for (let i = messages.length - 1; i >= 0; i--) {
      const message = messages[i]!
      if (message.e === 'notification') {
        if (!outcomes.has(message.jti)) outcomes.set(message.jti, message.outcome)
        continue
      }
      let notification = ''
      if (message.e === 'accepted') {
        notification = outcomes.get(message.jti) ?? ''
        outcomes.delete(message.jti)
      }
      entries.push({
        event: message.e,
        jti: message.jti,
        iat: message.iat,
        exp: message.exp,
        issuer: message.issuer,
        receivedAt: message.at,
        source: message.source,
        sourceDetail: message.detail,
        notification,
      })
    }
    return entries
  }

  /** The newest accepted version with this `jti`, or null. */
  async version(pubkey: string, jti: string): Promise<StoredAccount | null> {
    const messages = await this.#read(pubkey)
    for (let i = messages.length - 1; i >= 0; i--) {
      const m = messages[i]!
      if (m.e === 'accepted' && m.jti === jti && m.jwt !== undefined) {
        return { pubkey, jti, iat: m.iat, exp: m.exp, issuer: m.issuer, name: m.name, jwt: m.jwt }
      }
    }
    return null
  }

  /** An account's messages, oldest first (an ordered consumer filtered on its subject). */
  async #read(pubkey: string): Promise<HistoryMessage[]> {
    const subject = `${this.#prefix}.${pubkey}`
    const info = await this.#jsm.streams.info(this.#stream, { subjects_filter: subject })
    const count = info.state.subjects?.[subject] ?? 0
    if (count === 0) return []
    const consumer = await this.#js.consumers.get(this.#stream, { filter_subjects: subject })
    const messages: HistoryMessage[] = []
    const batch = await consumer.fetch({ max_messages: count, expires: READ_TIMEOUT_MS })
    for await (const m of batch) {
      messages.push(JSON.parse(decoder.decode(m.data)) as HistoryMessage)
      if (messages.length === count) break
    }
    await consumer.delete().catch(() => undefined)
    return messages
  }
}
