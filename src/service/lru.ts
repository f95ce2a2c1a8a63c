/**
 * A bounded cache with CLOCK ("second chance") eviction: a hit only sets a flag, so the hot
 * read path never reorders the map; eviction skips (and clears) flagged entries, oldest first.
 * @module
 */
type Slot<V> = { value: V; used: boolean }

export class Lru<K, V> {
  readonly #entries = new Map<K, Slot<V>>()
  readonly #capacity: number

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity)
  }

  get(key: K): V | undefined {
    const slot = this.#entries.get(key)
    if (slot === undefined) return undefined
    slot.used = true
    return slot.value
  }

  set(key: K, value: V): void {
    // Make room first, so the entry being stored is never the one chosen.
    if (!this.#entries.delete(key) && this.#entries.size >= this.#capacity) this.#evictOne()
    this.#entries.set(key, { value, used: false })
  }

  #evictOne(): void {
    for (const [key, slot] of this.#entries) {
      this.#entries.delete(key)
      if (!slot.used) return
      // Recently read: a second chance at the young end.
      slot.used = false
      this.#entries.set(key, slot)
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
