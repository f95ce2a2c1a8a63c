/**
 * Every finding code with JWTs that trigger it and JWTs that do not, through the incremental
 * index the server keeps (a change recomputes the account and those that name it).
 */
import { describe, expect, it } from 'vitest'
import { CheckIndex, FINDING_CODES, type CheckContext, type Finding } from '../../src/checks/index.js'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { parseOperator } from '../../src/jwt/trust.js'
import type { StoredAccount } from '../../src/jwt/types.js'
import { mintAccount, mintJwt, mintOperator, newKey, type Signer } from '../helpers/mint.js'

const operator = newKey('operator')
const signingKey = newKey('operator')
const trust = parseOperator(mintOperator(operator, { name: 'OP', nats: { signing_keys: [signingKey.publicKey] } }), 'test')
const now = Math.floor(Date.now() / 1000)
const DAY = 86_400
const context: CheckContext = { nowSeconds: now, expiringWithinSeconds: 7 * DAY, trust, servers: [] }

function stored(jwt: string): StoredAccount {
  return { ...readStoredMeta(jwt), jwt }
}

type Minted = { key: Signer; name: string; jwt: (nats?: Record<string, unknown>, options?: { exp?: number; signer?: Signer }) => StoredAccount }

function account(name: string): Minted {
  const key = newKey('account')
  return { key, name, jwt: (nats = {}, options = {}) => stored(mintAccount(key.publicKey, options.signer ?? signingKey, { name, nats, exp: options.exp })) }
}

function activation(issuer: Signer, subject: string, importSubject: string, options: { exp?: number; issuerAccount?: string } = {}): string {
  const nats: Record<string, unknown> = { subject: importSubject, kind: 'stream' }
  if (options.issuerAccount) nats.issuer_account = options.issuerAccount
  return mintJwt('activation', subject, issuer, nats, { exp: options.exp })
}

function codes(findings: Finding[]): string[] {
  return findings.map((f) => f.code).sort()
}

function indexOf(...accounts: StoredAccount[]): CheckIndex {
  const index = new CheckIndex()
  index.load(accounts)
  return index
}

const exporter = account('exporter')
const importer = account('importer')
const streamExport = (subject: string, tokenRequired = false) => ({ exports: [{ subject, type: 'stream', ...(tokenRequired ? { token_req: true } : {}) }] })
const streamImport = (subject: string, token?: string) => ({ imports: [{ account: exporter.key.publicKey, subject, type: 'stream', ...(token ? { token } : {}) }] })

const callout = account('callout')
const authUser = newKey('user').publicKey
const authorization = (allowed: string[]) => ({ authorization: { auth_users: [authUser], allowed_accounts: allowed } })

