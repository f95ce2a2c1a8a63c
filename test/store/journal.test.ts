/**
 * The directory store's write-ahead journal on real directories: what a killed writer left is
 * replayed (the last write of each account, newest-wins), a torn or damaged tail is ignored,
 * never half-applied, and a put is acknowledged with its file in place and its record on disk.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { directoryStore } from '../../src/store/drivers/directory.js'
import { formatRecord, parseSegment, segmentName } from '../../src/store/utils/journal.js'
import type { StoredAccount } from '../../src/jwt/types.js'
import { newKey } from '../helpers/mint.js'
import { tempDir } from '../helpers/tmp.js'
import { accountVersion } from './contract.js'

const record = (account: StoredAccount) => formatRecord({ pubkey: account.pubkey, jwt: account.jwt })
const fileOf = (dir: string, account: StoredAccount) => join(dir, account.pubkey.slice(-2), `${account.pubkey}.jwt`)
const segments = async (dir: string) => (await readdir(dir)).filter((name) => name.startsWith('.nats-accounts-journal.'))

async function placeFile(dir: string, account: StoredAccount, suffix = ''): Promise<void> {
  await mkdir(join(dir, account.pubkey.slice(-2)), { recursive: true })
  await writeFile(`${fileOf(dir, account)}${suffix}`, account.jwt, { mode: 0o600 })
}

describe('journal segments', () => {
  it('parse up to the first torn or damaged record', () => {
    const [a, b] = [accountVersion(newKey('account').publicKey, 1000), accountVersion(newKey('account').publicKey, 1000)]
    expect(parseSegment(record(a) + record(b))).toEqual({ records: [a, b].map(({ pubkey, jwt }) => ({ pubkey, jwt })), ignoredBytes: 0 })
    const torn = record(b).slice(0, -1)
    expect(parseSegment(record(a) + torn)).toEqual({ records: [{ pubkey: a.pubkey, jwt: a.jwt }], ignoredBytes: torn.length })
    const damaged = record(b).replace(/eyJ/, 'eyK')
    expect(parseSegment(record(a) + damaged + record(a)).records).toEqual([{ pubkey: a.pubkey, jwt: a.jwt }])
    expect(parseSegment('').records).toEqual([])
  })
})

describe('the directory store with a journal', () => {
  const originalPath = process.env.PATH
  afterEach(() => {
    process.env.PATH = originalPath
  })

  it('replays the last journaled write of each account, ignores a torn tail, and removes the segments', async () => {
    const dir = await tempDir()
    const a = newKey('account').publicKey
    const [a1, a2] = [accountVersion(a, 1000), accountVersion(a, 2000)]
    const b = accountVersion(newKey('account').publicKey, 1000)
    const c = accountVersion(newKey('account').publicKey, 1000)
    // a1's file on disk, a2 and b lost with a power cut before a checkpoint; c was being appended.
    await placeFile(dir, a1)
    await writeFile(join(dir, segmentName(3)), record(a1) + record(b))
    await writeFile(join(dir, segmentName(4)), record(a2) + record(c).slice(0, 70))
    const store = await directoryStore({ dir, shard: true, journal: true })
    expect(await store.get(a)).toEqual(a2)
    expect(await store.get(b.pubkey)).toEqual(b)
    expect(await store.get(c.pubkey)).toBeNull()
    expect(await readFile(fileOf(dir, a2), 'utf8')).toBe(a2.jwt)
    expect(await segments(dir)).toEqual([])
    await store.close()
  })

  it('never replays an older JWT over a newer file, nor brings back a deleted account', async () => {
    const dir = await tempDir()
    const a = newKey('account').publicKey
    const [a1, a2] = [accountVersion(a, 1000), accountVersion(a, 2000)]
    const deleted = accountVersion(newKey('account').publicKey, 1000)
    await placeFile(dir, a2)
    await placeFile(dir, deleted, '.deleted')
    await writeFile(join(dir, segmentName(1)), record(a1) + record(deleted))
    const store = await directoryStore({ dir, shard: true, journal: true })
    expect(await store.get(a)).toEqual(a2)
    expect(await store.get(deleted.pubkey)).toBeNull()
    expect(await store.count()).toBe(1)
    await store.close()
  })

  it('acknowledges a put with its file in place and its record on disk; close checkpoints and leaves no segment', async () => {
    const dir = await tempDir()
    const store = await directoryStore({ dir, shard: true, journal: true, journalCheckpointMs: 600_000 })
    const accounts = Array.from({ length: 50 }, () => accountVersion(newKey('account').publicKey, 1000))
    await Promise.all(accounts.map((account) => store.put(account, { kind: 'http' })))
    const journaled = new Set<string>()
    for (const name of await segments(dir)) {
      for (const { pubkey } of parseSegment(await readFile(join(dir, name), 'latin1')).records) journaled.add(pubkey)
    }
    for (const account of accounts) {
      expect(await readFile(fileOf(dir, account), 'utf8')).toBe(account.jwt)
    }
    expect([...journaled].sort()).toEqual(accounts.map((a) => a.pubkey).sort())
    await store.close()
    expect(await segments(dir)).toEqual([])
    const reopened = await directoryStore({ dir, shard: true, journal: true })
    for (const account of accounts) expect(await reopened.get(account.pubkey)).toEqual(account)
    await reopened.close()
  })

  it('checkpoints with an fsync per file where the sync command is missing', async () => {
    const dir = await tempDir()
    process.env.PATH = join(dir, 'no-such-bin')
    const store = await directoryStore({ dir, shard: true, journal: true, journalCheckpointMs: 600_000 })
    const account = accountVersion(newKey('account').publicKey, 1000)
    await store.put(account, { kind: 'http' })
    expect(await segments(dir)).toHaveLength(1)
    await store.close()
    expect(await segments(dir)).toEqual([])
    expect(await readFile(fileOf(dir, account), 'utf8')).toBe(account.jwt)
  })
})
