/**
 * The cache of ready-to-send responses: a bounded CLOCK cache, the bodies it keeps (copied into
 * slabs of their own) and the store reads in flight, shared by concurrent misses for one key.
 * @module
 */
import { createHash } from 'node:crypto'
import type { StoredAccount } from '../jwt/types.js'

/**
 * A stored account as served: the bytes and validator the HTTP layer sends as they are, and
 * `exp`. Kept small: a server may cache a hundred thousand of them. The bytes stay a range of
 * their slab (a Buffer object per account cost ~90 bytes more), and the entry carries its own
 * CLOCK bit (a wrapper per entry, ~40 more).
 */
export class CachedAccount {
  /** Read since the eviction hand last passed it. */
  used = false

  constructor(
    /** 0 when the JWT does not expire. */
    readonly exp: number,
    readonly slab: Buffer,
    readonly start: number,
    readonly end: number,
    /**
     * The ETag and the `If-None-Match` needle: strong, from the bytes (a same-second edit keeps
     * the `jti`), never from claim text (a header with a control character throws).
     */
    readonly etag: string,
  ) {}

  /** The JWT's bytes, as a view of the slab. */
  get body(): Buffer {
    return this.slab.subarray(this.start, this.end)
  }
}

/** What the CLOCK cache keeps: anything with its own "recently read" bit. */
type Clocked = { used: boolean }

/**
 * A bounded cache with CLOCK ("second chance") eviction: a hit only sets a flag, so the hot
 * read path never reorders the map; eviction skips (and clears) flagged entries, oldest first.
 */
export class ClockCache<K, V extends Clocked> {
  readonly #entries = new Map<K, V>()
  readonly #capacity: number

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity)
  }

  get(key: K): V | undefined {
    const value = this.#entries.get(key)
    if (value !== undefined) value.used = true
    return value
  }

  set(key: K, value: V): void {
    // Make room first, so the entry being stored is never the one chosen.
    if (!this.#entries.delete(key) && this.#entries.size >= this.#capacity) this.#evictOne()
    value.used = false
    this.#entries.set(key, value)
  }

  #evictOne(): void {
    for (const [key, value] of this.#entries) {
      this.#entries.delete(key)
      if (!value.used) return
      // Recently read: a second chance at the young end.
      value.used = false
      this.#entries.set(key, value)
    }
  }

  delete(key: K): void {
    this.#entries.delete(key)
  }

  clear(): void {
    this.#entries.clear()
  }

  get size(): number {
    return this.#entries.size
  }
}

/** A store read in flight; a write that finishes meanwhile makes its result not worth caching. */
type Ticket = { pubkey: string; valid: boolean }

/** Served forms of accounts by public key, and the reads that will fill it. */
export class AccountCache {
  readonly #entries: ClockCache<string, CachedAccount>
  readonly #loads = new Map<string, { flight: Promise<CachedAccount | null>; ticket: Ticket }>()
  #sharedKey: (pubkey: string) => string | undefined = () => undefined

  constructor(capacity: number) {
    this.#entries = new ClockCache(capacity)
  }

  get(pubkey: string): CachedAccount | undefined {
    return this.#entries.get(pubkey)
  }

  /**
   * Where to find a string already held for a key (the account list's): entries are keyed by
   * it rather than by one more copy (~70 bytes per account).
   */
  shareKeys(sharedKey: (pubkey: string) => string | undefined): void {
    this.#sharedKey = sharedKey
  }

  /**
   * The cached form, or the result of `read` (cached unless a write came in meanwhile).
   * Concurrent misses for one key share a single read.
   */
  load(pubkey: string, read: () => Promise<StoredAccount | null>): Promise<CachedAccount | null> {
    const pending = this.#loads.get(pubkey)
    if (pending !== undefined) return pending.flight
    const ticket: Ticket = { pubkey, valid: true }
    const flight = this.#fill(read, ticket)
    this.#loads.set(pubkey, { flight, ticket })
    const settle = () => {
      if (this.#loads.get(pubkey)?.flight === flight) this.#loads.delete(pubkey)
    }
    flight.then(settle, settle)
    return flight
  }

  async #fill(read: () => Promise<StoredAccount | null>, ticket: Ticket): Promise<CachedAccount | null> {
    const account = await read()
    if (account === null) return null
    const cached = toCached(account)
    // A write that finished while this read was in flight has already cached a newer JWT.
    // Never keyed by the request's string: a slice of the request head, it would keep the head alive.
    if (ticket.valid) this.#entries.set(account.pubkey === ticket.pubkey ? (this.#sharedKey(account.pubkey) ?? account.pubkey) : ticket.pubkey, cached)
    return cached
  }

  /** Caches the JWT just stored, over any read still in flight for it. */
  remember(account: StoredAccount): void {
    const pending = this.#loads.get(account.pubkey)
    if (pending !== undefined) pending.ticket.valid = false
    this.#entries.set(account.pubkey, toCached(account))
  }

  /** Drops cached responses for these accounts (all of them for null). */
  forget(pubkeys: readonly string[] | null): void {
    for (const pending of this.#loads.values()) {
      if (pubkeys === null || pubkeys.includes(pending.ticket.pubkey)) pending.ticket.valid = false
    }
    if (pubkeys === null) this.#entries.clear()
    else for (const pubkey of pubkeys) this.#entries.delete(pubkey)
  }
}

/**
 * Cached bodies are copied into slabs of their own. From Node's shared Buffer pool, each body
 * kept alive the pool slab around it, full of short-lived buffers (a JWT decode's); see
 * docs/design-measurements.md.
 */
const SLAB_BYTES = 64 * 1024
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
let slabUsed = 0

/** Copies the JWT into the current slab (a new one when it is full). */
export function toCached(account: StoredAccount): CachedAccount {
  const { exp, jwt } = account
  const length = Buffer.byteLength(jwt)
  if (length > SLAB_BYTES / 4) {
    const own = Buffer.from(jwt)
    return new CachedAccount(exp, own, 0, length, etagOf(own))
  }
  if (slabUsed + length > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
    slabUsed = 0
  }
  const start = slabUsed
  slabUsed += slab.write(jwt, start)
  return new CachedAccount(exp, slab, start, slabUsed, etagOf(slab.subarray(start, slabUsed)))
}

/**
 * `"` + 22 base64url characters (128 bits) of the SHA-256 of the bytes + `"`. Quoted by
 * `JSON.stringify`, which makes one flat string; concatenation would keep three (a cached
 * account's ETag lives as long as the entry).
 */
export function etagOf(body: Uint8Array): string {
  return JSON.stringify(createHash('sha256').update(body).digest().subarray(0, 16).toString('base64url'))
}
