/**
 * Shared pieces of the benchmarks: minting many signed accounts fast, loading stores, temp dirs, sizes.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readStoredMeta } from '../../src/jwt/decode.js'
import type { StoredAccount } from '../../src/jwt/types.js'
import { sqliteStore } from '../../src/store/drivers/sqlite.js'
import { Prefix } from '@nats-io/nkeys'
import { Codec } from '@nats-io/nkeys/lib/codec.js'
import { mintAccount, mintOperator, newKey, type Signer } from '../../test/helpers/mint.js'

/** A valid account public key; nothing here needs its private half. */
export function randomAccountKey(): string {
  return new TextDecoder().decode(Codec.encode(Prefix.Account, randomBytes(32)))
}

export type Fleet = { operator: Signer; operatorJwt: string; accounts: StoredAccount[] }

/** `count` accounts signed by one operator, with real Ed25519 signatures. */
export function mintFleet(count: number, iat = Math.floor(Date.now() / 1000) - 60): Fleet {
  const operator = newKey('operator')
  const accounts: StoredAccount[] = []
  for (let i = 0; i < count; i++) {
    const jwt = mintAccount(randomAccountKey(), operator, { iat, name: `acct-${i}` })
    accounts.push({ ...readStoredMeta(jwt), jwt })
  }
  return { operator, operatorJwt: mintOperator(operator, { name: 'BENCH' }), accounts }
}

export function tempDir(prefix = 'nats-accounts-bench-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

/** Bytes used by a file or a directory tree. */
export async function sizeOf(path: string): Promise<number> {
  const info = await stat(path)
  if (!info.isDirectory()) return info.size
  let total = 0
  for (const entry of await readdir(path)) total += await sizeOf(join(path, entry))
  return total
}

export function rate(count: number, ms: number): string {
  return Math.round((count / ms) * 1000).toLocaleString('en-US')
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

/** A sharded directory store holding `accounts`, written as nats-server would (no journal). */
export async function loadDirectory(dir: string, accounts: StoredAccount[]): Promise<void> {
  for (const account of accounts) {
    const shard = join(dir, account.pubkey.slice(-2))
    if (!existsSync(shard)) await mkdir(shard, { recursive: true, mode: 0o700 })
    await writeFile(join(shard, `${account.pubkey}.jwt`), account.jwt, { mode: 0o600 })
  }
}

export async function loadSqlite(file: string, accounts: StoredAccount[]): Promise<void> {
  const store = await sqliteStore({ file })
  for (let i = 0; i < accounts.length; i += 1000) {
    await Promise.all(accounts.slice(i, i + 1000).map((a) => store.put(a, { kind: 'import' })))
  }
  await store.close()
}

/** Lua for wrk: POSTs of the lines `<key> <jwt>` of `data` in turn, from the line given as its argument. */
export function postLua(data: string): string {
  return `
local paths, bodies = {}, {}
for line in io.lines("${data}") do
  local key, jwt = line:match("^(%S+) (%S+)$")
  paths[#paths + 1] = "/jwt/v1/accounts/" .. key
  bodies[#bodies + 1] = jwt
end
local i = 0
init = function(args) i = tonumber(args[1]) or 0 end
request = function()
  i = i % #paths + 1
  return wrk.format("POST", paths[i], { ["Content-Type"] = "application/jwt" }, bodies[i])
end
`
}
