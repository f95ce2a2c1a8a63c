/**
 * The trusted operator: its identity key, signing keys and `strict_signing_key_usage`, read
 * from the operator JWT once at start-up (its signature is verified then, never again).
 * @module
 */
import { readFile } from 'node:fs/promises'
import { ConfigError } from '../errors.js'
import { decodeJwt } from './decode.js'
import { isAccountKey, isOperatorKey } from './nkeys.js'
import { verifySignature } from './verify.js'

export type OperatorTrust = {
  /** The operator JWT exactly as read, or the JWT of an armoured file (served untrimmed by `GET /jwt/v1/operator`). */
  source: string
  key: string
  name: string
  signingKeys: ReadonlySet<string>
  /** Account JWTs signed by the identity key are refused when set. */
  strict: boolean
  /** The operator's `system_account`, or '' when it names none. */
  systemAccount: string
  /** 0 when the operator JWT does not expire. */
  exp: number
}

/**
 * nats-server's trusted keys: the operator's signing keys, and its identity key unless it sets
 * `strict_signing_key_usage`.
 */
export function isTrustedIssuer(trust: OperatorTrust, issuer: string): boolean {
  return trust.signingKeys.has(issuer) || (issuer === trust.key && !trust.strict)
}

const EXPECTED = 'the operator setting (-operator) takes the operator JWT: the <operator>.jwt file of the nsc store, or the output of `nsc describe operator --raw`'

/** The first armoured block (`-----BEGIN NATS … JWT-----`), as nsc writes and nats-server reads. */
const ARMOURED_JWT = /-{3,}BEGIN NATS ([A-Z ]+?) JWT-{3,}\r?\n\s*([\w\-.=]+)\s*\r?\n-{3,}END NATS \1 JWT-{3,}/
const NKEY_SEED = /^\s*S[OAUNCPX][A-Z2-7]{56}\s*$/

/** Says what a file given as the operator is when it is something else, or null. */
function misplacedFile(text: string): string | null {
  if (NKEY_SEED.test(text)) return `is an nkey seed (a private key), not an operator JWT; keep it secret: ${EXPECTED}`
  const armoured = ARMOURED_JWT.exec(text)
  if (armoured?.[1] === 'USER') {
    return `is a user's .creds file (it belongs to -creds), not an operator JWT: ${EXPECTED}`
  }
  return null
}

/**
 * Parses and verifies an operator JWT, bare or armoured as nsc decorates it.
 * @throws ConfigError naming `origin` (a file path), what the text is and what is expected
 */
export function parseOperator(text: string, origin: string): OperatorTrust {
  const misplaced = misplacedFile(text)
  if (misplaced !== null) throw new ConfigError(`operator JWT ${origin} ${misplaced}`)
  const jwt = ARMOURED_JWT.exec(text)?.[2] ?? text
  let decoded
  try {
    decoded = decodeJwt(jwt)
    verifySignature(decoded)
  } catch (err) {
    throw new ConfigError(`operator JWT ${origin} is not valid: ${(err as Error).message}`, { cause: err })
  }
  const { claims, kind } = decoded
  if (kind !== 'operator') {
    const named = kind === 'account' ? ` (of account ${claims.name ?? ''} ${claims.sub ?? ''}, issued by ${claims.iss ?? ''})` : ''
    throw new ConfigError(`operator JWT ${origin} is ${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} JWT${named}, not an operator JWT: ${EXPECTED}`)
  }
  const key = claims.sub ?? ''
  if (!isOperatorKey(key)) {
    throw new ConfigError(`operator JWT ${origin} has subject "${key}", not an operator key`)
  }
  if (!isOperatorKey(claims.iss ?? '')) {
    throw new ConfigError(`operator JWT ${origin} is issued by "${claims.iss}", not an operator key`)
  }
  const nats = claims.nats ?? {}
  const signingKeys = new Set<string>()
  for (const entry of Array.isArray(nats.signing_keys) ? nats.signing_keys : []) {
    if (typeof entry !== 'string' || !isOperatorKey(entry)) {
      throw new ConfigError(`operator JWT ${origin} lists an invalid signing key "${String(entry)}"`)
    }
    signingKeys.add(entry)
  }
  const systemAccount = typeof nats.system_account === 'string' ? nats.system_account : ''
  if (systemAccount !== '' && !isAccountKey(systemAccount)) {
    throw new ConfigError(`operator JWT ${origin} names an invalid system account "${systemAccount}"`)
  }
  return {
    // An armoured file is served as the JWT it holds: clients of the route expect a JWT.
    source: jwt,
    key,
    name: claims.name ?? '',
    signingKeys,
    strict: nats.strict_signing_key_usage === true,
    systemAccount,
    exp: typeof claims.exp === 'number' ? claims.exp : 0,
  }
}

export async function loadOperatorFile(path: string): Promise<OperatorTrust> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read operator JWT ${path}: ${(err as Error).message}`, {
      cause: err,
    })
  }
  return parseOperator(text, path)
}

/** A setting that holds either a JWT itself (Kubernetes env/ConfigMap) or a file path. */
export function isInlineJwt(value: string): boolean {
  return /^\s*eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\s*$/.test(value)
}

/** Reads a JWT setting: the JWT itself, or the file it names. */
export async function readJwtSetting(value: string, what: string): Promise<{ text: string; origin: string }> {
  if (isInlineJwt(value)) return { text: value.trim(), origin: `${what} (inline JWT)` }
  try {
    return { text: await readFile(value, 'utf8'), origin: value }
  } catch (err) {
    throw new ConfigError(`cannot read ${what} ${value}: ${(err as Error).message}`, { cause: err })
  }
}

/** The operator from a setting: an inline JWT or a file. */
export async function loadOperator(value: string): Promise<OperatorTrust> {
  if (!isInlineJwt(value)) return loadOperatorFile(value)
  return parseOperator(value.trim(), 'operator (inline JWT)')
}
