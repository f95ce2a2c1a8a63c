import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { memoryStore } from '../../src/store/drivers/memory.js'
import { overlayStore } from '../../src/store/drivers/overlay.js'
import type { JwtStore } from '../../src/store/types.js'
import { xorInto } from '../../src/store/utils/newest-wins.js'
import { newKey } from '../helpers/mint.js'
import { accountVersion, testJwtStore } from './contract.js'

testJwtStore({ name: 'overlay on memory', open: async () => ({ store: overlayStore(memoryStore()) }), persistent: false })

const keys = () => Array.from({ length: 4 }, () => newKey('account').publicKey).sort()
const all = async (store: JwtStore) => {
  const listed = []
  for await (const account of store.list()) listed.push(account)
  return listed
}

describe('overlay store', () => {
  it('lists, counts and hashes its own puts and deletions over the base, and writes nothing to it', async () => {
    const [a, b, c, d] = keys() as [string, string, string, string]
    const base = memoryStore()
    const baseA = accountVersion(a, 100)
    const baseC = accountVersion(c, 100)
    const baseD = accountVersion(d, 100)
    for (const account of [baseA, baseC, baseD]) await base.put(account, { kind: 'import' })
    const baseHash = await base.hash(0)
    const dryRun = overlayStore(base)

    const newB = accountVersion(b, 200)
    const newerC = accountVersion(c, 300)
    expect((await dryRun.put(newB, { kind: 'import' })).outcome).toBe('stored')
    expect((await dryRun.put(newerC, { kind: 'import' })).outcome).toBe('stored')
    expect(await dryRun.delete(d, { kind: 'http' })).toEqual(baseD)

    expect((await all(dryRun)).map((account) => account.jwt)).toEqual([baseA.jwt, newB.jwt, newerC.jwt])
    expect(await dryRun.count()).toBe(3)
    const expected = new Uint8Array(32)
    for (const account of [baseA, newB, newerC]) xorInto(expected, createHash('sha256').update(account.jwt).digest())
    expect(await dryRun.hash(0)).toEqual(expected)

    expect((await all(base)).map((account) => account.jwt)).toEqual([baseA.jwt, baseC.jwt, baseD.jwt])
    expect(await base.count()).toBe(3)
    expect(await base.hash(0)).toEqual(baseHash)
  })
})
