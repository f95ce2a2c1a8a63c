import { readdir, readFile, stat, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { directoryStore } from '../../src/store/drivers/directory.js'
import { newKey } from '../helpers/mint.js'
import { tempDir } from '../helpers/tmp.js'
import { accountVersion, testJwtStore } from './contract.js'

for (const shard of [false, true]) {
  testJwtStore({
    name: `directory (shard: ${shard})`,
    persistent: true,
    crashTarget: shard
      ? async () => {
          const location = join(await tempDir(), 'jwt')
          return { driver: 'directory', location, open: () => directoryStore({ dir: location, shard: true }) }
        }
      : undefined,
    open: async () => {
      const dir = await tempDir()
      const store = await directoryStore({ dir, shard })
      return {
        store,
        reopen: async () => {
          await store.close()
          return directoryStore({ dir, shard })
        },
      }
    },
  })
}

testJwtStore({
  name: 'directory (shard: true, journal)',
  persistent: true,
  crashTarget: async () => {
    const location = join(await tempDir(), 'jwt')
    return { driver: 'directory-journal', location, open: () => directoryStore({ dir: location, shard: true, journal: true }) }
  },
  open: async () => {
    const dir = await tempDir()
    const store = await directoryStore({ dir, shard: true, journal: true })
    return {
      store,
      reopen: async () => {
        await store.close()
        return directoryStore({ dir, shard: true, journal: true })
      },
    }
  },
})

describe('directory store layout', () => {
  it('writes <dir>/<pubkey>.jwt with mode 0600 and nothing else', async () => {
    const dir = await tempDir()
    const store = await directoryStore({ dir })
    const account = accountVersion(newKey('account').publicKey, 1000)
    await store.put(account, { kind: 'http' })
    expect(await readdir(dir)).toEqual([`${account.pubkey}.jwt`])
    const path = join(dir, `${account.pubkey}.jwt`)
    expect(await readFile(path, 'utf8')).toBe(account.jwt)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
  })

  it('shards by the last two characters of the key, directories 0700', async () => {
    const dir = await tempDir()
    const store = await directoryStore({ dir, shard: true })
    const account = accountVersion(newKey('account').publicKey, 1000)
    await store.put(account, { kind: 'http' })
    const shardDir = join(dir, account.pubkey.slice(-2))
    expect(await readdir(dir)).toEqual([account.pubkey.slice(-2)])
    expect(await readFile(join(shardDir, `${account.pubkey}.jwt`), 'utf8')).toBe(account.jwt)
    expect((await stat(shardDir)).mode & 0o777).toBe(0o700)
  })

  it('reads files written by nats-server or the Go server, trailing newline included', async () => {
    const dir = await tempDir()
    const account = accountVersion(newKey('account').publicKey, 1000)
    await writeFile(join(dir, `${account.pubkey}.jwt`), `${account.jwt}\n`, { mode: 0o600 })
    await writeFile(join(dir, 'README.txt'), 'not a jwt')
    await mkdir(join(dir, 'sub'))
    const store = await directoryStore({ dir })
    expect(await store.get(account.pubkey)).toEqual(account)
    expect(await store.count()).toBe(1)
  })

  it('treats a corrupt file as absent: skipped by list and count, replaced by the next put', async () => {
    const dir = await tempDir()
    const pubkey = newKey('account').publicKey
    await writeFile(join(dir, `${pubkey}.jwt`), 'garbage')
    const store = await directoryStore({ dir })
    expect(await store.get(pubkey)).toBeNull()
    expect(store.unreadableEntries?.()).toBe(1)
    expect(await store.count()).toBe(0)
    const account = accountVersion(pubkey, 1000)
    expect((await store.put(account, { kind: 'http' })).outcome).toBe('stored')
    expect(await store.get(pubkey)).toEqual(account)
    expect(store.unreadableEntries?.()).toBe(0)
  })

  it('leaves no temp files behind after many writes', async () => {
    const dir = await tempDir()
    const store = await directoryStore({ dir })
    const pubkey = newKey('account').publicKey
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.put(accountVersion(pubkey, 100 + i), { kind: 'http' })))
    expect(await readdir(dir)).toEqual([`${pubkey}.jwt`])
  })
})
