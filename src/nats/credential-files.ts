/**
 * The files a NATS identity is made of, read and checked: `.creds` files, NKey seed files,
 * token and password files, TLS certificates and keys. Reads are synchronous: the NATS client
 * asks for credentials synchronously on every connect, and these files are small. Messages
 * name the file and what it holds (a kind, a public key), never a secret.
 * @module
 */
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { fromSeed } from '@nats-io/nkeys'
import { decodeJwt } from '../jwt/decode.js'

/** A file that cannot be used; the message names the file and why, without its content. */
export class CredentialFileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'CredentialFileError'
  }
}

export type CredsFile = {
  kind: 'creds'
  bytes: Uint8Array
  jwt: string
  seed: Uint8Array
  user: string
  /** The account the user belongs to (its JWT's `issuer_account`, else its issuer). */
  account: string
}

export type SeedFile = { kind: 'seed'; bytes: Uint8Array; seed: Uint8Array; user: string }

const USER_JWT = /-{3,}BEGIN NATS USER JWT-{3,}\r?\n\s*([\w\-.=]+)\s*\r?\n-{3,}END NATS USER JWT-{3,}/
const ANY_JWT_BLOCK = /-{3,}BEGIN NATS [A-Z ]*JWT-{3,}/
const SEED = /(?<![A-Z2-7])S[A-Z][A-Z2-7]{56}(?![A-Z2-7])/
const PUBLIC_KEY = /(?<![A-Z2-7])[UAON][A-Z2-7]{55}(?![A-Z2-7])/
const SEED_KINDS: Record<string, string> = { U: 'a user', A: 'an account', O: 'an operator', N: 'a server', C: 'a cluster', X: 'a curve' }

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const meaning: Record<string, string> = { ENOENT: 'it does not exist', EACCES: 'this user may not read it', EISDIR: 'it is a directory' }
    const why = code !== undefined && code in meaning ? `${code}, ${meaning[code]}` : (err as Error).message
    throw new CredentialFileError(`cannot read ${what} ${path}: ${why}`, { cause: err })
  }
}

/** The seed the text holds, checked to be a user seed; its public key. */
function userSeed(text: string, path: string, what: string): { seed: Uint8Array; user: string } {
  const found = SEED.exec(text)?.[0]
  if (found === undefined) {
    const publicKey = PUBLIC_KEY.exec(text)?.[0]
    throw new CredentialFileError(
      publicKey === undefined
        ? `${what} ${path} holds no NKey seed`
        : `${what} ${path} holds the public key ${publicKey}, not its seed (S…): the seed signs the server's challenge`,
    )
  }
  const seed = new TextEncoder().encode(found)
  let user: string
  try {
    user = fromSeed(seed).getPublicKey()
  } catch (err) {
    throw new CredentialFileError(`${what} ${path} holds a damaged NKey seed (${(err as Error).message})`, { cause: err })
  }
  if (!user.startsWith('U')) {
    throw new CredentialFileError(
      `${what} ${path} holds ${SEED_KINDS[user[0]!] ?? 'another kind of'} seed (S${user[0]}…, public key ${user}) where a user seed (SU…) is expected: NATS clients connect as users`,
    )
  }
  return { seed, user }
}

/**
 * A `.creds` file: a user JWT and the user's seed.
 * @throws CredentialFileError for a missing or unreadable file, or one of another kind
 */
export function readCredsFile(path: string): CredsFile {
  const bytes = read(path, 'NATS credentials file')
  const text = bytes.toString('utf8')
  const jwt = USER_JWT.exec(text)?.[1]
  if (jwt === undefined) {
    if (!ANY_JWT_BLOCK.test(text) && SEED.test(text)) {
      throw new CredentialFileError(`NATS credentials file ${path} is an NKey seed file, not a .creds file (it holds no user JWT): give it as an NKey seed (--nkey, nats.nkey) instead`)
    }
    throw new CredentialFileError(`NATS credentials file ${path} is not a .creds file: it does not hold a user JWT and its nkey seed`)
  }
  let claims
  try {
    claims = decodeJwt(jwt).claims
  } catch (err) {
    throw new CredentialFileError(`NATS credentials file ${path} is not a .creds file: its user JWT does not decode (${(err as Error).message})`, { cause: err })
  }
  if (!/-{3,}BEGIN USER NKEY SEED-{3,}/.test(text)) {
    throw new CredentialFileError(`NATS credentials file ${path} is not a .creds file: it does not hold a user JWT and its nkey seed`)
  }
  const { seed, user } = userSeed(text.slice(text.search(/-{3,}BEGIN USER NKEY SEED/)), path, 'NATS credentials file')
  if (claims.sub !== user) {
    throw new CredentialFileError(`NATS credentials file ${path} is damaged: its seed is the one of user ${user}, its JWT is for ${claims.sub ?? 'no subject'}`)
  }
  const issuerAccount = (claims.nats as { issuer_account?: unknown } | undefined)?.issuer_account
  return {
    kind: 'creds',
    bytes,
    jwt,
    seed,
    user,
    account: typeof issuerAccount === 'string' && issuerAccount !== '' ? issuerAccount : (claims.iss ?? ''),
  }
}

