/**
 * Directory store, byte-compatible with nats-server's resolver directory and the Go
 * nats-account-server: `<dir>/<pubkey>.jwt`, or `<dir>/<last 2 chars>/<pubkey>.jwt` when
 * sharded; files hold the JWT alone, mode 0600, directories 0700.
 * @module
 */
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { StoreError } from '../../errors.js'
import { readStoredMeta, storedAccount } from '../../jwt/decode.js'
import type { Logger } from '../../log/logger.js'
import { KeyLock } from '../utils/key-lock.js'
import { GroupSyncer, isTempFileFor, replaceFileSync, writeFileAtomic } from '../utils/atomic-write.js'
import { Journal, type JournalRecord } from '../utils/journal.js'
import { putNewestWins, xorInto, type PutIo } from '../utils/newest-wins.js'
import type { StoredAccount } from '../../jwt/types.js'
import type { JwtStore } from '../types.js'

export const DRIVER_NAME = 'directory'

export type DirectoryStoreOptions = {
  /** Root directory; created (0700) when missing. */
  dir: string
  /**
   * Two-character shard directories named after the last two characters of the key.
   * @default false
   */
  shard?: boolean
  /** Where file paths go: errors name accounts, never paths (they reach HTTP answers). */
  logger?: Logger
  /**
   * Removes the temp files a killed writer left (`.<pubkey>.jwt.<hex>.tmp`). Only the one
   * writing process may do it: another one's in-flight temp files look the same.
   * @default false
   */
  sweepTempFiles?: boolean
  /**
   * Acknowledges writes with a write-ahead journal (one fsync per batch of concurrent writes)
   * instead of an fsync per file, and replays the journal a killed writer left. Only the one
   * writing process may do it.
   * @default false
   */
  journal?: boolean
  /**
   * How long a journal segment takes writes before a checkpoint makes their files durable and
   * removes it.
   * @default 1000 ms
   */
  journalCheckpointMs?: number
}

type Digest = { sha256: Buffer; exp: number }

const JWT_FILE = /^(A[A-Z2-7]{55})\.jwt$/
const SHARD_DIR = /^[A-Z2-7]{2}$/

/** JWT files an existing store directory holds in each layout (none for a missing one). */
export async function countLayouts(dir: string): Promise<{ flat: number; sharded: number }> {
  const counts = { flat: 0, sharded: 0 }
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch {
    return counts
  }
  for (const entry of entries) {
    if (entry.isFile() && JWT_FILE.test(entry.name)) counts.flat++
    else if (entry.isDirectory() && SHARD_DIR.test(entry.name)) {
      counts.sharded += (await readdir(join(dir, entry.name)).catch(() => [])).filter((name) => JWT_FILE.test(name)).length
    }
  }
  return counts
}

/**
 * Writes and removes a file in the store directory, so that a store the server cannot write
 * fails start-up instead of every later POST.
 * @throws StoreError naming the directory and the fix
 */
export async function probeWritable(dir: string): Promise<void> {
  const probe = join(dir, `.write-test-${process.pid}`)
  try {
    await writeFile(probe, '', { mode: 0o600 })
    await unlink(probe)
  } catch (err) {
    throw new StoreError(DRIVER_NAME, 'write', `store directory ${dir} is not writable: ${message(err)}; ${WRITE_FIX}`, { cause: err })
  }
}

const WRITE_FIX = "give the server's user write access to it (owner and mode of the folder, a read-write volume), or choose another -dir"

