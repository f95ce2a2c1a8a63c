/**
 * AccountService.pack over each store driver: the PACK answer nats-server's resolvers ask for.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { AccountService } from '../../src/accounts/service.js'
import { directoryStore } from '../../src/store/drivers/directory.js'
import { memoryStore } from '../../src/store/drivers/memory.js'
import { sqliteStore } from '../../src/store/drivers/sqlite.js'
import type { JwtStore } from '../../src/store/types.js'
import { mintAccount, newKey } from '../helpers/mint.js'
import { tempDir } from '../helpers/tmp.js'

const operator = newKey('operator')
const stored = (jwt: string) => ({ ...readStoredMeta(jwt), jwt })

const drivers: [string, () => Promise<JwtStore>][] = [
  ['memory', async () => memoryStore()],
  ['sqlite', async () => sqliteStore({ file: join(await tempDir(), 'accounts.db') })],
  ['directory', async () => directoryStore({ dir: await tempDir() })],
]

describe.each(drivers)('AccountService.pack on %s', (_, open) => {
  it('packs unexpired accounts as pubkey|jwt lines in key order, honouring the limit', async () => {
    const store = await open()
    try {
      const accounts = Array.from({ length: 7 }, () =>
        stored(mintAccount(newKey('account').publicKey, operator, { iat: 1000 })),
      )
      const expired = mintAccount(newKey('account').publicKey, operator, { iat: 1000, exp: 1500 })
      for (const account of accounts) await store.put(account, { kind: 'import' })
      await store.put(stored(expired), { kind: 'import' })
      const service = new AccountService({ store, trust: null, now: () => 2_000_000 })
      const sorted = [...accounts].sort((x, y) => (x.pubkey < y.pubkey ? -1 : 1))
      const pack = async (limit: number) => {
        const lines: string[] = []
        for await (const line of service.pack(limit)) lines.push(line)
        return lines
      }
      expect(await pack(-1)).toEqual(sorted.map((a) => `${a.pubkey}|${a.jwt}`))
      expect(await pack(3)).toEqual(sorted.slice(0, 3).map((a) => `${a.pubkey}|${a.jwt}`))
      expect(await pack(0)).toEqual([])
    } finally {
      await store.close()
    }
  })
})
