/**
 * Fast JWT minting for tests and benchmarks on node:crypto (tweetnacl signs ~65/s here): keys,
 * account/operator/user/generic claims with any iat/exp/nbf/jti, v1 and v2 layouts.
 * @module
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Prefix } from '@nats-io/nkeys'
import { Codec } from '@nats-io/nkeys/lib/codec.js'

export type Signer = { publicKey: string; sign(data: Buffer): Buffer; seed?: string }
export type KeyKind = 'operator' | 'account' | 'user'

const PREFIX: Record<KeyKind, Prefix> = {
  operator: Prefix.Operator,
  account: Prefix.Account,
  user: Prefix.User,
}
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

function signerFromRaw(kind: KeyKind, seed32: Uint8Array): Signer {
  const privateKey: KeyObject = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed32]),
    format: 'der',
    type: 'pkcs8',
  })
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
  const publicKey = new TextDecoder().decode(Codec.encode(PREFIX[kind], spki.subarray(-32)))
  return {
    publicKey,
    sign: (data) => sign(null, data, privateKey),
    seed: new TextDecoder().decode(Codec.encodeSeed(PREFIX[kind], seed32)),
  }
}

/** A fresh key of the given kind. */
export function newKey(kind: KeyKind): Signer {
  const { privateKey } = generateKeyPairSync('ed25519')
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' }) as Buffer
  return signerFromRaw(kind, pkcs8.subarray(-32))
}

/** A signer from an nkey seed string (`SO…`, `SA…`, `SU…`), e.g. the fixtures' `seeds/*.nk`. */
export function signerFromSeed(seed: string): Signer {
  const { buf, prefix } = Codec.decodeSeed(new TextEncoder().encode(seed.trim()))
  const kind = (Object.keys(PREFIX) as KeyKind[]).find((k) => PREFIX[k] === prefix)
  if (kind === undefined) throw new Error(`not an operator, account or user seed: prefix ${prefix}`)
  return signerFromRaw(kind, buf)
}

/** The operator signing key of a fixture set (`<dir>/seeds/operator-sk.nk`). */
export function operatorSigningKey(fixtureDir: string): Signer {
  return signerFromSeed(readFileSync(join(fixtureDir, 'seeds', 'operator-sk.nk'), 'utf8'))
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

export type MintOptions = {
  iat?: number
  exp?: number
  nbf?: number
  jti?: string
  name?: string
  /** 1 writes the v1 layout (top-level `type`, header alg "ed25519", payload-only signature). */
  version?: 1 | 2
  /** Extra top-level claims (aud, tags...). */
  extra?: Record<string, unknown>
}

/** Signs a NATS JWT of any kind; `nats` is the type-specific body. */
export function mintJwt(
  kind: string,
  subject: string,
  signer: Signer,
  nats: Record<string, unknown>,
  options: MintOptions = {},
): string {
  const version = options.version ?? 2
  const claims: Record<string, unknown> = {
    jti: '',
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    iss: signer.publicKey,
    name: options.name ?? subject.slice(0, 8),
    sub: subject,
    ...(options.exp !== undefined ? { exp: options.exp } : {}),
    ...(options.nbf !== undefined ? { nbf: options.nbf } : {}),
    ...options.extra,
  }
  if (version === 1) {
    claims.type = kind
    claims.nats = nats
  } else {
    claims.nats = { ...nats, type: kind, version: 2 }
  }
  claims.jti =
    options.jti ??
    createHash('sha256').update(JSON.stringify(claims)).update(String(Math.random())).digest('base64url').slice(0, 43)
  const header = b64({ typ: 'JWT', alg: version === 1 ? 'ed25519' : 'ed25519-nkey' })
  const payload = b64(claims)
  const input = version === 1 ? payload : `${header}.${payload}`
  return `${header}.${payload}.${signer.sign(Buffer.from(input)).toString('base64url')}`
}

/** Limits as nsc writes them: everything unlimited (a missing `limits` means 0 to nats-server). */
export const UNLIMITED = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
}

export function mintAccount(
  subject: string,
  signer: Signer,
  options: MintOptions & { nats?: Record<string, unknown> } = {},
): string {
  return mintJwt(
    'account',
    subject,
    signer,
    { limits: UNLIMITED, default_permissions: { pub: {}, sub: {} }, ...options.nats },
    options,
  )
}

export function mintOperator(
  signer: Signer,
  options: MintOptions & { nats?: Record<string, unknown> } = {},
): string {
  return mintJwt('operator', signer.publicKey, signer, { ...options.nats }, options)
}

/** A user JWT; pass `issuerAccount` when `signer` is an account signing key. */
export function mintUser(
  subject: string,
  signer: Signer,
  options: MintOptions & { issuerAccount?: string } = {},
): string {
  const nats: Record<string, unknown> = { pub: {}, sub: {}, subs: -1, data: -1, payload: -1 }
  if (options.issuerAccount) nats.issuer_account = options.issuerAccount
  return mintJwt('user', subject, signer, nats, options)
}

/** The `.creds` file format nsc writes and NATS clients read. */
export function formatCreds(userJwt: string, userSeed: string): string {
  return `-----BEGIN NATS USER JWT-----
${userJwt}
------END NATS USER JWT------

************************* IMPORTANT *************************
NKEY Seed printed below can be used to sign and prove identity.
NKEYs are sensitive and should be treated as secrets.

-----BEGIN USER NKEY SEED-----
${userSeed}
------END USER NKEY SEED------

*************************************************************
`
}
