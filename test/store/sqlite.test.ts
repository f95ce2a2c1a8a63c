import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { sqliteStore } from '../../src/store/drivers/sqlite.js'
import type { StoreChange } from '../../src/store/types.js'
import { newKey } from '../helpers/mint.js'
import { waitFor } from '../helpers/wait.js'
import { tempDir } from '../helpers/tmp.js'
import { accountVersion, testJwtStore } from './contract.js'

testJwtStore({
  name: 'sqlite',
  persistent: true,
  crashTarget: async () => {
    const location = join(await tempDir(), 'crash.db')
    return { driver: 'sqlite', location, open: () => sqliteStore({ file: location }) }
  },
  open: async () => {
    const file = join(await tempDir(), 'data', 'accounts.db')
    const store = await sqliteStore({ file })
    return {
      store,
      reopen: async () => {
        await store.close()
        return sqliteStore({ file })
      },
    }
  },
})

describe('sqlite history', () => {
  it('keeps every accepted version with when, from where and by whom', async () => {
    const store = await sqliteStore({ file: join(await tempDir(), 'a.db') })
    const pubkey = newKey('account').publicKey
    const v1 = accountVersion(pubkey, 1000)
    const v2 = accountVersion(pubkey, 2000)
    const before = Date.now()
    await store.put(v1, { kind: 'http', detail: '10.0.0.1' })
    await store.put(v2, { kind: 'import', detail: '/old/dir' })
    await store.put(accountVersion(pubkey, 1500), { kind: 'http' })
    await store.put(v2, { kind: 'nats' })
    await store.recordNotification!(pubkey, v2.jti, '1 server updated')
    await store.delete(pubkey, { kind: 'nats', detail: 'delete request by O...' })
    const history = await store.history!(pubkey)
    const entry = { exp: 0, receivedAt: expect.any(Number), notification: '' }
    expect(history).toEqual([
      { ...entry, event: 'deleted', jti: v2.jti, iat: 2000, issuer: v2.issuer, source: 'nats', sourceDetail: 'delete request by O...' },
      { ...entry, event: 'accepted', jti: v2.jti, iat: 2000, issuer: v2.issuer, source: 'import', sourceDetail: '/old/dir', notification: '1 server updated' },
      { ...entry, event: 'accepted', jti: v1.jti, iat: 1000, issuer: v1.issuer, source: 'http', sourceDetail: '10.0.0.1' },
    ])
    expect(history[1]!.receivedAt).toBeGreaterThanOrEqual(before)
    expect(await store.version!(pubkey, v1.jti)).toEqual(v1)
    expect(await store.version!(pubkey, 'nope')).toBeNull()
    expect(await store.get(pubkey)).toBeNull()
    await store.close()
  })

  it('migrates a version 1 database and keeps its accounts', async () => {
    const file = join(await tempDir(), 'v1.db')
    const Database = (await import('better-sqlite3')).default
    const db = new Database(file)
    db.exec(`CREATE TABLE history (id INTEGER PRIMARY KEY, pubkey TEXT NOT NULL, jti TEXT NOT NULL,
      iat INTEGER NOT NULL, exp INTEGER NOT NULL, issuer TEXT NOT NULL, name TEXT NOT NULL, jwt TEXT NOT NULL,
      sha256 BLOB NOT NULL, received_at INTEGER NOT NULL, source TEXT NOT NULL, source_detail TEXT NOT NULL);
      CREATE INDEX history_by_account ON history (pubkey, jti);
      CREATE TABLE accounts (pubkey TEXT PRIMARY KEY, history_id INTEGER NOT NULL REFERENCES history (id)) WITHOUT ROWID;`)
    const account = accountVersion(newKey('account').publicKey, 1000)
    db.prepare(`INSERT INTO history VALUES (1, ?, ?, ?, 0, ?, ?, ?, x'00', 5, 'http', '')`).run(
      account.pubkey, account.jti, account.iat, account.issuer, account.name, account.jwt,
    )
    db.prepare('INSERT INTO accounts VALUES (?, 1)').run(account.pubkey)
    db.pragma('user_version = 1')
    db.close()
    const store = await sqliteStore({ file })
    expect(await store.get(account.pubkey)).toEqual(account)
    expect((await store.history!(account.pubkey))[0]).toMatchObject({ event: 'accepted', notification: '' })
    await store.close()
  })

  it('reports changes committed by another connection to watchers', async () => {
    const file = join(await tempDir(), 'w.db')
    const server = await sqliteStore({ file, watchIntervalMs: 20 })
    const importer = await sqliteStore({ file })
    const seen: (readonly StoreChange[] | null)[] = []
    const stop = server.watch!((keys) => seen.push(keys))
    const account = accountVersion(newKey('account').publicKey, 1000)
    await importer.put(account, { kind: 'import' })
    await waitFor(() => seen.length > 0, { message: 'the watcher to see the import' })
    expect(seen).toEqual([[{ pubkey: account.pubkey, source: 'import' }]])
    stop()
    await importer.close()
    await server.close()
  })

  it('creates the database and its folder readable by the server only', async () => {
    const file = join(await tempDir(), 'new', 'accounts.db')
    const store = await sqliteStore({ file })
    await store.put(accountVersion(newKey('account').publicKey, 1000), { kind: 'http' })
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await stat(`${file}-wal`)).mode & 0o777).toBe(0o600)
    expect((await stat(join(file, '..'))).mode & 0o777).toBe(0o700)
    await store.close()
  })

  it('refuses a database written by a newer schema', async () => {
    const file = join(await tempDir(), 'n.db')
    const Database = (await import('better-sqlite3')).default
    const db = new Database(file)
    db.pragma('user_version = 99')
    db.close()
    await expect(sqliteStore({ file })).rejects.toThrow('schema version 99 is newer than this nats-accounts knows (2)')
  })
})
