/**
 * The account service: the one place where account JWTs are checked, stored and served from.
 * Reads come from a cache of ready-to-send responses; writes go through the full check and a
 * `Writer` (this process's store, or the process that writes), which replaces the cached response.
 * @module
 */
import { AccountServerError, ErrorCode } from '../errors.js'
import { checkAccountJwt, checkPushKey } from '../jwt/account.js'
import { accountKeyProblem } from '../jwt/nkeys.js'
import type { OperatorTrust } from '../jwt/trust.js'
import type { Logger } from '../log/logger.js'
import type { StoredAccount } from '../jwt/types.js'
import type { HistoryEntry, JwtStore, PutSource, StoreChange } from '../store/types.js'
import { AccountCache, toCached, type CachedAccount } from './cache.js'
import { LocalWriter } from './local-writer.js'
import type { Notifications } from './notifications.js'
import type { AccountChange, AccountChangeListener, ChangeFeed, Fallback, Invalidation, NotifyReport, PushResult, ServiceMetrics, StoreReader, Writer } from './ports.js'
import { PerKeyRateLimit } from './rate-limit.js'
import { isStale } from './refusals.js'

/** The shortest time between two `?notify=true` notifications of one account. */
export const RENOTIFY_INTERVAL_MS = 1000

export type AccountServiceOptions = {
  store: JwtStore
  trust: OperatorTrust | null
  /** Milliseconds since the epoch. @default Date.now */
  now?: () => number
  /** How far in the future a JWT's `iat` may be, in seconds. @default DEFAULT_CLOCK_SKEW_S */
  clockSkewSeconds?: number
  /** The cache of served forms (shared with the writer). @default 100,000 accounts */
  cache?: AccountCache
  /** Commits checked JWTs. @default a LocalWriter on `store` */
  writer?: Writer
  /** Tells running nats-servers about changes (NATS configured); the same one the writer uses. */
  notifications?: Notifications
  /** Asked for accounts the store does not hold; what it returns is checked and stored like any push. */
  fallback?: Fallback
  /**
   * Changes other processes make to the store: dropped from the cache, imports announced to
   * NATS and to `invalidation`. @default the store's `watch`
   */
  changes?: ChangeFeed | null
  /** Other processes serving the same store (workers): told what changed. */
  invalidation?: Invalidation
  /** For what happens outside a request (changes by other processes, their notifications). */
  logger?: Logger
  metrics?: ServiceMetrics
}

export type PushOptions = {
  /** The account key the JWT was sent for (URL, NATS subject, file name), checked first. */
  expectedKey?: string
  source: PutSource
}

export class AccountService {
  readonly #renotifyLimit = new PerKeyRateLimit(RENOTIFY_INTERVAL_MS)
  readonly #store: JwtStore
  #trust: OperatorTrust | null
  readonly now: () => number
  readonly #cache: AccountCache
  readonly #writer: Writer
  readonly #notifications: Notifications | undefined
  readonly #fallback: Fallback | undefined
  readonly #invalidation: Invalidation | undefined
  readonly #logger: Logger | undefined
  readonly #metrics: ServiceMetrics | undefined
  readonly #clockSkewSeconds: number | undefined
  readonly #unwatch: (() => void) | undefined
  readonly #changeListeners = new Set<AccountChangeListener>()

  constructor(options: AccountServiceOptions) {
    const { store, logger, metrics } = options
    this.#store = store
    this.#trust = options.trust
    this.now = options.now ?? Date.now
    this.#clockSkewSeconds = options.clockSkewSeconds
    this.#cache = options.cache ?? new AccountCache(100_000)
    this.#notifications = options.notifications
    this.#writer = options.writer ?? new LocalWriter({ store, cache: this.#cache, notifications: this.#notifications, logger })
    this.#fallback = options.fallback
    this.#invalidation = options.invalidation
    this.#logger = logger
    this.#metrics = metrics
    const changes = options.changes === undefined ? store.watch?.bind(store) : options.changes
    this.#unwatch = changes?.((changed) => void this.#changedElsewhere(changed)) ?? undefined
  }

  /** The operator's keys a pushed JWT must be signed with (null: pushes are refused). */
  get trust(): OperatorTrust | null {
    return this.#trust
  }

  /** A reloaded configuration's operator: its signing keys apply to the next push. */
  useTrust(trust: OperatorTrust | null): void {
    this.#trust = trust
  }

  /** The store, read-only: readiness, PACK hashes, export. */
  get reader(): StoreReader {
    return this.#store
  }

  /**
   * Drops cached responses for these accounts (all of them for null): another process changed
   * them. The change listeners read them again.
   */
  forget(pubkeys: readonly string[] | null): void {
    this.#cache.forget(pubkeys)
    this.#emit(pubkeys === null ? null : pubkeys.map((pubkey) => ({ pubkey })))
  }

  /** Called after every change this process makes or learns of. @returns the function that stops it */
  onChange(listener: AccountChangeListener): () => void {
    this.#changeListeners.add(listener)
    return () => this.#changeListeners.delete(listener)
  }

