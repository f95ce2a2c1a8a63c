/**
 * Public nkey checks: base32 alphabet, length, CRC16 and prefix byte, through @nats-io/nkeys.
 * @module
 */
import { fromPublic } from '@nats-io/nkeys'
import { Codec } from '@nats-io/nkeys/lib/codec.js'

export type KeyKind = 'account' | 'operator' | 'user' | 'server' | 'cluster'

const KIND_BY_LETTER: Record<string, KeyKind> = {
  A: 'account',
  O: 'operator',
  U: 'user',
  N: 'server',
  C: 'cluster',
}

/** Every public nkey is 56 base32 characters (1 prefix + 32 key + 2 CRC bytes). */
const PUBLIC_KEY_SHAPE = /^[A-Z2-7]{56}$/

/**
 * Keys already found valid. Every push checks the URL key, the subject and the issuer: the
 * issuers are a handful of operator keys, the rest repeat within a push. Bounded, then reset.
 */
const valid = new Set<string>()
const MAX_REMEMBERED = 10_000

/** Why `key` is not a valid public nkey, or null when it is one. */
export function publicKeyProblem(key: string): string | null {
  if (valid.has(key)) return null
  if (!PUBLIC_KEY_SHAPE.test(key)) return 'not 56 base32 characters'
  try {
    fromPublic(key)
  } catch (err) {
    return (err as Error).message.replace(/^nkeys: /, '')
  }
  if (valid.size >= MAX_REMEMBERED) valid.clear()
  valid.add(key)
  return null
}

/** The kind of a valid public nkey, or null for anything else (seeds included). */
export function publicKeyKind(key: string): KeyKind | null {
  if (publicKeyProblem(key) !== null) return null
  return KIND_BY_LETTER[key[0]!] ?? null
}

/** Go's `nkeys.IsValidPublic*Key`; `prefix` is the key's first letter (A, O, U, X...). */
export function isPublicKeyOf(key: string, prefix: string): boolean {
  return key.length === 56 && key[0] === prefix && publicKeyProblem(key) === null
}

export function isAccountKey(key: string): boolean {
  return isPublicKeyOf(key, 'A')
}

export function isOperatorKey(key: string): boolean {
  return isPublicKeyOf(key, 'O')
}

/**
 * Why `key` cannot name an account, or null when it can. Used before any store access so a
 * malformed key never reaches the filesystem or the database.
 */
export function accountKeyProblem(key: string): string | null {
  const problem = publicKeyProblem(key)
  if (problem !== null) return problem
  if (key[0] !== 'A') {
    const kind = KIND_BY_LETTER[key[0]!] ?? 'non-account'
    return `is ${kind === 'operator' ? 'an' : 'a'} ${kind} key, not an account key`
  }
  return null
}

/** The 32 raw Ed25519 bytes of a valid public nkey. */
export function rawPublicKey(key: string): Uint8Array {
  const raw = Codec._decode(new TextEncoder().encode(key))
  return raw.subarray(1)
}
