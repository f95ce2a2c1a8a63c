/**
 * The directory store's write-ahead journal: each write is first put in place (temp file and
 * rename, no fsync, so nats-server reading the directory sees it at once), then its record is
 * appended here; records that arrive while one append runs share the next append and its one
 * fsync, which acknowledges them. Once a second, a checkpoint makes the files of a sealed
 * segment durable (one `syncfs`, or an fsync per file where the `sync` command is missing) and
 * removes the segment. At start-up, the records of segments left behind are replayed.
 *
 * A segment is `.nats-accounts-journal.<n>` in the store's root (nats-server reads `*.jwt`
 * only); a record is one line, `<pubkey> <jwt> <checksum>`. A torn tail (a killed append, a
 * power cut) fails its checksum or its newline and is ignored with everything after it.
 * @module
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import type { Logger } from '../../log/logger.js'
import { GroupSyncer } from './atomic-write.js'

const SEGMENT = /^\.nats-accounts-journal\.(\d+)$/
const ACCOUNT_KEY = /^A[A-Z2-7]{55}$/

export type JournalRecord = { pubkey: string; jwt: string }

const checksum = (pubkey: string, jwt: string) => createHash('sha256').update(`${pubkey} ${jwt}`).digest('hex').slice(0, 16)

/** One record as a segment holds it. */
export function formatRecord({ pubkey, jwt }: JournalRecord): string {
  return `${pubkey} ${jwt} ${checksum(pubkey, jwt)}\n`
}

export const segmentName = (number: number) => `.nats-accounts-journal.${number}`

/** The records of one segment's text, up to the first torn or damaged line. */
export function parseSegment(text: string): { records: JournalRecord[]; ignoredBytes: number } {
  const records: JournalRecord[] = []
  let offset = 0
  for (;;) {
    const end = text.indexOf('\n', offset)
    if (end === -1) break
    const [pubkey, jwt, sum, extra] = text.slice(offset, end).split(' ')
    if (extra !== undefined || jwt === undefined || !ACCOUNT_KEY.test(pubkey!) || sum !== checksum(pubkey!, jwt)) break
    records.push({ pubkey: pubkey!, jwt })
    offset = end + 1
  }
  return { records, ignoredBytes: text.length - offset }
}

/** `writing`: the append under way into it (one at a time), which a checkpoint waits for. */
export type JournalOptions = {
  logger?: Logger
  /** How long a segment takes records before a checkpoint. @default 1000 ms */
  checkpointMs?: number
}

type Segment = { number: number; handle: FileHandle; paths: Set<string>; writing: Promise<void> }
type Pending = { line: string; path: string; resolve: () => void; reject: (err: unknown) => void }

export class Journal {
  readonly #dir: string
  readonly #logger: Logger | undefined
  readonly #checkpointMs: number
  readonly #syncer = new GroupSyncer()
  #segment: Segment | null = null
  #nextNumber: number
  #queue: Pending[] = []
  #appending: Promise<void> | null = null
  #checkpointing: Promise<void> = Promise.resolve()
  #timer: ReturnType<typeof setTimeout> | null = null
  #syncCommandMissing = false

  private constructor(dir: string, nextNumber: number, options: JournalOptions) {
    this.#dir = dir
    this.#nextNumber = nextNumber
    this.#logger = options.logger
    this.#checkpointMs = options.checkpointMs ?? 1000
  }

