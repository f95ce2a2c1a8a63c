/**
 * The behaviour every store driver must have. Each driver's test file calls `testJwtStore`
 * with a factory; drivers that persist also pass `reopen` to prove data survives a restart.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeJwt } from '../../src/jwt/decode.js'
import { verifySignature } from '../../src/jwt/verify.js'
import { waitFor } from '../helpers/wait.js'
import type { StoredAccount } from '../../src/jwt/types.js'
import type { JwtStore } from '../../src/store/types.js'
import { xorInto } from '../../src/store/utils/newest-wins.js'
import { mintAccount, newKey } from '../helpers/mint.js'
import { shuffled } from '../helpers/shuffle.js'
import { sameSecondEdit } from '../helpers/nsc.js'

export type StoreHarness = {
  store: JwtStore
  /** Closes the store and opens a new instance on the same data. */
  reopen?: () => Promise<JwtStore>
}

const operator = newKey('operator')
const CRASH_WRITER = fileURLToPath(new URL('./crash-writer.mjs', import.meta.url))
const sha256 = (text: string) => createHash('sha256').update(text).digest()

export function accountVersion(pubkey: string, iat: number, extra: Record<string, unknown> = {}): StoredAccount {
  const jwt = mintAccount(pubkey, operator, { iat, nats: { tags: [`v${iat}`], ...extra } })
  return { ...readStoredMeta(jwt), jwt }
}

/**
 * A store a child process can write to: `crash-writer.mjs <driver> <location>` (for kv, a JSON
 * file with the store configuration).
 */
export type CrashTarget = { driver: 'sqlite' | 'directory' | 'directory-journal' | 'kv'; location: string; open: () => Promise<JwtStore> }

export type ContractOptions = {
  name: string
  open: () => Promise<StoreHarness>
  /** Data survives a reopen (every driver but memory). */
  persistent: boolean
  /** For durable drivers: a fresh location for the kill -9 test. */
  crashTarget?: () => Promise<CrashTarget>
}

