/** Claims, imports, exports and signed activation tokens for the claim-rule tests, and the row runner. */
import {
  createAccount,
  createCurve,
  createOperator,
  createUser,
  type KeyPair,
} from '@nats-io/nkeys'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { accountClaimIssues, type ClaimIssue } from '../../../src/jwt/claims/index.js'
import type { ClaimsData } from '../../../src/jwt/types.js'
import { UNLIMITED } from '../../helpers/mint.js'

export const NOW = 1_800_000_000
export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures')

export const operator = createOperator()
export const accountKp = createAccount()
export const exporterKp = createAccount()
export const exporterSigningKp = createAccount()
export const ACCOUNT = accountKp.getPublicKey()
export const EXPORTER = exporterKp.getPublicKey()
export const EXPORTER_SK = exporterSigningKp.getPublicKey()
export const userKp = createUser()
export const USER = userKp.getPublicKey()
export const XKEY = createCurve().getPublicKey()
export const OTHER_ACCOUNT = createAccount().getPublicKey()

export type Json = Record<string, unknown>

export function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

export function sign(payload: Json, kp: KeyPair): string {
  const input = `${b64({ typ: 'JWT', alg: 'ed25519-nkey' })}.${b64(payload)}`
  return `${input}.${Buffer.from(kp.sign(Buffer.from(input))).toString('base64url')}`
}

export function activation(nats: Json = {}, top: Json = {}, kp: KeyPair = exporterKp): string {
  return sign(
    {
      jti: 'ACT',
      iat: NOW,
      iss: kp.getPublicKey(),
      sub: ACCOUNT,
      nats: { subject: 'svc.>', kind: 'service', type: 'activation', version: 2, ...nats },
      ...top,
    },
    kp,
  )
}

/** Flips one character in the middle of the signature. */
export function tamper(token: string): string {
  const at = token.length - 20
  return `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`
}

/** A v1 activation: `type` at the top level, the import type in `nats.type`, payload signed. */
export function activationV1(): string {
  const payload = b64({
    jti: 'ACT1',
    iat: NOW,
    iss: EXPORTER,
    sub: ACCOUNT,
    type: 'activation',
    nats: { subject: 'feed.>', type: 'stream' },
  })
  const header = b64({ typ: 'JWT', alg: 'ed25519' })
  const signature = Buffer.from(exporterKp.sign(Buffer.from(payload))).toString('base64url')
  return `${header}.${payload}.${signature}`
}

/** What nsc writes: every limit unlimited, empty default permissions. */
export const LIMITS = UNLIMITED

export function account(nats: Json = {}, top: Json = {}): ClaimsData {
  return {
    jti: 'JTI',
    iat: NOW - 60,
    iss: operator.getPublicKey(),
    name: 'A',
    sub: ACCOUNT,
    nats: {
      limits: LIMITS,
      default_permissions: { pub: {}, sub: {} },
      type: 'account',
      version: 2,
      ...nats,
    },
    ...top,
  }
}

export function accountV1(nats: Json = {}): ClaimsData {
  const iss = operator.getPublicKey()
  return { jti: 'JTI', iat: NOW - 60, iss, name: 'A', sub: ACCOUNT, type: 'account', nats }
}

export const streamImport = (extra: Json = {}): Json => ({
  name: 'feed',
  subject: 'feed.>',
  account: EXPORTER,
  type: 'stream',
  ...extra,
})
export const serviceImport = (extra: Json = {}): Json => ({
  name: 'svc',
  subject: 'svc.a',
  account: EXPORTER,
  type: 'service',
  ...extra,
})
export const ACCOUNT_NATS = { type: 'account', version: 2 }
export const imports = (...list: unknown[]): ClaimsData => account({ imports: list })
export const exports = (...list: unknown[]): ClaimsData => account({ exports: list })
export const mappings = (value: Json): ClaimsData => account({ mappings: value })
export const authorization = (value: Json): ClaimsData => account({ authorization: value })
export const longText = 'x'.repeat(8 * 1024 + 1)

export const blocking = (issues: ClaimIssue[]): ClaimIssue[] => issues.filter((i) => i.blocking)

export type Row = { title: string; claims: ClaimsData; description: string; blocking?: boolean }

/** Each row's claim gets the issue it describes. */
export function itReports(rows: Row[]): void {
  it.each(rows)('$title', ({ claims, description, blocking = true }) => {
    const issue = { description, blocking, timeCheck: false }
    expect(accountClaimIssues(claims, NOW)).toContainEqual(issue)
  })
}
