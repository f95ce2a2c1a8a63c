import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { sqliteStore } from '../../src/store/drivers/sqlite.js'
import { newKey } from '../helpers/mint.js'
import { waitFor } from '../helpers/nats-server.js'
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
    const history = await store.history!(pubkey)
    expect(history).toEqual([
      { jti: v2.jti, iat: 2000, exp: 0, issuer: v2.issuer, receivedAt: expect.any(Number), source: 'import', sourceDetail: '/old/dir' },
      { jti: v1.jti, iat: 1000, exp: 0, issuer: v1.issuer, receivedAt: expect.any(Number), source: 'http', sourceDetail: '10.0.0.1' },
    ])
    expect(history[1]!.receivedAt).toBeGreaterThanOrEqual(before)
    expect(await store.version!(pubkey, v1.jti)).toEqual(v1)
    expect(await store.version!(pubkey, 'nope')).toBeNull()
    expect(await store.get(pubkey)).toEqual(v2)
    await store.close()
  })

  it('reports changes committed by another connection to watchers', async () => {
    const file = join(await tempDir(), 'w.db')
    const server = await sqliteStore({ file, watchIntervalMs: 20 })
    const importer = await sqliteStore({ file })
    const seen: (readonly string[] | null)[] = []
    const stop = server.watch!((keys) => seen.push(keys))
    const account = accountVersion(newKey('account').publicKey, 1000)
    await importer.put(account, { kind: 'import' })
    await waitFor(() => seen.length > 0, { message: 'the watcher to see the import' })
    expect(seen).toEqual([[account.pubkey]])
    stop()
    await importer.close()
    await server.close()
  })

  it('creates the database and its folder readable by the server only', async () => {
    const file = join(await tempDir(), 'new', 'accounts.db')
    const store = await sqliteStore({ file })
    await store.put(accountVersion(newKey('account').publicKey, 1000))
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
    await expect(sqliteStore({ file })).rejects.toThrow('schema version 99 is newer than this nats-accounts knows (1)')
  })
})
