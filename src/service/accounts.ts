/**
 * The account service: the one place where account JWTs are checked, stored and served from.
 * Reads come from a cache of ready-to-send responses; writes go through the full check and the
 * store's newest-wins put, then replace the cached response.
 * @module
 */
import { createHash } from 'node:crypto'
import { AccountServerError, ErrorCode } from '../errors.js'
import { checkAccountJwt, checkPushKey } from '../jwt/account.js'
import { accountKeyProblem } from '../jwt/nkeys.js'
import type { AccountJwtMeta, StoredAccount } from '../jwt/types.js'
import type { OperatorTrust } from '../jwt/trust.js'
import type { Logger } from '../log/logger.js'
import type { Metrics } from '../metrics.js'
import type { NotifyReport } from '../nats/notifier.js'
import type { HistoryEntry, JwtStore, PutResult, PutSource, StoreChange } from '../store/types.js'
import { Lru } from './lru.js'
import { PerKeyRateLimit } from './rate-limit.js'

/** The shortest time between two `?notify=true` notifications of one account. */
export const RENOTIFY_INTERVAL_MS = 1000

/**
 * A stored account as served: the bytes and validator the HTTP layer sends as they are, and
 * `exp`. Kept small: a server may cache a hundred thousand of them.
 */
export type CachedAccount = {
  /** 0 when the JWT does not expire. */
  exp: number
  body: Buffer
  /**
   * The ETag and the `If-None-Match` needle: strong, from the bytes (a same-second edit keeps
   * the `jti`), never from claim text (a header with a control character throws).
   */
  etag: string
  /** Body length as a header value, computed once. */
  length: string
}

export type AccountServiceOptions = {
  store: JwtStore
  trust: OperatorTrust | null
  /** Milliseconds since the epoch. @default Date.now */
  now?: () => number
  /** How far in the future a JWT's `iat` may be, in seconds. @default DEFAULT_CLOCK_SKEW_S */
  clockSkewSeconds?: number
  /** Accounts kept as prebuilt responses. @default 100_000 */
  cacheSize?: number
  /** Tells running nats-servers about every accepted change (NATS configured). */
  notifier?: { notify(account: StoredAccount): Promise<NotifyReport> }
  /**
   * Asked for the JWT of an account the store does not hold (a NATS LOOKUP); what it returns
   * is checked and stored like any push.
   */
  fallback?: (pubkey: string) => Promise<string | null>
  /** For what happens outside a request (changes by other processes, their notifications). */
  logger?: Logger
  metrics?: Metrics
  /**
   * Told about every change this service made, before the write is acknowledged (workers:
   * the other processes drop their cached copy).
   */
  onChange?: (pubkeys: string[]) => Promise<void>
  /** Announce imports another process made to the store (one server of several does). @default true */
  announceImports?: boolean
  /**
   * Workers that do not write: checked JWTs go to the one that does (`commit` there), which
   * answers with the result or a refusal.
   */
  remoteCommit?: (account: StoredAccount, source: PutSource) => Promise<PushResult>
}

export class StaleJwtError extends AccountServerError {
  constructor(posted: AccountJwtMeta, stored: AccountJwtMeta) {
    super(
      ErrorCode.Stale,
      `the JWT for ${posted.pubkey} was issued at ${isoTime(posted.iat)} (iat ${posted.iat}), before the stored JWT issued at ${isoTime(stored.iat)} (iat ${stored.iat}); the stored JWT stays`,
    )
    this.name = 'StaleJwtError'
  }
}

export type PushOptions = {
  /** The account key the JWT was sent for (URL, NATS subject, file name), checked first. */
  expectedKey?: string
  source: PutSource
}

export class DeletedAccountError extends AccountServerError {
  constructor(posted: AccountJwtMeta, deleted: AccountJwtMeta) {
    super(
      ErrorCode.Deleted,
      `${posted.pubkey} was deleted when it held the JWT issued at ${isoTime(deleted.iat)} (iat ${deleted.iat}); only a JWT issued after that can re-create it`,
    )
    this.name = 'DeletedAccountError'
  }
}

/** A push that was not refused: the JWT is stored now, or was already. */
export type PushResult = PutResult & {
  outcome: 'stored' | 'unchanged'
  /** For a stored change when NATS is configured: what the update notification achieved. */
  notification?: NotifyReport
}

/**
 * What a stored same-second edit is told (POST answer, NATS reply, log): nats-server's full
 * resolvers `save` an update with other bytes, but their PACK sync (`saveIfNewer`) keeps a JWT
 * whose `jti` they hold, so a server that misses the update keeps the old JWT for good.
 */