describe('cross-account checks', () => {
  it('import-exporter-missing: the exporting account is not stored', () => {
    const index = indexOf(importer.jwt(streamImport('orders.>')))
    const [finding] = index.findings(importer.key.publicKey, context)
    expect(finding).toMatchObject({ code: 'import-exporter-missing', severity: 'error', account: importer.key.publicKey, other: exporter.key.publicKey, subject: 'orders.>' })
    expect(finding!.message).toContain('"importer"')
    expect(finding!.message).toContain(exporter.key.publicKey)
    expect(codes(indexOf(importer.jwt(streamImport('orders.>')), exporter.jwt(streamExport('orders.>'))).findings(importer.key.publicKey, context))).toEqual([])
  })

  it('import-not-exported: the exporter does not export the subject (or not of that kind)', () => {
    const index = indexOf(importer.jwt(streamImport('orders.>')), exporter.jwt(streamExport('billing.>')))
    const [finding] = index.findings(importer.key.publicKey, context)
    expect(finding).toMatchObject({ code: 'import-not-exported', severity: 'error', subject: 'orders.>' })
    expect(finding!.message).toMatch(/account "importer" \(A\w+\) imports stream "orders\.>" from "exporter" \(A\w+\), which does not export it/)
    const service = indexOf(importer.jwt(streamImport('orders.x')), exporter.jwt({ exports: [{ subject: 'orders.*', type: 'service' }] }))
    expect(codes(service.findings(importer.key.publicKey, context))).toEqual(['import-not-exported'])
    const contained = indexOf(importer.jwt(streamImport('orders.eu.new')), exporter.jwt(streamExport('orders.>')))
    expect(contained.findings(importer.key.publicKey, context)).toEqual([])
  })

  it('import-token-missing: the export requires a token, the import has none', () => {
    const index = indexOf(importer.jwt(streamImport('orders.>')), exporter.jwt(streamExport('orders.>', true)))
    expect(codes(index.findings(importer.key.publicKey, context))).toEqual(['import-token-missing'])
    const token = activation(exporter.key, importer.key.publicKey, 'orders.>')
    const withToken = indexOf(importer.jwt(streamImport('orders.>', token)), exporter.jwt(streamExport('orders.>', true)))
    expect(withToken.findings(importer.key.publicKey, context)).toEqual([])
  })

  it('import-token-expired: the activation token has expired (it expires while stored)', () => {
    const expired = activation(exporter.key, importer.key.publicKey, 'orders.>', { exp: now - 60 })
    const index = indexOf(importer.jwt(streamImport('orders.>', expired)), exporter.jwt(streamExport('orders.>', true)))
    const [finding] = index.findings(importer.key.publicKey, context)
    expect(finding).toMatchObject({ code: 'import-token-expired', severity: 'error', other: exporter.key.publicKey })
    const later = activation(exporter.key, importer.key.publicKey, 'orders.>', { exp: now + 3600 })
    const valid = indexOf(importer.jwt(streamImport('orders.>', later)), exporter.jwt(streamExport('orders.>', true)))
    expect(valid.findings(importer.key.publicKey, context)).toEqual([])
    expect(codes(valid.findings(importer.key.publicKey, { ...context, nowSeconds: now + 7200 }))).toEqual(['import-token-expired'])
  })

  it('import-token-wrong-account: issued for another account, or signed by a key that is not the exporter', () => {
    const other = newKey('account')
    const forOther = activation(exporter.key, other.publicKey, 'orders.>')
    const index = indexOf(importer.jwt(streamImport('orders.>', forOther)), exporter.jwt(streamExport('orders.>', true)))
    expect(index.findings(importer.key.publicKey, context)[0]!.message).toContain(`issued for another account, ${other.publicKey}`)
    const stranger = newKey('account')
    const byStranger = activation(stranger, importer.key.publicKey, 'orders.>', { issuerAccount: exporter.key.publicKey })
    const wrongSigner = indexOf(importer.jwt(streamImport('orders.>', byStranger)), exporter.jwt(streamExport('orders.>', true)))
    expect(codes(wrongSigner.findings(importer.key.publicKey, context))).toEqual(['import-token-wrong-account'])
    // Signed by one of the exporter's signing keys, with issuer_account: fine.
    const exporterSigningKey = newKey('account')
    const bySigningKey = activation(exporterSigningKey, importer.key.publicKey, 'orders.>', { issuerAccount: exporter.key.publicKey })
    const fine = indexOf(importer.jwt(streamImport('orders.>', bySigningKey)), exporter.jwt({ ...streamExport('orders.>', true), signing_keys: [exporterSigningKey.publicKey] }))
    expect(fine.findings(importer.key.publicKey, context)).toEqual([])
  })

  it('auth-allowed-account-missing, auth-allowed-account-expired, auth-allowed-any', () => {
    const target = account('tenant')
    const missing = indexOf(callout.jwt(authorization([target.key.publicKey])))
    expect(missing.findings(callout.key.publicKey, context)[0]).toMatchObject({ code: 'auth-allowed-account-missing', severity: 'warning', other: target.key.publicKey, field: 'authorization.allowed_accounts' })
    const expired = indexOf(callout.jwt(authorization([target.key.publicKey])), target.jwt({}, { exp: now - 10 }))
    expect(codes(expired.findings(callout.key.publicKey, context))).toEqual(['auth-allowed-account-expired'])
    const any = indexOf(callout.jwt(authorization(['*'])))
    expect(any.findings(callout.key.publicKey, context)[0]).toMatchObject({ code: 'auth-allowed-any', severity: 'warning' })
    const fine = indexOf(callout.jwt(authorization([target.key.publicKey])), target.jwt())
    expect(fine.findings(callout.key.publicKey, context)).toEqual([])
  })

  it('issuer-not-trusted: signed by a key the operator no longer lists (or its identity key under strict)', () => {
    const retired = newKey('operator')
    const a = account('orphan')
    expect(indexOf(a.jwt({}, { signer: retired })).findings(a.key.publicKey, context)[0]).toMatchObject({ code: 'issuer-not-trusted', severity: 'error', field: 'iss' })
    expect(indexOf(a.jwt({}, { signer: operator })).findings(a.key.publicKey, context)).toEqual([])
    const strict = parseOperator(mintOperator(operator, { name: 'OP', nats: { signing_keys: [signingKey.publicKey], strict_signing_key_usage: true } }), 'test')
    const identitySigned = indexOf(a.jwt({}, { signer: operator })).findings(a.key.publicKey, { ...context, trust: strict })
    expect(identitySigned[0]!.message).toContain('strict_signing_key_usage')
    expect(indexOf(a.jwt({}, { signer: retired })).findings(a.key.publicKey, { ...context, trust: null })).toEqual([])
  })

  it('account-expiring (window configurable) and account-expired', () => {
    const a = account('short-lived')
    expect(indexOf(a.jwt({}, { exp: now + 2 * DAY })).findings(a.key.publicKey, context)[0]).toMatchObject({ code: 'account-expiring', severity: 'warning', field: 'exp' })
    expect(indexOf(a.jwt({}, { exp: now + 2 * DAY })).findings(a.key.publicKey, { ...context, expiringWithinSeconds: DAY })).toEqual([])
    expect(indexOf(a.jwt({}, { exp: now + 30 * DAY })).findings(a.key.publicKey, context)).toEqual([])
    expect(indexOf(a.jwt({}, { exp: now - 1 })).findings(a.key.publicKey, context)[0]).toMatchObject({ code: 'account-expired', severity: 'error' })
    expect(indexOf(a.jwt()).findings(a.key.publicKey, context)).toEqual([])
  })

  it('feature-needs-newer-server: names the field, the version and the older servers', () => {
    const a = account('modern')
    const fleet = [
      { name: 'n1', version: '2.9.10' },
      { name: 'n2', version: '2.10.22' },
      { name: 'n3', version: '2.11.0' },
    ]
    const index = indexOf(a.jwt({ ...authorization([]), trace: { dest: 'trace.out' }, cluster_traffic: 'owner' }))
    const found = index.findings(a.key.publicKey, { ...context, servers: fleet })
    expect(found.map((f) => [f.code, f.field])).toEqual([
      ['feature-needs-newer-server', 'authorization'],
      ['feature-needs-newer-server', 'trace'],
      ['feature-needs-newer-server', 'cluster_traffic'],
    ])
    expect(found[0]!.message).toContain('2.10.0')
    expect(found[0]!.message).toContain('n1 (2.9.10)')
    expect(found[0]!.message).not.toContain('n2')
    expect(found[1]!.message).toContain('n1 (2.9.10), n2 (2.10.22)')
    expect(index.findings(a.key.publicKey, { ...context, servers: [{ name: 'n3', version: '2.11.0' }] })).toEqual([])
    expect(indexOf(a.jwt()).findings(a.key.publicKey, { ...context, servers: fleet })).toEqual([])
  })

  it('covers every code', () => {
    expect(Object.keys(FINDING_CODES).sort()).toEqual([
      'account-expired',
      'account-expiring',
      'auth-allowed-account-expired',
      'auth-allowed-account-missing',
      'auth-allowed-any',
      'feature-needs-newer-server',
      'import-exporter-missing',
      'import-not-exported',
      'import-token-expired',
      'import-token-missing',
      'import-token-wrong-account',
      'issuer-not-trusted',
    ])
  })
})

