/**
 * The KV store's local copy of its bucket: every key's newest record and its revision. Fed by
 * the bucket's watch and by this instance's own accepted writes; an update is applied only
 * when its revision is newer than the one held, so a late watch message never brings back an
 * older version.
 * @module
 */
import { createHash } from 'node:crypto'
import type { StoredAccount } from '../../jwt/types.js'
import type { KvRecord } from './kv-record.js'

export type MirrorEntry = KvRecord & {
  revision: number
  /** SHA-256 of the JWT, computed when the store hash first needs it. */
  digest?: Uint8Array
}

export class KvMirror {
  readonly #entries = new Map<string, MirrorEntry>()
  /** Keys whose value is not a record (written by another tool), by revision. */
  readonly #unreadable = new Map<string, number>()
  #live = 0

  /** The record held for a key (live or deleted), or undefined. */
  entry(pubkey: string): MirrorEntry | undefined {
    return this.#entries.get(pubkey)
  }

  /** The live account under a key, or null (none, or deleted). */
  account(pubkey: string): StoredAccount | null {
    const entry = this.#entries.get(pubkey)
    return entry === undefined || entry.deleted ? null : entry.account
  }

  get count(): number {
    return this.#live
  }

  get unreadable(): number {
    return this.#unreadable.size
  }

  /**
   * Applies the value a key has at `revision`: a record, null for a value that is not one, or
   * 'removed' for a KV delete or purge (another tool's; nats-accounts keeps tombstones).
   * @returns whether the mirror changed
   */
  apply(pubkey: string, revision: number, value: KvRecord | null | 'removed'): boolean {
    const held = this.#entries.get(pubkey)?.revision ?? this.#unreadable.get(pubkey) ?? 0
    if (revision <= held) return false
    this.#drop(pubkey)
    if (value === null) this.#unreadable.set(pubkey, revision)
    else if (value !== 'removed') {
      // One literal, with every field: a spread would give each entry a hidden class of its own.
      this.#entries.set(pubkey, { account: value.account, deleted: value.deleted, source: value.source, writer: value.writer, revision, digest: undefined })
      if (!value.deleted) this.#live++
    }
    return true
  }

  /** Forgets a key (gone from the bucket). @returns whether it was held */
  remove(pubkey: string): boolean {
    const held = this.#entries.has(pubkey) || this.#unreadable.has(pubkey)
    this.#drop(pubkey)
    return held
  }

  /** Every key held, unreadable ones included. */
  keys(): string[] {
    return [...this.#entries.keys(), ...this.#unreadable.keys()]
  }

  #drop(pubkey: string): void {
    const held = this.#entries.get(pubkey)
    if (held !== undefined && !held.deleted) this.#live--
    this.#entries.delete(pubkey)
    this.#unreadable.delete(pubkey)
  }

  /** Live accounts, in ascending key order. */
  *live(): Generator<StoredAccount> {
    for (const key of [...this.#entries.keys()].sort()) {
      const entry = this.#entries.get(key)
      if (entry !== undefined && !entry.deleted) yield entry.account
    }
  }

  /** Every entry with its revision (live and deleted), for the snapshot. */
  entries(): IterableIterator<[string, MirrorEntry]> {
    return this.#entries.entries()
  }

  /** SHA-256 digests of the live JWTs that have not expired at `nowSeconds`. */
  *digests(nowSeconds: number): Generator<Uint8Array> {
    for (const entry of this.#entries.values()) {
      if (entry.deleted) continue
      const { exp, jwt } = entry.account
      if (exp !== 0 && exp <= nowSeconds) continue
      entry.digest ??= createHash('sha256').update(jwt).digest()
      yield entry.digest
    }
  }
}