export const SAME_JTI_WARNING =
  'warning: same jti as the JWT it replaces (issued within the same second): nats-server full resolvers keep a JWT whose jti they hold when they sync, so servers that miss this update never get it; re-issue it a second later (run the nsc edit again) and push again'

/** A stored change that kept the `jti` of the JWT it replaced (nsc edits within one second). */
export function isSameJtiEdit(result: PutResult): boolean {
  return result.outcome === 'stored' && result.previous !== null && result.previous.jti === result.current.jti
}

type Ticket = { pubkey: string; valid: boolean }

export class AccountService {
  readonly #renotifyLimit = new PerKeyRateLimit(RENOTIFY_INTERVAL_MS)
  readonly store: JwtStore
  /** Replaced when the configuration is reloaded: new signing keys apply to the next push. */
  trust: OperatorTrust | null
  readonly now: () => number
  readonly #cache: Lru<string, CachedAccount>
  readonly #loads = new Map<string, { flight: Promise<CachedAccount | null>; ticket: Ticket }>()

  readonly #notifier: AccountServiceOptions['notifier']
  readonly #fallback: AccountServiceOptions['fallback']
  readonly #logger: Logger | undefined
  readonly #metrics: Metrics | undefined
  readonly #onChange: AccountServiceOptions['onChange']
  readonly #announceImports: boolean
  readonly #remoteCommit: AccountServiceOptions['remoteCommit']
  readonly #clockSkewSeconds: number | undefined
  readonly #unwatch: (() => void) | undefined

  constructor(options: AccountServiceOptions) {
    this.store = options.store
    this.trust = options.trust
    this.now = options.now ?? Date.now
    this.#clockSkewSeconds = options.clockSkewSeconds
    this.#cache = new Lru(options.cacheSize ?? 100_000)
    this.#notifier = options.notifier
    this.#fallback = options.fallback
    this.#logger = options.logger
    this.#metrics = options.metrics
    this.#onChange = options.onChange
    this.#announceImports = options.announceImports ?? true
    this.#remoteCommit = options.remoteCommit
    this.#unwatch = this.store.watch?.((changes) => void this.#changedElsewhere(changes))
  }

  /** Drops cached responses for these accounts (all of them for null). */
  forget(pubkeys: readonly string[] | null): void {
    for (const pending of this.#loads.values()) {
      if (pubkeys === null || pubkeys.includes(pending.ticket.pubkey)) pending.ticket.valid = false
    }
    if (pubkeys === null) this.#cache.clear()
    else for (const pubkey of pubkeys) this.#cache.delete(pubkey)
  }

  /**
   * Another process changed the store: forget what is cached. Imports (the CLI has no NATS)
   * are announced here; a server sharing the store announces its own changes.
   */
  async #changedElsewhere(changes: readonly StoreChange[] | null): Promise<void> {
    this.forget(changes === null ? null : [...new Set(changes.map((c) => c.pubkey))])
    if (changes === null || this.#notifier === undefined || !this.#announceImports) return
    const imported = new Set(changes.filter((c) => c.source === 'import').map((c) => c.pubkey))
    for (const pubkey of imported) {
      try {
        const account = await this.store.get(pubkey)
        if (account !== null) await this.#notify(account, 'changed by another process')
      } catch (err) {
        this.#logger?.error({ account: pubkey }, `cannot notify a change made elsewhere: ${(err as Error).message}`)
      }
    }
  }

  async #notify(account: StoredAccount, why: string): Promise<NotifyReport | undefined> {
    if (this.#notifier === undefined) return undefined
    const report = await this.#notifier.notify(account)
    this.#metrics?.notification(report)
    await this.store.recordNotification?.(account.pubkey, account.jti, report.summary)
    this.#logger?.info({ account: account.pubkey, jti: account.jti, reason: why }, report.summary)
    return report
  }