describe('the incremental index', () => {
  it('recomputes the importers when the exporter changes, and reports what appeared and resolved', () => {
    const index = indexOf(importer.jwt(streamImport('orders.>')), exporter.jwt(streamExport('orders.>')))
    expect(index.findings(importer.key.publicKey, context)).toEqual([])
    const dropped = index.set(exporter.key.publicKey, exporter.jwt(streamExport('billing.>')))
    expect(codes(dropped.appeared)).toEqual(['import-not-exported'])
    expect(index.findingsNaming(exporter.key.publicKey, context)[0]).toMatchObject({ account: importer.key.publicKey })
    const deleted = index.set(exporter.key.publicKey, null)
    expect(codes(deleted.appeared)).toEqual(['import-exporter-missing'])
    expect(codes(deleted.resolved)).toEqual(['import-not-exported'])
    const back = index.set(exporter.key.publicKey, exporter.jwt(streamExport('orders.>')))
    expect(codes(back.resolved)).toEqual(['import-exporter-missing'])
    expect([...index.all(context)]).toEqual([])
  })

  it('counts findings by code, every code present', () => {
    const index = indexOf(importer.jwt(streamImport('orders.>')), callout.jwt(authorization(['*'])))
    const counts = index.counts(context)
    expect(counts['import-exporter-missing']).toBe(1)
    expect(counts['auth-allowed-any']).toBe(1)
    expect(Object.keys(counts)).toHaveLength(Object.keys(FINDING_CODES).length)
  })
})