/**
 * An NKey seed file: the seed alone (as `nk -gen user` writes it) or between the decorations
 * nsc uses. The seed stays in this process: the client signs the server's nonce with it.
 * @throws CredentialFileError for a missing or unreadable file, or one of another kind
 */
export function readSeedFile(path: string): SeedFile {
  const bytes = read(path, 'NKey seed file')
  const text = bytes.toString('utf8')
  if (ANY_JWT_BLOCK.test(text)) {
    throw new CredentialFileError(`NKey seed file ${path} is a .creds file (a user JWT and its seed), not a seed file: give it as credentials (-creds, nats.creds) instead`)
  }
  return { kind: 'seed', bytes, ...userSeed(text, path, 'NKey seed file') }
}

/**
 * A token or password kept in a file (a mounted secret): its first line, without the
 * surrounding white space.
 * @throws CredentialFileError for a missing, unreadable or empty file
 */
export function readSecretFile(path: string, what: string): { bytes: Uint8Array; value: string } {
  const bytes = read(path, `NATS ${what} file`)
  const value = bytes.toString('utf8').split(/\r?\n/, 1)[0]!.trim()
  if (value === '') throw new CredentialFileError(`NATS ${what} file ${path} is empty`)
  return { bytes, value }
}

export type TlsPaths = { cert: string; key: string; ca: string }

/**
 * The TLS files, checked the way the TLS handshake will use them: PEM certificates, a private
 * key that matches the certificate.
 * @returns the bytes read, to tell later whether they changed
 * @throws CredentialFileError naming the file and what is wrong with it
 */
export function checkTlsFiles(tls: TlsPaths): Uint8Array[] {
  const files: Uint8Array[] = []
  let certificate: X509Certificate | undefined
  if (tls.cert !== '' && tls.key === '') throw new CredentialFileError(`the TLS client certificate ${tls.cert} has no key file: give its private key too`)
  if (tls.key !== '' && tls.cert === '') throw new CredentialFileError(`the TLS client key ${tls.key} has no certificate file: give the certificate too`)
  if (tls.cert !== '') {
    const bytes = read(tls.cert, 'TLS client certificate')
    certificate = certificateOf(bytes, tls.cert, 'TLS client certificate')
    files.push(bytes)
  }
  if (tls.key !== '') {
    const bytes = read(tls.key, 'TLS client key')
    let key
    try {
      key = createPrivateKey(bytes)
    } catch (err) {
      throw new CredentialFileError(`TLS client key ${tls.key} is not a PEM private key`, { cause: err })
    }
    if (certificate !== undefined && !certificate.checkPrivateKey(key)) {
      throw new CredentialFileError(`TLS client key ${tls.key} is not the key of the certificate ${tls.cert}`)
    }
    files.push(bytes)
  }
  if (tls.ca !== '') {
    const bytes = read(tls.ca, 'TLS CA file')
    certificateOf(bytes, tls.ca, 'TLS CA file')
    files.push(bytes)
  }
  return files
}

function certificateOf(bytes: Buffer, path: string, what: string): X509Certificate {
  try {
    return new X509Certificate(bytes)
  } catch (err) {
    throw new CredentialFileError(`${what} ${path} is not a PEM certificate`, { cause: err })
  }
}

/** As ssh warns of private keys others can read: the warning for such a file, or null. */
export function looseModeWarning(path: string, what: string): string | null {
  let mode: number
  try {
    mode = statSync(path).mode & 0o777
  } catch {
    return null
  }
  if ((mode & 0o077) === 0) return null
  return `${what} ${path} can be read by ${mode & 0o007 ? 'every user' : 'its group'} (mode ${mode.toString(8).padStart(4, '0')}): anyone who reads it can connect as this NATS user; run chmod 600 ${path}`
}
