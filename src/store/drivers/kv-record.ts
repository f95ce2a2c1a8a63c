/**
 * What the KV store keeps under an account's key: the JWT with the metadata read when it was
 * accepted (loading a bucket then decodes no JWT), or what a deleted account held, marked
 * deleted. JSON, so `nats kv get <bucket> <pubkey>` shows it as it is.
 * @module
 */
import type { StoredAccount } from '../../jwt/types.js'
import type { PutSource } from '../types.js'

export type KvRecord = {
  account: StoredAccount
  /** The account was deleted while it held `account` (a tombstone). */
  deleted: boolean
  /** How the change came: an import, a server's HTTP or NATS. */
  source: PutSource['kind']
  /** The store instance that wrote it (random per process), so a watch can tell its own writes. */
  writer: string
}

type RecordJson = {
  jwt: string
  jti: string
  iat: number
  exp: number
  issuer: string
  name: string
  source: PutSource['kind']
  writer: string
  deleted?: true
}

const SOURCES: readonly string[] = ['http', 'nats', 'import'] satisfies PutSource['kind'][]
const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** The record as JSON text (one line). */
export function recordText({ account, deleted, source, writer }: KvRecord): string {
  const { jwt, jti, iat, exp, issuer, name } = account
  const json: RecordJson = { jwt, jti, iat, exp, issuer, name, source, writer, ...(deleted ? { deleted: true } : {}) }
  return JSON.stringify(json)
}

export function encodeRecord(record: KvRecord): Uint8Array {
  return encoder.encode(recordText(record))
}

/** The record under `pubkey`, or null when the value is not one (written by something else). */
export function decodeRecord(pubkey: string, value: Uint8Array): KvRecord | null {
  return parseRecord(pubkey, decoder.decode(value))
}

export function parseRecord(pubkey: string, text: string): KvRecord | null {
  let json: Partial<RecordJson>
  try {
    json = JSON.parse(text) as Partial<RecordJson>
  } catch {
    return null
  }
  const { jwt, jti, iat, exp, issuer, name, source, writer, deleted } = json ?? {}
  if (
    typeof jwt !== 'string' ||
    typeof jti !== 'string' ||
    typeof iat !== 'number' ||
    typeof exp !== 'number' ||
    typeof issuer !== 'string' ||
    typeof name !== 'string' ||
    !SOURCES.includes(source as string)
  ) {
    return null
  }
  return {
    account: { pubkey, jti, iat, exp, issuer, name, jwt },
    deleted: deleted === true,
    source: source!,
    writer: typeof writer === 'string' ? writer : '',
  }
}
