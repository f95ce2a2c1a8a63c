/**
 * At most one event per key per interval, for requests anyone may make that cost the server
 * work elsewhere (an anonymous `?notify=true` sends NATS messages to every nats-server).
 * @module
 */

export class PerKeyRateLimit {
  readonly #intervalMs: number
  readonly #maxKeys: number
  readonly #now: () => number
  /** Key → when it was last allowed, least recently allowed first. */
  readonly #last = new Map<string, number>()

  /** `maxKeys` bounds the memory: past it, the key allowed longest ago is forgotten. */
  constructor(intervalMs: number, options: { maxKeys?: number; now?: () => number } = {}) {
    this.#intervalMs = intervalMs
    this.#maxKeys = options.maxKeys ?? 10_000
    this.#now = options.now ?? (() => performance.now())
  }

  /** True, and counts the event, when `key` was not allowed within the interval. */
  allow(key: string): boolean {
    const now = this.#now()
    const last = this.#last.get(key)
    if (last !== undefined && now - last < this.#intervalMs) return false
    this.#last.delete(key)
    this.#last.set(key, now)
    if (this.#last.size > this.#maxKeys) this.#last.delete(this.#last.keys().next().value!)
    return true
  }
}
