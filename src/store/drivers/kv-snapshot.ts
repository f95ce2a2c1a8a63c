/**
 * The KV store's optional local snapshot: its mirror of the bucket in a file, written
 * atomically from time to time and on close, loaded at start-up. An instance that cannot reach
 * the bucket when it starts serves the snapshot until it has caught up: the answer to a KV
 * cluster that is down, and to a cold start where the nats-servers that hold the bucket need
 * this server to resolve the bucket's own account first.
 * Format: a header line (JSON), then one line per key: `<pubkey> <revision> <record JSON>`.
 * @module
 */
import { mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { writeFileAtomic } from '../utils/atomic-write.js'
import type { Logger } from '../../log/logger.js'
import type { KvMirror, MirrorEntry } from './kv-mirror.js'
import { parseRecord, recordText, type KvRecord } from './kv-record.js'

export type SnapshotHeader = {
  bucket: string
  /** When the bucket's stream was created: a bucket made again has other revisions. */
  streamCreated: string
  /** When the snapshot was written, in milliseconds since the epoch. */
  writtenAt: number
}

export type Snapshot = SnapshotHeader & { entries: { pubkey: string; revision: number; record: KvRecord }[] }

const FORMAT = 1

/**
 * Reads a snapshot of `bucket`.
 * @returns null when there is none yet
 * @throws Error when the file is unreadable, is not a snapshot, or is another bucket's
 */
export async function readSnapshot(file: string, bucket: string): Promise<Snapshot | null> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  const lines = text.split('\n')
  const header = JSON.parse(lines[0] ?? '') as Partial<SnapshotHeader> & { snapshot?: number }
  if (header.snapshot !== FORMAT || typeof header.streamCreated !== 'string' || typeof header.writtenAt !== 'number') {
    throw new Error('not a nats-accounts KV snapshot')
  }
  if (header.bucket !== bucket) throw new Error(`it is a snapshot of bucket ${header.bucket}, not ${bucket}`)
  const entries: Snapshot['entries'] = []
  for (const line of lines.slice(1)) {
    if (line === '') continue
    const [pubkey, revision] = line.split(' ', 2)
    const record = parseRecord(pubkey!, line.slice(pubkey!.length + revision!.length + 2))
    if (record === null || !/^\d+$/.test(revision!)) throw new Error(`unreadable line for ${pubkey}`)
    entries.push({ pubkey: pubkey!, revision: Number(revision), record })
  }
  return { bucket, streamCreated: header.streamCreated, writtenAt: header.writtenAt, entries }
}

/** Replaces the snapshot file (temp file, fsync, rename: never torn). */
export async function writeSnapshot(file: string, header: SnapshotHeader, entries: Iterable<[string, MirrorEntry]>): Promise<void> {
  const lines = [JSON.stringify({ snapshot: FORMAT, ...header })]
  for (const [pubkey, entry] of entries) lines.push(`${pubkey} ${entry.revision} ${recordText(entry)}`)
  await mkdir(dirname(file), { recursive: true, mode: 0o700 })
  await writeFileAtomic(file, `${lines.join('\n')}\n`)
}

/** The snapshot of one store: what was loaded, and the writes (one at a time, when due). */
export class SnapshotFile {
  readonly #file: string
  readonly #bucket: string
  readonly #intervalMs: number
  readonly #logger: Logger | undefined
  /** The header of the snapshot loaded at start-up (null: none, or dropped). */
  loaded: SnapshotHeader | null = null
  /** The mirror changed since the last write. */
  dirty = false
  #writtenAt = 0
  #writing: Promise<void> = Promise.resolve()

  constructor(file: string, bucket: string, intervalMs: number, logger?: Logger) {
    this.#file = file
    this.#bucket = bucket
    this.#intervalMs = intervalMs
    this.#logger = logger
  }

  get file(): string {
    return this.#file
  }

  /** Loads the snapshot into the mirror; one that cannot be used is logged and ignored. */
  async load(mirror: KvMirror): Promise<void> {
    try {
      const snapshot = await readSnapshot(this.#file, this.#bucket)
      if (snapshot === null) return
      for (const { pubkey, revision, record } of snapshot.entries) mirror.apply(pubkey, revision, record)
      this.loaded = snapshot
    } catch (err) {
      this.#logger?.warn(`the KV snapshot ${this.#file} is not used: ${(err as Error).message}`)
    }
  }

  /** Writes the mirror when it changed and the last write is old enough (or `now`). */
  save(mirror: KvMirror, streamCreated: string, now: boolean): void {
    if (!this.dirty || (!now && Date.now() - this.#writtenAt < this.#intervalMs)) return
    this.dirty = false
    this.#writtenAt = Date.now()
    const header = { bucket: this.#bucket, streamCreated, writtenAt: this.#writtenAt }
    this.#writing = this.#writing
      .then(() => writeSnapshot(this.#file, header, mirror.entries()))
      .catch((err: unknown) => {
        this.dirty = true
        this.#logger?.error(`cannot write the KV snapshot ${this.#file}: ${(err as Error).message}`)
      })
  }

  /** Resolves once the writes started so far are done. */
  settled(): Promise<void> {
    return this.#writing
  }
}
