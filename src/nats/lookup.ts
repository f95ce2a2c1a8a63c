/**
 * The NATS fallback for a GET miss: a LOOKUP on the resolver subject, answered by nats-server
 * full resolvers that hold the account.
 * @module
 */
import type { Fallback } from '../accounts/ports.js'
import type { NatsLink } from './link.js'

const EMPTY = new Uint8Array(0)
/** A LOOKUP nobody answered is not asked again this soon (nats-server has no negative cache). */
const LOOKUP_MISS_TTL_MS = 2000

export class NatsLookup implements Fallback {
  readonly #link: NatsLink
  readonly #timeoutMs: number
  readonly #misses = new Map<string, number>()

  /** `timeoutMs` bounds each LOOKUP; 0 asks none. */
  constructor(link: NatsLink, timeoutMs: number) {
    this.#link = link
    this.#timeoutMs = timeoutMs
  }

  /** A LOOKUP for an account this store lacks: the first JWT a resolver returns, or null. */
  async lookup(pubkey: string): Promise<string | null> {
    const nc = this.#link.connection
    if (nc === null || this.#timeoutMs <= 0) return null
    const missedUntil = this.#misses.get(pubkey)
    if (missedUntil !== undefined && missedUntil > Date.now()) return null
    try {
      const replies = await nc.requestMany(`$SYS.REQ.ACCOUNT.${pubkey}.CLAIMS.LOOKUP`, EMPTY, {
        strategy: 'timer',
        maxWait: this.#timeoutMs,
      })
      for await (const reply of replies) {
        if (reply.data.length > 0) return reply.string()
      }
    } catch {
      // No responders or a timeout: a miss like any other.
    }
    if (this.#misses.size > 10_000) this.#misses.clear()
    this.#misses.set(pubkey, Date.now() + LOOKUP_MISS_TTL_MS)
    return null
  }
}