  #emit(changes: readonly AccountChange[] | null): void {
    for (const listener of this.#changeListeners) {
      try {
        listener(changes)
      } catch (err) {
        this.#logger?.error(`a change listener failed: ${(err as Error).message}`)
      }
    }
  }

  /**
   * Another process changed the store: forget what is cached, and tell the processes that
   * share this one's view. Imports (the CLI has no NATS) are announced to NATS here.
   */
  async #changedElsewhere(changes: readonly StoreChange[] | null): Promise<void> {
    const pubkeys = changes === null ? null : [...new Set(changes.map((c) => c.pubkey))]
    this.forget(pubkeys)
    await this.#invalidation?.announce(pubkeys).catch((err: unknown) =>
      this.#logger?.error(`cannot tell the other workers about a change made elsewhere: ${(err as Error).message}`),
    )
    if (changes === null || this.#notifications === undefined) return
    const imported = new Set(changes.filter((c) => c.source === 'import').map((c) => c.pubkey))
    for (const pubkey of imported) {
      try {
        const account = await this.#store.get(pubkey)
        if (account !== null) await this.#notifications.send(account, 'changed by another process')
      } catch (err) {
        this.#logger?.error({ account: pubkey }, `cannot notify a change made elsewhere: ${(err as Error).message}`)
      }
    }
  }

  /**
   * Sends the update notification of the stored JWT again (`?notify=true`), at most once per
   * account per second: anyone may ask, and each one reaches every nats-server.
   * @returns undefined when nothing was sent (no NATS, no such account, asked too often)
   */
  async renotify(pubkey: string): Promise<NotifyReport | undefined> {
    if (this.#notifications === undefined) return undefined
    const account = await this.#store.get(pubkey)
    if (account === null) return undefined
    if (!this.#renotifyLimit.allow(pubkey)) {
      this.#metrics?.renotifySkipped()
      return undefined
    }
    return this.#notifications.send(account, 'asked for')
  }

  /**
   * Sends the update notification of the stored JWT again, without the rate limit of
   * `renotify` (an admin asks: `POST /api/v1/accounts/<key>/notify`).
   * @throws AccountServerError ERR_NOT_FOUND (no such account), ERR_NOT_IMPLEMENTED (no NATS)
   */
  async notifyAgain(pubkey: string): Promise<{ account: StoredAccount; report: NotifyReport }> {
    assertAccountKey(pubkey)
    const account = await this.#store.get(pubkey)
    if (account === null) throw new AccountServerError(ErrorCode.NotFound, pubkey)
    if (this.#notifications === undefined) {
      throw new AccountServerError(ErrorCode.NotImplemented, 'NATS is not configured (-nats): there is no nats-server to notify')
    }
    return { account, report: await this.#notifications.send(account, 'asked for by an admin') }
  }

  /**
   * Deletes an account (see `JwtStore.delete`); it stops being served at once.
   * @returns the JWT it held, or null when none was stored
   */
  async delete(pubkey: string, source: PutSource): Promise<StoredAccount | null> {
    assertAccountKey(pubkey)
    const deleted = await this.#store.delete(pubkey, source)
    this.#cache.forget([pubkey])
    if (deleted !== null) {
      this.#emit([{ pubkey, account: null, source }])
      await this.#invalidation?.announce([pubkey])
    }
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
    return this.#cache.load(pubkey, async () => (await this.#store.get(pubkey)) ?? (await this.#fetchElsewhere(pubkey)))
  }

  /** Like `lookup`, but only what this server holds: what answers other resolvers' LOOKUPs. */
  async lookupLocal(pubkey: string): Promise<CachedAccount | null> {
    const hit = this.#cache.get(pubkey)
    if (hit !== undefined) return hit
    assertAccountKey(pubkey)
    const account = await this.#store.get(pubkey)
    return account === null ? null : toCached(account)
  }

  /** A JWT the fallback finds, once checked and stored; null for none or a bad one. */
  async #fetchElsewhere(pubkey: string): Promise<StoredAccount | null> {
    const jwt = await this.#fallback?.lookup(pubkey)
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
      if (result.outcome === 'stored') this.#emit([{ pubkey: result.current.pubkey, account: result.current, source: options.source }])
      return result
    } catch (err) {
      this.#metrics?.push(isStale(err) ? 'stale' : 'rejected')
      throw err
    }
  }

  async #push(token: string, options: PushOptions): Promise<PushResult> {
    if (options.expectedKey !== undefined) checkPushKey(options.expectedKey)
    const account = checkAccountJwt(token, {
      trust: this.#trust,
      expectedKey: options.expectedKey,
      now: Math.floor(this.now() / 1000),
      clockSkewSeconds: this.#clockSkewSeconds,
    })
    return this.#writer.commit(account, options.source)
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
    for await (const account of this.#store.list()) {
      if (account.exp > 0 && account.exp < nowSeconds) continue
      yield `${account.pubkey}|${account.jwt}`
      if (limit > 0 && ++count >= limit) return
    }
  }

  /** The accepted version with this `jti`, from stores that keep history. */
  async version(pubkey: string, jti: string): Promise<CachedAccount | null> {
    assertAccountKey(pubkey)
    const version = this.#store.version
    if (version === undefined) throw noHistory('lookup by jti is no longer supported')
    const account = await version.call(this.#store, pubkey, jti)
    return account === null ? null : toCached(account)
  }

  async history(pubkey: string): Promise<HistoryEntry[]> {
    assertAccountKey(pubkey)
    const history = this.#store.history
    if (history === undefined) throw noHistory(`the ${this.#store.name} store keeps no history`)
    return history.call(this.#store, pubkey)
  }

  close(): void {
    this.#unwatch?.()
  }
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
