/**
 * SQLite store (the embedded default): every accepted version is kept in `history`; `accounts`
 * points at the current one. WAL mode: a put resolves once its transaction is on disk. The
 * newest-wins decision runs inside a `BEGIN IMMEDIATE` transaction, so writers in other processes
 * can never make it store an older JWT.
 * @module
 */
import { createHash } from 'node:crypto'
import { chmodSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { StoreError } from '../../errors.js'
import type { StoredAccount } from '../../jwt/types.js'
import type { ChangeListener, HistoryEntry, JwtStore, PutResult, PutSource } from '../types.js'
import { decidePut, putResult, xorInto } from '../utils/newest-wins.js'

export const DRIVER_NAME = 'sqlite'

export type SqliteStoreOptions = {
  /** Database file; its folder is created when missing. */
  file: string
  /**
   * How often `watch` looks for commits by other processes.
   * @default 1000 ms
   */
  watchIntervalMs?: number
}

const SCHEMA_VERSION = 2
/** Error codes (SQLite's, the file system's) of a store the server's user cannot write. */
const NOT_WRITABLE = /^(SQLITE_READONLY|SQLITE_CANTOPEN|SQLITE_PERM|EACCES|EPERM|EROFS)/
const LIST_PAGE = 500

/** Each entry takes the schema from the previous version to the next. */
const MIGRATIONS = [
  `
CREATE TABLE history (
  id INTEGER PRIMARY KEY,
  pubkey TEXT NOT NULL,
  jti TEXT NOT NULL,
  iat INTEGER NOT NULL,
  exp INTEGER NOT NULL,
  issuer TEXT NOT NULL,
  name TEXT NOT NULL,
  jwt TEXT NOT NULL,
  sha256 BLOB NOT NULL,
  received_at INTEGER NOT NULL,
  source TEXT NOT NULL,
  source_detail TEXT NOT NULL
);
CREATE INDEX history_by_account ON history (pubkey, jti);
CREATE TABLE accounts (
  pubkey TEXT PRIMARY KEY,
  history_id INTEGER NOT NULL REFERENCES history (id)
) WITHOUT ROWID;
`,
  `
ALTER TABLE history ADD COLUMN event TEXT NOT NULL DEFAULT 'accepted';
ALTER TABLE history ADD COLUMN notification TEXT NOT NULL DEFAULT '';
CREATE TABLE tombstones (
  pubkey TEXT PRIMARY KEY,
  history_id INTEGER NOT NULL REFERENCES history (id)
) WITHOUT ROWID;
`,
]

/** Selects exactly the columns of a StoredAccount, so rows are used as they come. */
const CURRENT = `SELECT h.pubkey, h.jti, h.iat, h.exp, h.issuer, h.name, h.jwt
  FROM accounts a JOIN history h ON h.id = a.history_id`

export async function sqliteStore(options: SqliteStoreOptions): Promise<JwtStore> {
  const { file } = options
  let db: Database.Database
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
    db = new Database(file)
    // As the directory store's files: readable by the server's user only (WAL files follow).
    if (file !== ':memory:') chmodSync(file, 0o600)
    db.pragma('journal_mode = WAL')
    // A commit returns once its log is on disk. Syncing the log on the thread pool instead
    // (synchronous=NORMAL + an fsync of the WAL) was slower: docs/design-measurements.md.
    db.pragma('synchronous = FULL')
    db.pragma('busy_timeout = 10000')
    db.pragma('foreign_keys = ON')
    migrate(db)
  } catch (err) {
    const denied = NOT_WRITABLE.test((err as { code?: string }).code ?? '')
    throw new StoreError(
      DRIVER_NAME,
      'write',
      denied
        ? `cannot open ${file} for writing: ${(err as Error).message}; give the server's user write access to the file and its folder (owner and mode, a read-write volume), or choose another --sqlite file`
        : `cannot open ${file}: ${(err as Error).message}`,
      { cause: err },
    )
  }

  const selectCurrent = db.prepare<[string], StoredAccount>(`${CURRENT} WHERE a.pubkey = ?`)
  const selectPage = db.prepare<[string, number], StoredAccount>(`${CURRENT} WHERE a.pubkey > ? ORDER BY a.pubkey LIMIT ?`)
  const countAccounts = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM accounts')
  const selectDigests = db.prepare<[number], { sha256: Buffer }>(
    'SELECT h.sha256 FROM accounts a JOIN history h ON h.id = a.history_id WHERE h.exp = 0 OR h.exp > ?',
  )
  const insertHistory = db.prepare(
    `INSERT INTO history (pubkey, jti, iat, exp, issuer, name, jwt, sha256, received_at, source, source_detail, event)
     VALUES (@pubkey, @jti, @iat, @exp, @issuer, @name, @jwt, @sha256, @receivedAt, @source, @sourceDetail, @event)`,
  )
  const selectTombstone = db.prepare<[string], StoredAccount>(
    `SELECT h.pubkey, h.jti, h.iat, h.exp, h.issuer, h.name, h.jwt
     FROM tombstones t JOIN history h ON h.id = t.history_id WHERE t.pubkey = ?`,
  )
  const deleteCurrent = db.prepare('DELETE FROM accounts WHERE pubkey = ?')
  const upsertTombstone = db.prepare(
    `INSERT INTO tombstones (pubkey, history_id) VALUES (?, ?)
     ON CONFLICT (pubkey) DO UPDATE SET history_id = excluded.history_id`,
  )
  const updateNotification = db.prepare(
    `UPDATE history SET notification = ? WHERE id = (
       SELECT max(id) FROM history WHERE pubkey = ? AND jti = ? AND event = 'accepted')`,
  )
  const upsertCurrent = db.prepare(
    `INSERT INTO accounts (pubkey, history_id) VALUES (?, ?)
     ON CONFLICT (pubkey) DO UPDATE SET history_id = excluded.history_id`,
  )
  const selectHistory = db.prepare<[string], HistoryRow>(
    `SELECT event, jti, iat, exp, issuer, received_at, source, source_detail, notification FROM history
     WHERE pubkey = ? ORDER BY id DESC`,
  )
  const selectVersion = db.prepare<[string, string], StoredAccount>(
    `SELECT pubkey, jti, iat, exp, issuer, name, jwt FROM history
     WHERE pubkey = ? AND jti = ? AND event = 'accepted' ORDER BY id DESC LIMIT 1`,
  )
  const selectChangedSince = db.prepare<[number], { id: number; pubkey: string; source: PutSource['kind'] }>(
    'SELECT id, pubkey, source FROM history WHERE id > ? ORDER BY id',
  )
  const selectLastId = db.prepare<[], { id: number | null }>('SELECT max(id) AS id FROM history')

  const watchers = new Set<ReturnType<typeof setInterval>>()
  /** History ids this connection wrote: `watch` reports only other processes' changes. */
  const ownIds = new Set<number>()
  const record = (account: StoredAccount, source: PutSource, event: 'accepted' | 'deleted') => {
    const id = Number(
      insertHistory.run({
        ...account,
        sha256: createHash('sha256').update(account.jwt).digest(),
        receivedAt: Date.now(),
        source: source.kind,
        sourceDetail: source.detail ?? '',
        event,
      }).lastInsertRowid,
    )
    if (watchers.size > 0) ownIds.add(id)
    return id
  }

  const putOne = (account: StoredAccount, source: PutSource): PutResult => {
    const previous = selectCurrent.get(account.pubkey) ?? null
    const tombstone = previous === null ? (selectTombstone.get(account.pubkey) ?? null) : null
    const outcome = decidePut(previous, account, tombstone, source)
    if (outcome === 'stored') upsertCurrent.run(account.pubkey, record(account, source, 'accepted'))
    return putResult(outcome, account, previous, tombstone)
  }
  const putBatch = db.transaction((batch: QueuedPut[]) => batch.map((p) => putOne(p.account, p.source)))

  /**
   * Group commit: puts that arrive while the event loop is busy (a commit's fsync included)
   * share one transaction and one fsync. Each decision still sees the ones before it; nothing
   * resolves before its commit is on disk.
   */
  let queue: QueuedPut[] = []
  const flush = () => {
    const batch = queue
    queue = []
    try {
      const results = putBatch.immediate(batch)
      batch.forEach((p, i) => p.resolve(results[i]!))
    } catch (err) {
      const failure = new StoreError(DRIVER_NAME, 'write', `cannot store: ${(err as Error).message}`, { cause: err })
      for (const p of batch) p.reject(failure)
    }
  }

  const deleteTransaction = db.transaction((pubkey: string, source: PutSource): StoredAccount | null => {
    const current = selectCurrent.get(pubkey) ?? null
    if (current === null) return null
    deleteCurrent.run(pubkey)
    upsertTombstone.run(pubkey, record(current, source, 'deleted'))
    return current
  })

  const read = <T>(what: string, fn: () => T): T => {
    try {
      return fn()
    } catch (err) {
      throw new StoreError(DRIVER_NAME, 'read', `cannot read ${what}: ${(err as Error).message}`, { cause: err })
    }
  }
  const write = async <T>(what: string, fn: () => T | Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (err) {
      throw new StoreError(DRIVER_NAME, 'write', `cannot ${what}: ${(err as Error).message}`, { cause: err })
    }
  }

  return {
    name: DRIVER_NAME,
    async get(pubkey) {
      return read(pubkey, () => selectCurrent.get(pubkey)) ?? null
    },
    // Pages by key so no statement stays open between yields (a put may run meanwhile).
    async *list() {
      let after = ''
      for (;;) {
        const rows = read('the account list', () => selectPage.all(after, LIST_PAGE))
        yield* rows
        if (rows.length < LIST_PAGE) return
        after = rows[rows.length - 1]!.pubkey
      }
    },
    async count() {
      return read('the account count', () => countAccounts.get()!.n)
    },
    async hash(nowSeconds) {
      const hash = new Uint8Array(32)
      for (const { sha256 } of read('the store hash', () => selectDigests.iterate(nowSeconds))) {
        xorInto(hash, sha256)
      }
      return hash
    },
    async deleted(pubkey) {
      return read(pubkey, () => (selectCurrent.get(pubkey) ? null : (selectTombstone.get(pubkey) ?? null)))
    },
    put(account, source) {
      return new Promise<PutResult>((resolve, reject) => {
        if (queue.push({ account, source, resolve, reject }) === 1) setImmediate(flush)
      })
    },
    async delete(pubkey, source) {
      return write(`delete ${pubkey}`, () => deleteTransaction.immediate(pubkey, source))
    },
    async recordNotification(pubkey, jti, outcome) {
      await write(`record the notification of ${pubkey}`, () => updateNotification.run(outcome, pubkey, jti))
    },
    async history(pubkey) {
      return read(`the history of ${pubkey}`, () => selectHistory.all(pubkey)).map(toHistoryEntry)
    },
    async version(pubkey, jti) {
      return read(`version ${jti} of ${pubkey}`, () => selectVersion.get(pubkey, jti)) ?? null
    },
    // `data_version` changes only when another connection commits; the history ids since the
    // last look name the accounts it touched.
    watch(listener: ChangeListener) {
      let dataVersion = db.pragma('data_version', { simple: true })
      let lastId = selectLastId.get()!.id ?? 0
      const timer = setInterval(() => {
        try {
          const now = db.pragma('data_version', { simple: true })
          if (now === dataVersion) return
          dataVersion = now
          const changed = selectChangedSince.all(lastId)
          if (changed.length === 0) return
          lastId = changed[changed.length - 1]!.id
          const theirs = changed.filter((c) => !ownIds.delete(c.id))
          for (const id of ownIds) if (id <= lastId) ownIds.delete(id)
          if (theirs.length > 0) listener(theirs.map(({ pubkey, source }) => ({ pubkey, source })))
        } catch {
          listener(null)
        }
      }, options.watchIntervalMs ?? 1000)
      timer.unref()
      watchers.add(timer)
      return () => {
        clearInterval(timer)
        watchers.delete(timer)
      }
    },
    async close() {
      if (queue.length > 0) flush()
      for (const timer of watchers) clearInterval(timer)
      watchers.clear()
      if (db.open) db.close()
    },
  }
}

type QueuedPut = {
  account: StoredAccount
  source: PutSource
  resolve: (result: PutResult) => void
  reject: (err: Error) => void
}

type HistoryRow = {
  event: HistoryEntry['event']
  jti: string
  iat: number
  exp: number
  issuer: string
  received_at: number
  source: string
  source_detail: string
  notification: string
}

function toHistoryEntry(row: HistoryRow): HistoryEntry {
  return {
    event: row.event,
    jti: row.jti,
    iat: row.iat,
    exp: row.exp,
    issuer: row.issuer,
    receivedAt: row.received_at,
    source: row.source as HistoryEntry['source'],
    sourceDetail: row.source_detail,
    notification: row.notification,
  }
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number
  if (version > SCHEMA_VERSION) {
    throw new Error(`schema version ${version} is newer than this nats-accounts knows (${SCHEMA_VERSION})`)
  }
  if (version === SCHEMA_VERSION) return
  db.transaction(() => {
    for (const step of MIGRATIONS.slice(version)) db.exec(step)
    db.pragma(`user_version = ${SCHEMA_VERSION}`)
  }).immediate()
}
