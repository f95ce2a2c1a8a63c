/**
 * One pass over the fleet: a STATSZ ping finds the servers, each server in turn lists what it
 * holds, then each (server, account) pair not known to be in sync is asked which JWT it applied
 * (`$SYS.REQ.SERVER.<id>.ACCOUNTZ`), paced by a request budget and a bound on requests in
 * flight, page by page so the store is read in slices. A pair found in sync is not asked again
 * while the stored version stays the same, until `recheckMs` has passed; an account that is
 * not stored is not asked about (there is nothing to compare).
 * @module
 */
import type { NatsConnection } from '@nats-io/transport-node'
import type { StoreReader } from '../accounts/ports.js'
import { accountsHeld, appliedVersion, pingServers, type Applied } from './requests.js'
import { FleetSnapshot, type AccountEntry } from './snapshot.js'

export type ScanOptions = {
  /** Per-account requests per second, at most. @default 100 */
  ratePerSecond: number
  /** Per-account requests in flight, at most. @default 8 */
  concurrency: number
  /** Bound of each request and of each gathering. @default 2000 ms */
  timeoutMs: number
  /** The census ends this long after the last server answered. @default 300 ms */
  stallMs: number
  /** Accounts read from the store and asked about per page. @default 500 */
  pageSize: number
  /** A pair found in sync is asked again after this long. @default 1 h */
  recheckMs: number
}

export const DEFAULT_SCAN_OPTIONS: ScanOptions = {
  ratePerSecond: 100,
  concurrency: 8,
  timeoutMs: 2000,
  stallMs: 300,
  pageSize: 500,
  recheckMs: 3_600_000,
}

/** What one pass did. */
export type ScanResult = {
  servers: number
  accountsInUse: number
  /** Requests sent: one list per server, then one per (server, account) pair asked (the STATSZ ping is one more). */
  requests: number
  /** Requests that got no answer in time (the pair keeps what was known of it). */
  unanswered: number
  drifted: number
  ms: number
}

/** Spaces requests by the budget and bounds how many are in flight. */
class Pacer {
  readonly #gapMs: number
  readonly #concurrency: number
  #next = 0
  #active = 0
  readonly #queue: (() => void)[] = []

  constructor(ratePerSecond: number, concurrency: number) {
    this.#gapMs = 1000 / Math.max(ratePerSecond, 1)
    this.#concurrency = Math.max(concurrency, 1)
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#concurrency) await new Promise<void>((resolve) => this.#queue.push(resolve))
    this.#active++
    try {
      const now = performance.now()
      const at = Math.max(now, this.#next)
      this.#next = at + this.#gapMs
      if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now))
      return await task()
    } finally {
      this.#active--
      this.#queue.shift()?.()
    }
  }
}

export class FleetScanner {
  readonly snapshot: FleetSnapshot
  readonly #store: Pick<StoreReader, 'get'>
  readonly #options: ScanOptions
  readonly #pacer: Pacer

  constructor(store: Pick<StoreReader, 'get'>, options: Partial<ScanOptions> = {}, snapshot = new FleetSnapshot()) {
    this.snapshot = snapshot
    this.#store = store
    this.#options = { ...DEFAULT_SCAN_OPTIONS, ...options }
    this.#pacer = new Pacer(this.#options.ratePerSecond, this.#options.concurrency)
  }

