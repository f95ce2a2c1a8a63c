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
import type { JwtStore, PutResult, PutSource, StoredAccount } from '../store/types.js'
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

type Ticket = { valid: boolean }

export class AccountService {
  readonly store: JwtStore
  readonly trust: OperatorTrust | null
  readonly now: () => number
  readonly #cache: Lru<string, CachedAccount>
  readonly #loads = new Map<string, { flight: Promise<CachedAccount | null>; ticket: Ticket }>()

  constructor(options: AccountServiceOptions) {
    this.store = options.store
    this.trust = options.trust
    this.now = options.now ?? Date.now
    this.#cache = new Lru(options.cacheSize ?? 100_000)
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
    const ticket: Ticket = { valid: true }
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
  async push(token: string, options: { expectedKey?: string; source: PutSource }): Promise<PutResult> {
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

  list(): AsyncIterable<StoredAccount> {
    return this.store.list()
  }
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