  /**
   * Sends the update notification of the stored JWT again (`?notify=true`), at most once per
   * account per second: anyone may ask, and each one reaches every nats-server.
   * @returns undefined when nothing was sent (no NATS, no such account, asked too often)
   */
  async renotify(pubkey: string): Promise<NotifyReport | undefined> {
    if (this.#notifier === undefined) return undefined
    const account = await this.store.get(pubkey)
    if (account === null) return undefined
    if (!this.#renotifyLimit.allow(pubkey)) {
      this.#metrics?.renotifySkipped()
      return undefined
    }
    return this.#notify(account, 'asked for')
  }

  /**
   * Deletes an account (see `JwtStore.delete`); it stops being served at once.
   * @returns the JWT it held, or null when none was stored
   */
  async delete(pubkey: string, source: PutSource): Promise<StoredAccount | null> {
    assertAccountKey(pubkey)
    const deleted = await this.store.delete(pubkey, source)
    this.forget([pubkey])
    if (deleted !== null) await this.#onChange?.([pubkey])
    return deleted
  }

  /** The served form of an account if it is cached: no I/O, for the GET fast path. */
  cached(pubkey: string): CachedAccount | undefined {
    return this.#cache.get(pubkey)
  }

  /**
   * The served form of an account, or null when none is stored (nor found by the fallback).
   * Concurrent misses for one key share a single store read.
   * @throws AccountServerError ERR_INVALID_PUBKEY before any store access when `pubkey` is not
   *   an account public key
   */
  lookup(pubkey: string): CachedAccount | null | Promise<CachedAccount | null> {
    const hit = this.#cache.get(pubkey)
    if (hit !== undefined) return hit
    assertAccountKey(pubkey)
    const pending = this.#loads.get(pubkey)
    if (pending !== undefined) return pending.flight
    const ticket: Ticket = { pubkey, valid: true }
    const flight = this.#load(pubkey, ticket)
    this.#loads.set(pubkey, { flight, ticket })
    const settle = () => {
      if (this.#loads.get(pubkey)?.flight === flight) this.#loads.delete(pubkey)
    }
    flight.then(settle, settle)
    return flight
  }

  async #load(pubkey: string, ticket: Ticket): Promise<CachedAccount | null> {
    const account = (await this.store.get(pubkey)) ?? (await this.#fetchElsewhere(pubkey))
    if (account === null) return null
    const cached = toCached(account)
    // A write that finished while this read was in flight has already cached a newer JWT.
    if (ticket.valid) this.#cache.set(pubkey, cached)
    return cached
  }

  /** Like `lookup`, but only what this server holds: what answers other resolvers' LOOKUPs. */
  async lookupLocal(pubkey: string): Promise<CachedAccount | null> {
    const hit = this.#cache.get(pubkey)
    if (hit !== undefined) return hit
    assertAccountKey(pubkey)
    const account = await this.store.get(pubkey)
    return account === null ? null : toCached(account)
  }

  /** A JWT the fallback finds, once checked and stored; null for none or a bad one. */
  async #fetchElsewhere(pubkey: string): Promise<StoredAccount | null> {
    const jwt = await this.#fallback?.(pubkey)
    if (!jwt) return null
    try {
      const { current } = await this.push(jwt, { expectedKey: pubkey, source: { kind: 'nats', detail: 'lookup', sync: true } })
      this.#logger?.info({ account: pubkey, name: current.name, jti: current.jti, source: 'lookup' }, 'account JWT stored from NATS')
      return current
    } catch (err) {
      this.#logger?.warn({ account: pubkey }, `ignoring the JWT a NATS lookup returned: ${(err as Error).message}`)
      return null
    }
  }

  /**
   * Checks and stores an account JWT. `expectedKey` (the URL's key) is checked first, so a
   * malformed key never reaches the store whatever the body holds.
   * @throws AccountServerError for every rejected JWT; StaleJwtError when a newer one is stored
   */
  async push(token: string, options: PushOptions): Promise<PushResult> {
    try {
      const result = await this.#push(token, options)
      this.#metrics?.push(result.outcome)
      return result
    } catch (err) {
      this.#metrics?.push(isStale(err) ? 'stale' : 'rejected')
      throw err
    }
  }

  async #push(token: string, options: PushOptions): Promise<PushResult> {
    if (options.expectedKey !== undefined) checkPushKey(options.expectedKey)
    const account = checkAccountJwt(token, {
      trust: this.trust,
      expectedKey: options.expectedKey,
      now: Math.floor(this.now() / 1000),
      clockSkewSeconds: this.#clockSkewSeconds,
    })
    if (this.#remoteCommit === undefined) return this.commit(account, options.source)
    // Another process writes: it decides newest-wins, stores, notifies and tells the others.
    const result = await this.#remoteCommit(account, options.source)
    // Not cached from here: the writer may have stored a newer version since it answered (its
    // "forget" can arrive before this answer is handled), so the next read asks the store.
    if (result.outcome === 'stored') this.forget([account.pubkey])
    return result
  }

  /**
   * Stores a JWT that already passed `checkAccountJwt` (here or in another worker): the store's
   * newest-wins put, then the cache, the other workers and the notification.
   * @throws StaleJwtError, DeletedAccountError
   */
  async commit(account: StoredAccount, source: PutSource): Promise<PushResult> {
    const result = await this.store.put(account, source)
    if (result.outcome === 'stale') throw new StaleJwtError(account, result.current)
    if (result.outcome === 'deleted') throw new DeletedAccountError(account, result.current)
    if (result.outcome === 'unchanged') return { ...result, outcome: 'unchanged' }
    if (isSameJtiEdit(result)) {
      this.#logger?.warn({ account: account.pubkey, name: account.name, jti: account.jti, source: source.kind }, SAME_JTI_WARNING)
    }
    const pending = this.#loads.get(account.pubkey)
    if (pending !== undefined) pending.ticket.valid = false
    this.#cache.set(account.pubkey, toCached(result.current))
    await this.#onChange?.([account.pubkey])
    const { kind } = source
    // Imports here are start-up ones (-primary), before NATS: servers fetch what they need.
    if (kind === 'import') return { ...result, outcome: 'stored' }
    const notifying = this.#notify(result.current, kind)
    if (kind === 'http') return { ...result, outcome: 'stored', notification: await notifying }
    // NATS-borne changes (updates, PACK merges, lookups) must not wait for the replies.
    notifying.catch((err: unknown) =>
      this.#logger?.error({ account: account.pubkey }, `update notification failed: ${(err as Error).message}`),
    )
    return { ...result, outcome: 'stored' }
  }

  /**
   * Unexpired accounts as `<pubkey>|<jwt>` lines, in key order: the pack format of the Go
   * server's `/jwt/v1/pack` and of nats-server's PACK replies. A negative limit means all.
   * Read from the store as they are consumed: a pack of every account is never in memory.
   */
  async *pack(limit: number): AsyncGenerator<string, void, undefined> {
    if (limit === 0) return
    const nowSeconds = this.now() / 1000
    let count = 0
    for await (const account of this.store.list()) {
      if (account.exp > 0 && account.exp < nowSeconds) continue
      yield `${account.pubkey}|${account.jwt}`
      if (limit > 0 && ++count >= limit) return
    }
  }

  /** The accepted version with this `jti`, from stores that keep history. */
  async version(pubkey: string, jti: string): Promise<CachedAccount | null> {
    assertAccountKey(pubkey)
    const version = this.store.version
    if (version === undefined) throw noHistory('lookup by jti is no longer supported')
    const account = await version.call(this.store, pubkey, jti)
    return account === null ? null : toCached(account)
  }

  async history(pubkey: string): Promise<HistoryEntry[]> {
    assertAccountKey(pubkey)
    const history = this.store.history
    if (history === undefined) throw noHistory(`the ${this.store.name} store keeps no history`)
    return history.call(this.store, pubkey)
  }

  close(): void {
    this.#unwatch?.()
  }
}

/** Refused for being older than what is (or was) stored, whichever process decided it. */
export function isStale(err: unknown): boolean {
  return err instanceof AccountServerError && (err.code === ErrorCode.Stale || err.code === ErrorCode.Deleted)
}

function noHistory(message: string): AccountServerError {
  return new AccountServerError(ErrorCode.NotImplemented, message)
}

export function assertAccountKey(pubkey: string): void {
  const problem = accountKeyProblem(pubkey)
  if (problem !== null) {
    throw new AccountServerError(ErrorCode.InvalidPublicKey, `"${pubkey}" ${problem}`)
  }
}

/**
 * Cached bodies are copied into slabs of their own. From Node's shared Buffer pool, each body
 * kept alive the pool slab around it, full of short-lived buffers (a JWT decode's): the
 * directory store's 100,000 cached accounts took 136 MB of buffers for 65 MB of JWTs.
 */
const SLAB_BYTES = 64 * 1024
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
let slabUsed = 0

function bodyOf(jwt: string): Buffer {
  const length = Buffer.byteLength(jwt)
  if (length > SLAB_BYTES / 4) return Buffer.from(jwt)
  if (slabUsed + length > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
    slabUsed = 0
  }
  const body = slab.subarray(slabUsed, slabUsed + length)
  body.write(jwt)
  slabUsed += length
  return body
}

function toCached(account: StoredAccount): CachedAccount {
  const body = bodyOf(account.jwt)
  return { exp: account.exp, body, etag: etagOf(body), length: String(body.length) }
}

/** `"` + 22 base64url characters (128 bits) of the SHA-256 of the bytes + `"`. */
export function etagOf(body: Uint8Array): string {
  return `"${createHash('sha256').update(body).digest().subarray(0, 16).toString('base64url')}"`
}

function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')
}
