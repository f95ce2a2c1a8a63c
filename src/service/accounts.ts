/**
 * The account service: the one place where account JWTs are checked, stored and served from.
 * Reads come from a cache of ready-to-send responses; writes go through the full check and the
 * store's newest-wins put, then replace the cached response.
 * @module
 */
import { AccountServerError, ErrorCode } from '../errors.js'
import { checkAccountJwt } from '../jwt/account.js'
import { accountKeyProblem } from '../jwt/nkeys.js'
import type { AccountJwtMeta } from '../jwt/types.js'
import type { OperatorTrust } from '../jwt/trust.js'
import type { HistoryEntry, JwtStore, PutResult, PutSource, StoredAccount } from '../store/types.js'
import { Lru } from './lru.js'

/** A stored account with the bytes and validator the HTTP layer sends as they are. */
export type CachedAccount = {
  meta: AccountJwtMeta
  body: Buffer
  /** `"<jti>"`, the ETag and the `If-None-Match` needle. */
  etag: string
}

export type AccountServiceOptions = {
  store: JwtStore
  trust: OperatorTrust | null
  /** Milliseconds since the epoch. @default Date.now */
  now?: () => number
  /** Accounts kept as prebuilt responses. @default 100_000 */
  cacheSize?: number
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

type Ticket = { pubkey: string; valid: boolean }

export class AccountService {
  readonly store: JwtStore
  readonly trust: OperatorTrust | null
  readonly now: () => number
  readonly #cache: Lru<string, CachedAccount>
  readonly #loads = new Map<string, { flight: Promise<CachedAccount | null>; ticket: Ticket }>()

  readonly #unwatch: (() => void) | undefined

  constructor(options: AccountServiceOptions) {
    this.store = options.store
    this.trust = options.trust
    this.now = options.now ?? Date.now
    this.#cache = new Lru(options.cacheSize ?? 100_000)
    this.#unwatch = this.store.watch?.((pubkeys) => this.#forget(pubkeys))
  }

  /** Drops cached responses for accounts another process changed (all of them for null). */
  #forget(pubkeys: readonly string[] | null): void {
    for (const pending of this.#loads.values()) {
      if (pubkeys === null || pubkeys.includes(pending.ticket.pubkey)) pending.ticket.valid = false
    }
    if (pubkeys === null) this.#cache.clear()
    else for (const pubkey of pubkeys) this.#cache.delete(pubkey)
  }

  /**
   * The served form of an account, or null when none is stored. Concurrent misses for one key
   * share a single store read.
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
    const account = await this.store.get(pubkey)
    if (account === null) return null
    const cached = toCached(account)
    // A write that finished while this read was in flight has already cached a newer JWT.
    if (ticket.valid) this.#cache.set(pubkey, cached)
    return cached
  }

  /**
   * Checks and stores an account JWT. `expectedKey` (the URL's key) is checked first, so a
   * malformed key never reaches the store whatever the body holds.
   * @throws AccountServerError for every rejected JWT; StaleJwtError when a newer one is stored
   */
  async push(token: string, options: PushOptions): Promise<PutResult> {
    if (options.expectedKey !== undefined) assertAccountKey(options.expectedKey)
    const account = checkAccountJwt(token, {
      trust: this.trust,
      expectedKey: options.expectedKey,
      now: Math.floor(this.now() / 1000),
    })
    const result = await this.store.put(account, options.source)
    if (result.outcome === 'stale') throw new StaleJwtError(account, result.current)
    if (result.outcome === 'stored') {
      const pending = this.#loads.get(account.pubkey)
      if (pending !== undefined) pending.ticket.valid = false
      this.#cache.set(account.pubkey, toCached(result.current))
    }
    return result
  }

  /**
   * Unexpired accounts as `<pubkey>|<jwt>` lines, in key order: the pack format of the Go
   * server's `/jwt/v1/pack` and of nats-server's PACK replies. A negative limit means all.
   */
  async pack(limit: number): Promise<string[]> {
    const lines: string[] = []
    if (limit === 0) return lines
    const nowSeconds = this.now() / 1000
    for await (const account of this.store.list()) {
      if (account.exp > 0 && account.exp < nowSeconds) continue
      lines.push(`${account.pubkey}|${account.jwt}`)
      if (limit > 0 && lines.length >= limit) break
    }
    return lines
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

function noHistory(message: string): AccountServerError {
  return new AccountServerError(ErrorCode.NotImplemented, message)
}

export function assertAccountKey(pubkey: string): void {
  const problem = accountKeyProblem(pubkey)
  if (problem !== null) {
    throw new AccountServerError(ErrorCode.InvalidPublicKey, `"${pubkey}" ${problem}`)
  }
}

function toCached(account: StoredAccount): CachedAccount {
  const { jwt, ...meta } = account
  return { meta, body: Buffer.from(jwt, 'utf8'), etag: `"${account.jti}"` }
}

function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')
}
