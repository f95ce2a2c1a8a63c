/**
 * Shared pieces of the benchmarks: minting many signed accounts fast, temp dirs, sizes.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readStoredMeta } from '../../src/jwt/decode.js'
import type { StoredAccount } from '../../src/jwt/types.js'
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