export function testJwtStore({ name, open, persistent, crashTarget }: ContractOptions): void {
  describe(`store contract: ${name}`, () => {
    let harness: StoreHarness
    let store: JwtStore
    beforeEach(async () => {
      harness = await open()
      store = harness.store
      return async () => {
        await store.close()
      }
    })

    it('answers null for an account it does not hold', async () => {
      expect(await store.get(newKey('account').publicKey)).toBeNull()
      expect(await store.count()).toBe(0)
    })

    it('stores a new account and returns the exact JWT and its metadata', async () => {
      const account = accountVersion(newKey('account').publicKey, 1000)
      const result = await store.put(account, { kind: 'http' })
      expect(result).toEqual({ outcome: 'stored', current: account, previous: null })
      expect(await store.get(account.pubkey)).toEqual(account)
    })

    it('treats the same bytes as a no-op', async () => {
      const account = accountVersion(newKey('account').publicKey, 1000)
      await store.put(account, { kind: 'http' })
      const again = await store.put({ ...account }, { kind: 'http' })
      expect(again.outcome).toBe('unchanged')
      expect(again.current).toEqual(account)
    })

    it.each(['http', 'nats', 'import'] as const)(
      'stores a same-second edit (same jti and iat, other bytes) pushed over %s',
      async (kind) => {
        const pubkey = newKey('account').publicKey
        const { added, edited } = sameSecondEdit(pubkey, operator, { iat: 1000 })
        const [first, second] = [added, edited].map((jwt) => ({ ...readStoredMeta(jwt), jwt }))
        expect(second!.jti).toBe(first!.jti)
        await store.put(first!, { kind })
        const result = await store.put(second!, { kind, detail: 'explicit push' })
        expect(result).toEqual({ outcome: 'stored', current: second, previous: first })
        expect(await store.get(pubkey)).toEqual(second)
        expect(await store.hash(0)).toEqual(new Uint8Array(sha256(edited)))
        expect((await store.put(first!, { kind })).outcome).toBe('stored')
        expect(await store.get(pubkey)).toEqual(first)
      },
    )

    it('keeps the stored JWT when resolver sync brings one with the same jti (saveIfNewer)', async () => {
      const pubkey = newKey('account').publicKey
      const { added, edited } = sameSecondEdit(pubkey, operator, { iat: 1000 })
      const [first, second] = [added, edited].map((jwt) => ({ ...readStoredMeta(jwt), jwt }))
      await store.put(second!, { kind: 'http' })
      const merged = await store.put(first!, { kind: 'nats', detail: 'pack', sync: true })
      expect(merged).toEqual({ outcome: 'unchanged', current: second, previous: second })
      expect(await store.get(pubkey)).toEqual(second)
      const newer = accountVersion(pubkey, 1001)
      expect((await store.put(newer, { kind: 'nats', detail: 'pack', sync: true })).outcome).toBe('stored')
      expect((await store.put(accountVersion(pubkey, 999), { kind: 'nats', sync: true })).outcome).toBe('stale')
      expect(await store.get(pubkey)).toEqual(newer)
    })

    it('refuses an older iat and keeps the newer JWT', async () => {
      const pubkey = newKey('account').publicKey
      const newer = accountVersion(pubkey, 2000)
      const older = accountVersion(pubkey, 1000)
      await store.put(newer, { kind: 'http' })
      const result = await store.put(older, { kind: 'http' })
      expect(result.outcome).toBe('stale')
      expect(result.current).toEqual(newer)
      expect(await store.get(pubkey)).toEqual(newer)
    })

    it('accepts an equal iat with another jti, and a newer iat', async () => {
      const pubkey = newKey('account').publicKey
      const first = accountVersion(pubkey, 1000)
      const sameSecond = accountVersion(pubkey, 1000, { description: 'edited' })
      const newer = accountVersion(pubkey, 1001)
      await store.put(first, { kind: 'http' })
      expect((await store.put(sameSecond, { kind: 'http' })).outcome).toBe('stored')
      const result = await store.put(newer, { kind: 'http' })
      expect(result).toEqual({ outcome: 'stored', current: newer, previous: sameSecond })
      expect(await store.get(pubkey)).toEqual(newer)
    })

    it('deletes: not served, listed or hashed; the deleted JWT and older ones cannot come back', async () => {
      const pubkey = newKey('account').publicKey
      const old = accountVersion(pubkey, 1000)
      const current = accountVersion(pubkey, 2000)
      const other = accountVersion(newKey('account').publicKey, 1000)
      await store.put(old, { kind: 'http' })
      await store.put(current, { kind: 'http' })
      await store.put(other, { kind: 'http' })
      expect(await store.delete(pubkey, { kind: 'nats', detail: 'delete request' })).toEqual(current)
      expect(await store.get(pubkey)).toBeNull()
      expect(await store.deleted(pubkey)).toEqual(current)
      expect(await store.count()).toBe(1)
      const listed: string[] = []
      for await (const account of store.list()) listed.push(account.pubkey)
      expect(listed).toEqual([other.pubkey])
      expect(await store.hash(0)).toEqual(new Uint8Array(sha256(other.jwt)))
      for (const version of [old, current, accountVersion(pubkey, 2000)]) {
        expect(await store.put(version, { kind: 'http' })).toEqual({ outcome: 'deleted', current, previous: null })
      }
      expect(await store.get(pubkey)).toBeNull()
      const recreated = accountVersion(pubkey, 2001)
      expect((await store.put(recreated, { kind: 'http' })).outcome).toBe('stored')
      expect(await store.get(pubkey)).toEqual(recreated)
      expect(await store.deleted(pubkey)).toBeNull()
      expect(await store.delete(newKey('account').publicKey, { kind: 'http' })).toBeNull()
    })

    it('never loses the newest JWT under concurrent puts', async () => {
      const pubkey = newKey('account').publicKey
      const versions = Array.from({ length: 40 }, (_, i) => accountVersion(pubkey, 5000 + i))
      const results = await Promise.all(shuffled(versions, 12).map((v) => store.put(v, { kind: 'http' })))
      expect(results.every((r) => r.outcome !== 'unchanged')).toBe(true)
      expect(await store.get(pubkey)).toEqual(versions.at(-1))
    })

    it('lists every account in pubkey order and counts them', async () => {
      const accounts = Array.from({ length: 12 }, () => accountVersion(newKey('account').publicKey, 1000))
      for (const account of accounts) await store.put(account, { kind: 'http' })
      const listed: StoredAccount[] = []
      for await (const account of store.list()) listed.push(account)
      expect(listed.map((a) => a.pubkey)).toEqual(accounts.map((a) => a.pubkey).sort())
      expect(listed).toEqual(expect.arrayContaining(accounts))
      expect(await store.count()).toBe(12)
    })

    it('hashes like nats-server: XOR of the SHA-256 of each unexpired JWT', async () => {
      const zero = new Uint8Array(32)
      expect(await store.hash(1000)).toEqual(zero)
      const a = accountVersion(newKey('account').publicKey, 1000)
      const b = accountVersion(newKey('account').publicKey, 1000)
      const c = accountVersion(newKey('account').publicKey, 1001)
      const withExp = mintAccount(c.pubkey, operator, { iat: 1002, exp: 5000 })
      for (const account of [a, b, c]) await store.put(account, { kind: 'http' })
      const expected = new Uint8Array(32)
      for (const account of [a, b, c]) xorInto(expected, sha256(account.jwt))
      expect(await store.hash(1000)).toEqual(expected)
      const newer = { ...readStoredMeta(withExp), jwt: withExp }
      await store.put(newer, { kind: 'http' })
      const live = new Uint8Array(32)
      for (const account of [a, b, newer]) xorInto(live, sha256(account.jwt))
      expect(await store.hash(4999)).toEqual(live)
      const afterExpiry = new Uint8Array(32)
      for (const account of [a, b]) xorInto(afterExpiry, sha256(account.jwt))
      expect(await store.hash(5001)).toEqual(afterExpiry)
    })

    it.runIf(crashTarget !== undefined)(
      'keeps every acknowledged write, complete and verifiable, when the writer is killed -9',
      async () => {
        const target = await crashTarget!()
        const keys = Array.from({ length: 20 }, () => newKey('account').publicKey)
        const jwts = Array.from({ length: 4000 }, (_, i) =>
          mintAccount(keys[i % keys.length]!, operator, { iat: 10_000 + i }),
        )
        const input = join(target.location, '..', `jwts-${process.pid}-${Date.now()}.txt`)
        await writeFile(input, jwts.join('\n'))
        const child = spawn(process.execPath, [CRASH_WRITER, target.driver, target.location, input], {
          stdio: ['ignore', 'pipe', 'inherit'],
        })
        let out = ''
        child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()))
        const exited = new Promise((resolve) => child.once('exit', resolve))
        await waitFor(() => out.split('\n').length > 600, { timeoutMs: 20_000, message: '600 acknowledged writes' })
        child.kill('SIGKILL')
        await exited
        const acked = out.split('\n').filter((l) => l.startsWith('acked ')).map((l) => l.split(' '))
        store = await target.open()
        const newest = new Map<string, number>()
        for (const [, pubkey, iat] of acked) newest.set(pubkey!, Math.max(newest.get(pubkey!) ?? 0, Number(iat)))
        for (const [pubkey, iat] of newest) {
          const stored = await store.get(pubkey)
          expect(stored, pubkey).not.toBeNull()
          expect(stored!.iat).toBeGreaterThanOrEqual(iat)
        }
        for await (const account of store.list()) {
          const decoded = decodeJwt(account.jwt)
          expect(() => verifySignature(decoded)).not.toThrow()
          expect(decoded.claims.sub).toBe(account.pubkey)
        }
      },
    )

    it.runIf(persistent)('keeps everything across a reopen', async () => {
      const accounts = Array.from({ length: 5 }, (_, i) => accountVersion(newKey('account').publicKey, 1000 + i))
      for (const account of accounts) await store.put(account, { kind: 'http' })
      store = await harness.reopen!()
      for (const account of accounts) expect(await store.get(account.pubkey)).toEqual(account)
      expect(await store.count()).toBe(5)
    })
  })
}
