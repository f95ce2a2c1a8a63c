import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { accountClaimIssues } from '../../../src/jwt/claims/index.js'
import { decodeJwt } from '../../../src/jwt/decode.js'
import type { ClaimsData } from '../../../src/jwt/types.js'
import {
  EXPORTER,
  EXPORTER_SK,
  FIXTURES,
  LIMITS,
  NOW,
  OTHER_ACCOUNT,
  USER,
  XKEY,
  account,
  accountV1,
  activation,
  activationV1,
  blocking,
  exporterSigningKp,
  serviceImport,
  streamImport,
} from './helpers.js'

describe('accountClaimIssues: valid claims', () => {
  it.each([
    { title: 'the nsc base claim', claims: account() },
    {
      title: 'a claim using every section',
      claims: account({
        imports: [
          streamImport({ local_subject: 'mine.>', allow_trace: true }),
          serviceImport({ token: activation(), local_subject: 'local.a', share: true }),
          serviceImport({
            subject: 'svc.b.*',
            local_subject: 'other.$1',
            account: EXPORTER,
            token: activation(
              { subject: 'svc.b.*', issuer_account: EXPORTER },
              {},
              exporterSigningKp,
            ),
          }),
          streamImport({ subject: 'feed.x', account: EXPORTER, token: activationV1() }),
        ],
        exports: [
          {
            name: 's',
            subject: 'svc.*',
            type: 'service',
            response_type: 'Stream',
            response_threshold: 1e9,
          },
          {
            subject: 'acct.*.req',
            type: 'service',
            account_token_position: 2,
            service_latency: { sampling: 'headers', results: 'lat.results' },
            allow_trace: true,
            description: 'a service',
            info_url: 'https://user@example.com:8080/docs?x=1#top',
          },
          { subject: 'events.>', type: 'stream', token_req: true, revocations: { [USER]: NOW } },
        ],
        limits: { ...LIMITS, tiered_limits: { R1: { mem_storage: -1, disk_storage: -1 } } },
        signing_keys: [
          EXPORTER_SK,
          {
            kind: 'user_scope',
            key: OTHER_ACCOUNT,
            role: 'dev',
            template: { pub: { allow: ['a'] }, src: '10.0.0.0/8' },
          },
        ],
        default_permissions: {
          pub: { allow: ['a.>'], deny: ['a.b'] },
          sub: { allow: ['q.> workers'] },
        },
        mappings: {
          'orders.*': [
            { subject: 'orders.{{wildcard(1)}}', weight: 40 },
            { subject: 'legacy', weight: 60 },
          ],
          // one uint8 sum of 300 wraps to 44 in old releases; per cluster each is 100
          tier: [
            { subject: 'a', cluster: 'c1' },
            { subject: 'b', cluster: 'c2' },
            { subject: 'c', cluster: 'c3' },
          ],
        },
        authorization: { auth_users: [USER], allowed_accounts: ['*'], xkey: XKEY },
        trace: { dest: 'trace.dest', sampling: 50 },
        cluster_traffic: 'owner',
        description: 'desc',
        info_url: 'http://[::1]:80/x',
      }),
    },
    {
      title: 'a v1 claim',
      claims: accountV1({ limits: LIMITS, signing_keys: [EXPORTER_SK], imports: [streamImport()] }),
    },
    {
      title: 'a v1 claim ignores v2-only fields',
      claims: accountV1({ limits: LIMITS, cluster_traffic: 'bad' }),
    },
    { title: 'unknown fields', claims: account({ something: { new: true } }, { extra: [1] }) },
  ])('$title has no issues', ({ claims }) => {
    expect(accountClaimIssues(claims, NOW)).toEqual([])
  })
})



describe('accountClaimIssues: violations', () => {
  it('reports the import limit twice when limits are set, once when they are missing', () => {
    const count = (claims: ClaimsData): number => blocking(accountClaimIssues(claims, NOW)).length
    expect(count(account({ limits: { ...LIMITS, imports: 0 }, imports: [streamImport()] }))).toBe(2)
    expect(count(account({ limits: undefined, imports: [streamImport()] }))).toBe(1)
  })

  it('stops at loading problems like Go, whose decoder fails first', () => {
    const claims = account({ limits: { imports: 'x' }, imports: [null] }, { exp: 1 })
    expect(accountClaimIssues(claims, NOW)).toEqual([
      {
        description: 'json: cannot unmarshal string into nats.limits.imports of type int64',
        blocking: true,
        timeCheck: false,
      },
    ])
  })
})

describe('accountClaimIssues: time checks', () => {
  it.each([
    { title: 'expired', top: { exp: NOW - 1 }, description: 'claim is expired' },
    { title: 'not yet valid', top: { nbf: NOW + 1 }, description: 'claim is not yet valid' },
  ])('$title', ({ top, description }) => {
    const issue = { description, blocking: false, timeCheck: true }
    expect(accountClaimIssues(account({}, top), NOW)).toEqual([issue])
  })

  it.each([
    { title: 'exp = now', top: { exp: NOW } },
    { title: 'nbf = now', top: { nbf: NOW } },
  ])('$title is still valid', ({ top }) => {
    expect(accountClaimIssues(account({}, top), NOW)).toEqual([])
  })
})

describe('accountClaimIssues on the Go-made fixtures', () => {
  const now = Math.floor(Date.now() / 1000)
  const files = (set: string, folder: string): string[] =>
    readdirSync(path.join(FIXTURES, set, folder))
      .filter((f) => f.endsWith('.jwt'))
      .map((f) => path.join(FIXTURES, set, folder, f))
  const claimsOf = (file: string): ClaimsData => decodeJwt(readFileSync(file, 'utf8')).claims

  it.each(['standard', 'strict'].flatMap((set) => files(set, 'accounts')))('accepts %s', (file) => {
    expect(accountClaimIssues(claimsOf(file), now)).toEqual([])
  })

  it.each(['standard', 'strict'])('%s: rejects/expired.jwt is expired', (set) => {
    const claims = claimsOf(path.join(FIXTURES, set, 'rejects', 'expired.jwt'))
    expect(accountClaimIssues(claims, now)).toEqual([
      { description: 'claim is expired', blocking: false, timeCheck: true },
    ])
  })

  it.each(['standard', 'strict'])('%s: rejects/not-yet-valid.jwt is not yet valid', (set) => {
    const claims = claimsOf(path.join(FIXTURES, set, 'rejects', 'not-yet-valid.jwt'))
    expect(accountClaimIssues(claims, now)).toEqual([
      { description: 'claim is not yet valid', blocking: false, timeCheck: true },
    ])
  })

  it.each(['standard', 'strict'])('%s: other rejects have no blocking claim issue', (set) => {
    for (const file of files(set, 'rejects')) {
      let claims: ClaimsData
      try {
        claims = claimsOf(file)
      } catch {
        continue // garbage.jwt is not a JWT
      }
      expect(blocking(accountClaimIssues(claims, now)), file).toEqual([])
    }
  })
})