export async function directoryStore(options: DirectoryStoreOptions): Promise<JwtStore> {
  const { dir, logger } = options
  const shard = options.shard ?? false
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw new StoreError(DRIVER_NAME, 'write', `cannot create store directory ${dir}: ${message(err)}; ${WRITE_FIX}`, {
      cause: err,
    })
  }
  if (options.sweepTempFiles) await sweepTempFiles(dir, shard, logger)
  const locks = new KeyLock()
  const syncer = new GroupSyncer()
  const shardsMade = new Set<string>()
  /**
   * SHA-256 and exp of every file, read on the first `hash()` (nats-server indexes at start).
   * Puts update it from the moment the build starts, and the build never overwrites them.
   */
  let digests: Map<string, Digest> | null = null
  let indexing: Promise<Map<string, Digest>> | null = null
  const digestIndex = () =>
    (indexing ??= (async () => {
      const index = new Map<string, Digest>()
      digests = index
      for (const pubkey of await keys()) {
        if (index.has(pubkey)) continue
        const account = await load(pubkey, pathOf(pubkey), true)
        if (account !== null && !index.has(pubkey)) index.set(pubkey, digestOf(account))
      }
      return index
    })())
  const digestOf = (account: StoredAccount) => ({
    sha256: createHash('sha256').update(account.jwt).digest(),
    exp: account.exp,
  })

  const pathOf = (pubkey: string) =>
    shard ? join(dir, pubkey.slice(-2), `${pubkey}.jwt`) : join(dir, `${pubkey}.jwt`)

  /** Live accounts whose file holds no JWT: served, listed and hashed as absent. */
  const unreadable = new Set<string>()
  /** Paths already logged as unreadable, so a scan logs each once. */
  const reported = new Set<string>()

  /** The failure logged with its path; the error names the account only. */
  const failure = (op: 'read' | 'write', verb: string, pubkey: string, path: string, err: unknown) => {
    logger?.error({ account: pubkey, path }, `cannot ${verb} ${path}: ${message(err)}`)
    return new StoreError(DRIVER_NAME, op, `cannot ${verb} the JWT of account ${pubkey}: ${osReason(err)}`, { cause: err })
  }

  const markUnreadable = (pubkey: string, path: string, live: boolean, reason: string) => {
    if (live) unreadable.add(pubkey)
    if (reported.has(path)) return
    reported.add(path)
    logger?.error({ account: pubkey, path }, `${path} holds no usable JWT, treated as absent until a valid JWT replaces it: ${reason}`)
  }

  const markReadable = (pubkey: string, path: string) => {
    unreadable.delete(pubkey)
    reported.delete(path)
  }

  /**
   * A JWT file, or null when missing or not holding a JWT (logged once, counted); `path`
   * defaults to the account's live file. With `skipFailures`, a file the OS cannot read is
   * skipped the same way (scans), otherwise it fails the call.
   */
  async function load(pubkey: string, path = pathOf(pubkey), skipFailures = false): Promise<StoredAccount | null> {
    const live = path === pathOf(pubkey)
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        if (live) markReadable(pubkey, path)
        return null
      }
      if (!skipFailures) throw failure('read', 'read', pubkey, path, err)
      markUnreadable(pubkey, path, live, message(err))
      return null
    }
    try {
      const jwt = text.trim()
      const account = storedAccount(readStoredMeta(jwt), jwt, pubkey)
      if (live) markReadable(pubkey, path)
      return account
    } catch (err) {
      markUnreadable(pubkey, path, live, message(err))
      return null
    }
  }

  /** Durable on its own (fsyncs) without a journal or while the journal replays, else journaled. */
  async function write(account: StoredAccount): Promise<void> {
    const path = pathOf(account.pubkey)
    try {
      if (shard) {
        const shardDir = join(dir, account.pubkey.slice(-2))
        if (!shardsMade.has(shardDir)) {
          await mkdir(shardDir, { recursive: true, mode: 0o700 })
          shardsMade.add(shardDir)
        }
      }
      if (journal === null) {
        await writeFileAtomic(path, account.jwt, { syncer })
      } else {
        // In place before it is acknowledged: nats-server reading the directory sees it.
        replaceFileSync(path, account.jwt)
        await journal.append(account, path)
      }
    } catch (err) {
      throw failure('write', 'write', account.pubkey, path, err)
    }
    markReadable(account.pubkey, path)
  }

  async function keys(): Promise<string[]> {
    const found: string[] = []
    const collect = async (folder: string) => {
      for (const name of await readdir(folder)) {
        const match = JWT_FILE.exec(name)
        if (match) found.push(match[1]!)
      }
    }
    try {
      if (shard) {
        for (const entry of await readdir(dir, { withFileTypes: true })) {
          if (entry.isDirectory() && SHARD_DIR.test(entry.name)) await collect(join(dir, entry.name))
        }
      } else {
        await collect(dir)
      }
    } catch (err) {
      logger?.error({ path: dir }, `cannot list ${dir}: ${message(err)}`)
      throw new StoreError(DRIVER_NAME, 'read', `cannot list the store directory: ${osReason(err)}`, { cause: err })
    }
    return found.sort()
  }

  const io: PutIo = {
    current: (pubkey) => load(pubkey),
    tombstone: (pubkey) => load(pubkey, `${pathOf(pubkey)}.deleted`),
    async write(account) {
      await write(account)
      digests?.set(account.pubkey, digestOf(account))
    },
  }

  /** Puts back what a killed writer journaled (the last write of each account), durably. */
  const replay = async (records: JournalRecord[]) => {
    for (const { pubkey, jwt } of records) {
      let account: StoredAccount
      try {
        account = storedAccount(readStoredMeta(jwt), jwt, pubkey)
      } catch (err) {
        logger?.error({ account: pubkey }, `ignoring a journaled JWT that does not decode: ${message(err)}`)
        continue
      }
      await putNewestWins(io, account, { kind: 'import', detail: 'journal replay' })
    }
  }
  let journal: Journal | null = null
  if (options.journal) {
    try {
      journal = await Journal.open(dir, replay, { logger, checkpointMs: options.journalCheckpointMs })
    } catch (err) {
      throw new StoreError(DRIVER_NAME, 'write', `cannot replay the journal in ${dir}: ${message(err)}; ${WRITE_FIX}`, { cause: err })
    }
  }

  return {
    name: DRIVER_NAME,
    get: load,
    async *list() {
      for (const pubkey of await keys()) {
        const account = await load(pubkey, pathOf(pubkey), true)
        if (account !== null) yield account
      }
    },
    async count() {
      return (await keys()).filter((pubkey) => !unreadable.has(pubkey)).length
    },
    unreadableEntries: () => unreadable.size,
    async hash(nowSeconds) {
      const hash = new Uint8Array(32)
      for (const { sha256, exp } of (await digestIndex()).values()) {
        if (exp === 0 || exp > nowSeconds) xorInto(hash, sha256)
      }
      return hash
    },
    // nats-server's tombstone: the deleted JWT, renamed to <pubkey>.jwt.deleted.
    deleted: async (pubkey) => ((await load(pubkey)) === null ? load(pubkey, `${pathOf(pubkey)}.deleted`) : null),
    put: (account, source) => locks.run(account.pubkey, () => putNewestWins(io, account, source)),
    delete(pubkey) {
      return locks.run(pubkey, async () => {
        const current = await load(pubkey)
        if (current === null) return null
        const path = pathOf(pubkey)
        try {
          // A journaled file may not be on disk yet: the tombstone must be, or a replay revives it.
          if (journal !== null) await syncer.sync(path)
          await rename(path, `${path}.deleted`)
          await syncer.sync(dirname(path))
        } catch (err) {
          throw failure('write', 'delete', pubkey, path, err)
        }
        digests?.delete(pubkey)
        return current
      })
    },
    async close() {
      await locks.idle()
      await journal?.close()
    },
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** An OS error without the path Node appends to its message ("EISDIR: illegal operation on a directory"). */
function osReason(err: unknown): string {
  const text = message(err)
  const { code } = err as NodeJS.ErrnoException
  if (typeof code !== 'string') return text
  const comma = text.indexOf(', ')
  return text.startsWith(`${code}: `) && comma !== -1 ? text.slice(0, comma) : code
}

/** Removes what writers killed mid-write left: our own temp-file names only, real JWTs stay. */
async function sweepTempFiles(dir: string, shard: boolean, logger: Logger | undefined): Promise<void> {
  const folders = [dir]
  let removed = 0
  try {
    if (shard) {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (entry.isDirectory() && SHARD_DIR.test(entry.name)) folders.push(join(dir, entry.name))
      }
    }
    for (const folder of folders) {
      for (const name of await readdir(folder)) {
        if (!isTempFileFor(name, JWT_FILE)) continue
        await rm(join(folder, name), { force: true })
        removed++
      }
    }
  } catch (err) {
    throw new StoreError(DRIVER_NAME, 'write', `cannot remove the temp files left in ${dir}: ${message(err)}`, { cause: err })
  }
  if (removed > 0) logger?.info(`removed ${removed} temp files left by an interrupted write in ${dir}`)
}

/**
 * Whether an existing store directory uses the sharded layout (it has two-character shard
 * folders); false for a missing or flat one.
 */
export async function isShardedLayout(dir: string): Promise<boolean> {
  try {
    const entries = await readdir(dir, { withFileTypes: true })
    return entries.some((entry) => entry.isDirectory() && SHARD_DIR.test(entry.name))
  } catch {
    return false
  }
}