  /**
   * Reads the segments a previous process left. `replay` gets the last record of each account,
   * in journal order, and must store each durably; the segments are removed after it.
   */
  static async open(dir: string, replay: (records: JournalRecord[]) => Promise<void>, options: JournalOptions = {}): Promise<Journal> {
    const { logger } = options
    const numbers = (await readdir(dir))
      .map((name) => SEGMENT.exec(name)?.[1])
      .filter((n) => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b)
    const latest = new Map<string, JournalRecord>()
    for (const number of numbers) {
      const path = join(dir, segmentName(number))
      const { records, ignoredBytes } = parseSegment(await readFile(path, 'latin1'))
      if (ignoredBytes > 0) logger?.warn({ path }, `ignored the last ${ignoredBytes} bytes of ${path}: a write interrupted before it was acknowledged`)
      for (const record of records) {
        latest.delete(record.pubkey)
        latest.set(record.pubkey, record)
      }
    }
    if (latest.size > 0) {
      await replay([...latest.values()])
      logger?.info(`replayed ${latest.size} journaled writes into ${dir}`)
    }
    for (const number of numbers) await unlink(join(dir, segmentName(number)))
    if (numbers.length > 0) await new GroupSyncer().sync(dir)
    return new Journal(dir, (numbers.at(-1) ?? 0) + 1, options)
  }

  /** Journals a write already put in place at `path`; resolves once the record is on disk. */
  append(record: JournalRecord, path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ line: formatRecord(record), path, resolve, reject })
      this.#appending ??= this.#drain()
    })
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue
      this.#queue = []
      let segment: Segment | null = null
      try {
        const into = (segment = this.#segment ??= await this.#newSegment())
        into.writing = (async () => {
          await into.handle.writeFile(batch.map((p) => p.line).join(''), 'latin1')
          await into.handle.datasync()
          for (const p of batch) into.paths.add(p.path)
        })()
        await into.writing
        for (const p of batch) p.resolve()
      } catch (err) {
        // A failed append may have left a torn line: later records go to a new segment, and
        // this one stays on disk (unsynced files included) for the next start-up's replay.
        if (segment !== null && this.#segment === segment) {
          this.#segment = null
          await segment.handle.close().catch(() => undefined)
        }
        for (const p of batch) p.reject(err)
      }
    }
    this.#appending = null
  }

  async #newSegment(): Promise<Segment> {
    const number = this.#nextNumber++
    const handle = await open(join(this.#dir, segmentName(number)), 'a', 0o600)
    // The segment must exist after a crash for its records to count.
    await this.#syncer.sync(this.#dir)
    this.#timer ??= setTimeout(() => {
      this.#timer = null
      void this.checkpoint().catch((err: unknown) =>
        this.#logger?.error(`journal checkpoint failed, its records stay for the next start-up: ${(err as Error).message}`),
      )
    }, this.#checkpointMs).unref()
    return { number, handle, paths: new Set(), writing: Promise.resolve() }
  }

  /**
   * Seals the current segment, makes the files it names durable and removes it. One at a time;
   * a failed one leaves its segment for the next start-up.
   */
  checkpoint(): Promise<void> {
    const run = this.#checkpointing.then(async () => {
      const sealed = this.#segment
      if (sealed === null) return
      // The next batch opens a new segment; the one under way finishes in this one.
      this.#segment = null
      await sealed.writing.catch(() => undefined)
      await sealed.handle.close()
      await this.#syncFiles(sealed.paths)
      await unlink(join(this.#dir, segmentName(sealed.number)))
    })
    this.#checkpointing = run.catch(() => undefined)
    return run
  }

  async #syncFiles(paths: Set<string>): Promise<void> {
    if (!this.#syncCommandMissing) {
      try {
        await promisify(execFile)('sync', ['-f', this.#dir])
        return
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
        this.#syncCommandMissing = true
        this.#logger?.warn('the sync command is missing: journal checkpoints fsync each file instead (slower)')
      }
    }
    for (const path of paths) {
      // Deleted since (its tombstone was synced before the rename).
      await this.#syncer.sync(path).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      })
    }
    for (const dir of new Set([...paths].map((path) => dirname(path)))) await this.#syncer.sync(dir)
    await this.#syncer.sync(this.#dir)
  }

  /** Waits for the appends under way, then checkpoints what they wrote. */
  async close(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    await this.#appending
    await this.checkpoint()
  }
}