  async scan(nc: NatsConnection): Promise<ScanResult> {
    const started = performance.now()
    const { timeoutMs, stallMs, pageSize, recheckMs } = this.#options
    const servers = await pingServers(nc, timeoutMs, stallMs)
    this.snapshot.replaceServers(servers)
    const tally = { requests: 0, unanswered: 0 }
    const holders = new Map<string, string[]>()
    for (const { id } of servers) {
      const held = await this.#pacer.run(() => accountsHeld(nc, id, timeoutMs)).catch(() => null)
      tally.requests++
      if (held === null) {
        // Its accounts are not known this time: keep what was known of them.
        tally.unanswered++
        for (const key of this.snapshot.heldBy(id)) holders.set(key, [...(holders.get(key) ?? []), id])
        continue
      }
      for (const key of held) {
        const list = holders.get(key)
        if (list === undefined) holders.set(key, [id])
        else list.push(id)
      }
    }
    const keys = [...holders.keys()].sort()
    for (let page = 0; page < keys.length; page += pageSize) {
      const checks: Promise<void>[] = []
      for (const key of keys.slice(page, page + pageSize)) {
        const stored = await this.#stored(key)
        const previous = this.snapshot.entry(key)
        const fresh = previous !== undefined && sameVersion(previous.stored, stored) && Date.now() - previous.checkedAt < recheckMs
        const ask = stored === null ? [] : holders.get(key)!.filter((id) => !(fresh && previous.current.includes(id)))
        checks.push(this.#compare(nc, key, stored, holders.get(key)!, ask, fresh ? previous.checkedAt : Date.now(), tally))
      }
      await Promise.all(checks)
    }
    this.snapshot.retain(new Set(keys))
    return {
      servers: servers.length,
      accountsInUse: keys.length,
      ...tally,
      drifted: this.snapshot.driftedCount,
      ms: Math.round(performance.now() - started),
    }
  }

  /** Asks every server known to hold `pubkey` again (after a notification). */
  async recheck(nc: NatsConnection, pubkey: string): Promise<void> {
    const holders = this.snapshot.holders(pubkey)
    if (holders.length === 0) return
    await this.#compare(nc, pubkey, await this.#stored(pubkey), holders, holders, Date.now(), { requests: 0, unanswered: 0 })
  }

  async #stored(pubkey: string): Promise<Applied | null> {
    const stored = await this.#store.get(pubkey)
    return stored && { jti: stored.jti, iat: stored.iat }
  }

  async #compare(
    nc: NatsConnection,
    pubkey: string,
    stored: Applied | null,
    holders: string[],
    ask: string[],
    checkedAt: number,
    tally: { requests: number; unanswered: number },
  ): Promise<void> {
    const previous = this.snapshot.entry(pubkey)
    const entry: AccountEntry = { stored, current: holders.filter((id) => !ask.includes(id)), other: null, checkedAt }
    const answers = await Promise.all(
      ask.map((id) =>
        this.#pacer.run(() => appliedVersion(nc, id, pubkey, this.#options.timeoutMs)).then(
          (applied) => ({ id, applied, answered: true }),
          () => ({ id, applied: known(previous, id), answered: false }),
        ),
      ),
    )
    tally.requests += ask.length
    for (const { id, applied, answered } of answers) {
      if (!answered) tally.unanswered++
      if (applied === null) continue
      if (stored !== null && applied.jti === stored.jti) entry.current.push(id)
      else (entry.other ??= new Map()).set(id, applied)
    }
    // A re-check that ended meanwhile knows better than this (older) look.
    if (this.snapshot.entry(pubkey) === previous) this.snapshot.record(pubkey, entry)
  }
}

/** What was known of a server's version before (for a server that did not answer this time). */
function known(entry: AccountEntry | undefined, id: string): Applied | null {
  if (entry === undefined) return null
  return entry.other?.get(id) ?? (entry.current.includes(id) ? entry.stored : null)
}

function sameVersion(a: Applied | null, b: Applied | null): boolean {
  return a?.jti === b?.jti
}

/**
 * One scan with a connection of a system-account user, e.g. for `nats-accounts check`:
 * the servers, what they run and the drift, compared with `store`.
 */
export async function scanFleet(
  nc: NatsConnection,
  store: Pick<StoreReader, 'get'>,
  options: Partial<ScanOptions> = {},
): Promise<{ view: FleetSnapshot; result: ScanResult }> {
  const scanner = new FleetScanner(store, options)
  const result = await scanner.scan(nc)
  return { view: scanner.snapshot, result }
}
