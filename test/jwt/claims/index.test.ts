import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  createAccount,
  createCurve,
  createOperator,
  createUser,
  type KeyPair,
} from '@nats-io/nkeys'
import { describe, expect, it } from 'vitest'
import { decodeJwt } from '../../../src/jwt/decode.js'
import type { ClaimsData } from '../../../src/jwt/types.js'
import { accountClaimIssues, type ClaimIssue } from '../../../src/jwt/claims/index.js'
import { UNLIMITED } from '../../helpers/mint.js'

const NOW = 1_800_000_000
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures')

const operator = createOperator()
const accountKp = createAccount()
const exporterKp = createAccount()
const exporterSigningKp = createAccount()
const ACCOUNT = accountKp.getPublicKey()
const EXPORTER = exporterKp.getPublicKey()
const EXPORTER_SK = exporterSigningKp.getPublicKey()
const userKp = createUser()
const USER = userKp.getPublicKey()
const XKEY = createCurve().getPublicKey()
const OTHER_ACCOUNT = createAccount().getPublicKey()

type Json = Record<string, unknown>

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

function sign(payload: Json, kp: KeyPair): string {
  const input = `${b64({ typ: 'JWT', alg: 'ed25519-nkey' })}.${b64(payload)}`
  return `${input}.${Buffer.from(kp.sign(Buffer.from(input))).toString('base64url')}`
}

function activation(nats: Json = {}, top: Json = {}, kp: KeyPair = exporterKp): string {
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
function tamper(token: string): string {
  const at = token.length - 20
  return `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`
}

/** A v1 activation: `type` at the top level, the import type in `nats.type`, payload signed. */
function activationV1(): string {
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
const LIMITS = UNLIMITED

function account(nats: Json = {}, top: Json = {}): ClaimsData {
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

function accountV1(nats: Json = {}): ClaimsData {
  const iss = operator.getPublicKey()
  return { jti: 'JTI', iat: NOW - 60, iss, name: 'A', sub: ACCOUNT, type: 'account', nats }
}

const streamImport = (extra: Json = {}): Json => ({
  name: 'feed',
  subject: 'feed.>',
  account: EXPORTER,
  type: 'stream',
  ...extra,
})
const serviceImport = (extra: Json = {}): Json => ({
  name: 'svc',
  subject: 'svc.a',
  account: EXPORTER,
  type: 'service',
  ...extra,
})
const ACCOUNT_NATS = { type: 'account', version: 2 }
const imports = (...list: unknown[]): ClaimsData => account({ imports: list })
const exports = (...list: unknown[]): ClaimsData => account({ exports: list })
const mappings = (value: Json): ClaimsData => account({ mappings: value })
const authorization = (value: Json): ClaimsData => account({ authorization: value })
const longText = 'x'.repeat(8 * 1024 + 1)

const blocking = (issues: ClaimIssue[]): ClaimIssue[] => issues.filter((i) => i.blocking)

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

type Row = { title: string; claims: ClaimsData; description: string; blocking?: boolean }

const rows: Row[] = [
  // Loading (JSON types and layout version): Go cannot decode the claim at all
  {
    title: 'a limit of the wrong JSON type',
    claims: account({ limits: { ...LIMITS, imports: '5' } }),
    description: 'json: cannot unmarshal string into nats.limits.imports of type int64',
  },
  {
    title: 'a non-integer limit',
    claims: account({ limits: { ...LIMITS, conn: 1.5 } }),
    description: 'json: cannot unmarshal number 1.5 into nats.limits.conn of type int64',
  },
  {
    title: 'an unknown import type',
    claims: imports(streamImport({ type: 'feed' })),
    description: 'nats.imports[0].type: unknown export type "feed"',
  },
  {
    title: 'a null import type',
    claims: imports(streamImport({ type: null })),
    description: 'nats.imports[0].type: unknown export type ""',
  },
  {
    title: 'a mapping weight over 255',
    claims: mappings({ a: [{ subject: 'b', weight: 300 }] }),
    description: 'json: cannot unmarshal number 300 into nats.mappings.a[0].weight of type uint8',
  },
  {
    title: 'an unknown signing key scope',
    claims: account({ signing_keys: [{ kind: 'role', key: EXPORTER_SK }] }),
    description: 'nats.signing_keys[0]: unknown signing key scope "role"',
  },
  {
    title: 'a bad scope template',
    claims: account({
      signing_keys: [{ kind: 'user_scope', key: EXPORTER_SK, template: { src: 5 } }],
    }),
    description:
      'json: cannot unmarshal number 5 into nats.signing_keys[0].template.src of type cidrs',
  },
  {
    title: 'a string exp',
    claims: account({}, { exp: 'tomorrow' }),
    description: 'json: cannot unmarshal string into exp of type int64',
  },
  {
    title: 'a v1 scoped signing key',
    claims: accountV1({ signing_keys: [{ kind: 'user_scope', key: EXPORTER_SK }] }),
    description: 'json: cannot unmarshal object into nats.signing_keys[0] of type string',
  },
  {
    title: 'a v2 claim without nats.version',
    claims: account({ version: undefined }),
    description: 'library supports version 2 or less - received 0',
  },
  // Warnings
  {
    title: 'the deprecated to field',
    claims: imports(streamImport({ to: 'mine.>' })),
    description: 'the field to has been deprecated (use LocalSubject instead)',
    blocking: false,
  },
  {
    title: 'limits in a self-signed claim',
    claims: account({}, { iss: ACCOUNT }),
    description: "self-signed account JWTs shouldn't contain operator limits",
    blocking: false,
  },
  // Imports
  { title: 'a null import', claims: imports(null), description: 'null import is not allowed' },
  {
    title: 'an import without type',
    claims: imports(streamImport({ type: undefined })),
    description: 'invalid import type: "unknown"',
  },
  {
    title: 'allow_trace on a service import (v2.5.4)',
    claims: imports(serviceImport({ allow_trace: true })),
    description: 'AllowTrace only valid for stream import',
  },
  {
    title: 'an import without account',
    claims: imports(streamImport({ account: '' })),
    description: 'account to import from is not specified',
  },
  {
    title: 'an empty subject',
    claims: imports(streamImport({ subject: '' })),
    description: 'subject cannot be empty',
  },
  {
    title: 'a subject with a space',
    claims: imports(streamImport({ subject: 'a b' })),
    description: 'subject "a b" cannot have spaces',
  },
  {
    title: 'consecutive dots (v2.5.4)',
    claims: imports(streamImport({ subject: 'a..b' })),
    description: 'subject "a..b" cannot contain consecutive `.`',
  },
  {
    title: 'a leading dot (v2.5.4)',
    claims: imports(streamImport({ subject: '.a' })),
    description: 'subject ".a" cannot start or end with a `.`',
  },
  {
    title: 'a trailing dot (v2.5.4)',
    claims: imports(streamImport({ subject: 'a.' })),
    description: 'subject "a." cannot start or end with a `.`',
  },
  {
    title: 'control characters quoted like Go',
    claims: imports(streamImport({ subject: 'a\tb\u0001 c' })),
    description: 'subject "a\\tb\\x01 c" cannot have spaces',
  },
  {
    title: 'local_subject with to',
    claims: imports(streamImport({ to: 'x.>', local_subject: 'y.>' })),
    description: 'Local Subject replaces To',
  },
  {
    title: 'local_subject without the trailing >',
    claims: imports(streamImport({ local_subject: 'mine' })),
    description: 'both, renaming subject and subject, need to end or not end in >',
  },
  {
    title: 'a reference to a missing wildcard',
    claims: imports(serviceImport({ subject: 'a.*', local_subject: 'b.$2' })),
    description: 'Reference $2 in "b.$2" reference * in "a.*" that do not exist',
  },
  {
    title: 'too few wildcards in local_subject',
    claims: imports(serviceImport({ subject: 'a.*.*', local_subject: 'b.$1' })),
    description: 'subject does not contain enough * or reference wildcards $[0-9]',
  },
  {
    title: 'share on a stream import',
    claims: imports(streamImport({ share: true })),
    description: 'sharing information (for latency tracking) is only valid for services: "feed.>"',
  },
  {
    title: 'overlapping service imports from different accounts (rule before v2.8.1)',
    claims: imports(
      serviceImport({ subject: 'a.>' }),
      serviceImport({ subject: 'a.b', account: OTHER_ACCOUNT }),
    ),
    description: 'overlapping subject namespace for "a.b" and "a.>"',
  },
  {
    title: 'overlap through local_subject references',
    claims: imports(
      serviceImport({ subject: 'x.*', local_subject: 'a.$1' }),
      serviceImport({ subject: 'a.b' }),
    ),
    description: 'overlapping subject namespace for "a.b" and "a.*"',
  },
  {
    title: 'the same service subject imported twice',
    claims: imports(serviceImport(), serviceImport({ account: OTHER_ACCOUNT })),
    description: 'overlapping subject namespace for "svc.a"',
  },
  {
    title: 'a token that is not a JWT',
    claims: imports(serviceImport({ token: 'garbage' })),
    description: 'import "svc.a" contains an invalid activation token',
  },
  {
    title: 'a token with a bad signature',
    claims: imports(serviceImport({ token: tamper(activation()) })),
    description: 'import "svc.a" contains an invalid activation token',
  },
  {
    title: 'a token that is not an activation',
    claims: imports(
      serviceImport({
        token: sign({ iss: EXPORTER, sub: ACCOUNT, nats: ACCOUNT_NATS }, exporterKp),
      }),
    ),
    description: 'import "svc.a" contains an invalid activation token',
  },
  {
    title: 'a token issued by a user key',
    claims: imports(serviceImport({ account: USER, token: activation({}, {}, userKp) })),
    description: 'import "svc.a" contains an invalid activation token',
  },
  {
    title: 'a token without version',
    claims: imports(serviceImport({ token: activation({ version: undefined }) })),
    description: 'import "svc.a" contains an invalid activation token',
  },
  {
    title: 'a token with a bad kind',
    claims: imports(serviceImport({ token: activation({ kind: 'both' }) })),
    description: 'import "svc.a" contains an invalid activation token',
  },
  {
    title: 'a token from another exporter',
    claims: imports(serviceImport({ account: OTHER_ACCOUNT, token: activation() })),
    description: 'activation token doesn\'t match account for import "svc.a"',
  },
  {
    title: 'a token for another importer',
    claims: imports(serviceImport({ token: activation({}, { sub: OTHER_ACCOUNT }) })),
    description: 'activation token doesn\'t match account it is being included in, "svc.a"',
  },
  {
    title: 'a token of the other import type',
    claims: imports(serviceImport({ token: activation({ kind: 'stream' }) })),
    description: 'mismatch between token import type stream and type of import service',
  },
  {
    title: 'a token without import type',
    claims: imports(serviceImport({ token: activation({ kind: undefined }) })),
    description: 'invalid import type: "unknown"',
  },
  {
    title: 'a token with a bad subject',
    claims: imports(serviceImport({ subject: 'a..b', token: activation({ subject: 'a..b' }) })),
    description: 'subject "a..b" cannot contain consecutive `.`',
  },
  {
    title: 'a token with a bad issuer_account',
    claims: imports(serviceImport({ token: activation({ issuer_account: USER }) })),
    description: 'account_id is not an account public key',
  },
  {
    title: 'a token for other subjects',
    claims: imports(serviceImport({ token: activation({ subject: 'other.>' }) })),
    description: 'activation token import subject "other.>" doesn\'t match import "svc.a"',
  },
  // Exports
  { title: 'a null export', claims: exports(null), description: 'null export is not allowed' },
  {
    title: 'an export without type',
    claims: exports({ subject: 'a' }),
    description: 'invalid export type: "unknown"',
  },
  {
    title: 'a bad service response type',
    claims: exports({ subject: 'a', type: 'service', response_type: 'Many' }),
    description: 'invalid response type for service: "Many"',
  },
  {
    title: 'a response type on a stream',
    claims: exports({ subject: 'a', type: 'stream', response_type: 'Stream' }),
    description: 'invalid response type for stream: "Stream"',
  },
  {
    title: 'allow_trace on a stream export (v2.5.4)',
    claims: exports({ subject: 'a', type: 'stream', allow_trace: true }),
    description: 'AllowTrace only valid for service export',
  },
  {
    title: 'latency on a stream',
    claims: exports({ subject: 'a', type: 'stream', service_latency: { results: 'r' } }),
    description: 'latency tracking only permitted for services',
  },
  {
    title: 'a latency sampling over 100',
    claims: exports({ subject: 'a', type: 'service', service_latency: { sampling: 101 } }),
    description: 'sampling percentage needs to be between 1-100',
  },
  {
    title: 'a wildcard latency results subject',
    claims: exports({ subject: 'a', type: 'service', service_latency: { results: 'r.*' } }),
    description: 'results subject can not contain wildcards',
  },
  {
    title: 'a negative response threshold',
    claims: exports({ subject: 'a', type: 'service', response_threshold: -1 }),
    description: 'negative response threshold is invalid',
  },
  {
    title: 'a response threshold on a stream',
    claims: exports({ subject: 'a', type: 'stream', response_threshold: 5 }),
    description: 'response threshold only valid for services',
  },
  {
    title: 'an account token position without wildcard',
    claims: exports({ subject: 'a.b', type: 'service', account_token_position: 1 }),
    description: 'Account Token Position can only be used with wildcard subjects: a.b',
  },
  {
    title: 'an account token position past the end',
    claims: exports({ subject: 'a.*', type: 'service', account_token_position: 3 }),
    description: "Account Token Position 3 exceeds length of subject 'a.*'",
  },
  {
    title: 'an account token position on a literal token',
    claims: exports({ subject: 'a.*', type: 'service', account_token_position: 1 }),
    description: "Account Token Position 1 matches 'a' but must match a * in: a.*",
  },
  {
    title: 'overlapping exports of one kind',
    claims: exports({ subject: 'a.b', type: 'service' }, { subject: 'a.>', type: 'service' }),
    description: 'service export subject "a.>" already exports "a.b"',
  },
  {
    title: 'an export description over 8 KiB',
    claims: exports({ subject: 'a', type: 'stream', description: longText }),
    description: 'Description is too long',
  },
  {
    title: 'an info URL over 8 KiB',
    claims: account({ info_url: `http://h/${longText}` }),
    description: 'Info URL is too long',
  },
  {
    title: 'an info URL without scheme',
    claims: exports({ subject: 'a', type: 'stream', info_url: 'example.com/docs' }),
    description: 'error parsing info url: no hostname or scheme',
  },
  {
    title: 'an info URL without host',
    claims: account({ info_url: 'mailto:someone@example.com' }),
    description: 'error parsing info url: no hostname or scheme',
  },
  {
    title: 'an info URL with a bad port',
    claims: account({ info_url: 'http://host:port/' }),
    description:
      'error parsing info url: parse "http://host:port/": invalid port ":port" after host',
  },
  {
    title: 'an info URL with a space in the host',
    claims: account({ info_url: 'http://a b/' }),
    description: 'error parsing info url: parse "http://a b/": invalid character " " in host name',
  },
  {
    title: 'an info URL with a bad escape',
    claims: account({ info_url: 'http://h/%zz' }),
    description: 'error parsing info url: parse "http://h/%zz": invalid URL escape "%zz"',
  },
  {
    title: 'an info URL starting with a colon',
    claims: account({ info_url: '://h' }),
    description: 'error parsing info url: parse "://h": missing protocol scheme',
  },
  // Limits
  {
    title: 'a blank JetStream tier',
    claims: account({ limits: { ...LIMITS, tiered_limits: { '': { mem_storage: 1 } } } }),
    description: 'Tiered JetStream Limits can not contain a blank "" tier name',
  },
  {
    title: 'more imports than allowed',
    claims: account({ limits: { ...LIMITS, imports: 0 }, imports: [streamImport()] }),
    description: 'the account contains more imports than allowed by the operator',
  },
  {
    title: 'an import without limits',
    claims: account({ limits: undefined, imports: [streamImport()] }),
    description: 'the account contains more imports than allowed by the operator',
  },
  {
    title: 'more exports than allowed',
    claims: account({
      limits: { ...LIMITS, exports: 1 },
      exports: [
        { subject: 'a', type: 'stream' },
        { subject: 'b', type: 'stream' },
      ],
    }),
    description: 'the account contains more exports than allowed by the operator',
  },
  {
    title: 'an export without limits',
    claims: account({ limits: undefined, exports: [{ subject: 'a', type: 'stream' }] }),
    description: 'the account contains more exports than allowed by the operator',
  },
  {
    title: 'wildcard exports not allowed',
    claims: account({
      limits: { ...LIMITS, exports: 5, wildcards: false },
      exports: [{ subject: 'a.*', type: 'stream' }],
    }),
    description: 'the account contains wildcard exports that are not allowed by the operator',
  },
  // Default permissions
  {
    title: 'a queue in a pub permission',
    claims: account({ default_permissions: { pub: { deny: ['a q'] } } }),
    description: 'Permission Subject "a q" is not allowed to contain queue',
  },
  {
    title: 'too many spaces in a permission',
    claims: account({ default_permissions: { sub: { allow: ['a q r'] } } }),
    description: 'Permission Subject "a q r" contains too many spaces',
  },
  {
    title: 'a bad permission subject',
    claims: account({ default_permissions: { sub: { allow: ['a..b q'] } } }),
    description: 'subject "a..b" cannot contain consecutive `.`',
  },
  // Mappings
  {
    title: 'a bad mapping source',
    claims: mappings({ 'a..b': [{ subject: 'c' }] }),
    description: 'subject "a..b" cannot contain consecutive `.`',
  },
  {
    title: 'a weight over 100 (v2.8.1)',
    claims: mappings({ a: [{ subject: 'b', weight: 101 }] }),
    description: 'Mapping "a" has a weight 101 that exceeds 100',
  },
  {
    title: 'weights over 100 in total',
    claims: mappings({ a: [{ subject: 'b', weight: 60 }, { subject: 'c', weight: 50 }] }),
    description: 'Mapping "a" exceeds 100% among all of it\'s weighted to mappings',
  },
  {
    title: 'weights over 100 in a cluster',
    claims: mappings({
      a: [
        { subject: 'b', cluster: 'c1' },
        { subject: 'c', cluster: 'c1', weight: 1 },
      ],
    }),
    description: 'Mapping "a" in cluster "c1" exceeds 100% among all of it\'s weighted to mappings',
  },
  {
    title: 'two clusters summing over 100 (one sum before v2.5.8)',
    claims: mappings({ a: [{ subject: 'b', cluster: 'c1' }, { subject: 'c', cluster: 'c2' }] }),
    description: 'Mapping "a" exceeds 100% among all of it\'s weighted to mappings',
  },
  {
    title: 'a wildcard mapping destination (v2.4.1 and older)',
    claims: mappings({ 'a.>': [{ subject: 'b.>' }] }),
    description: 'Subject "b.>" in weighted mapping "a.>" is not allowed to contains wildcard',
  },
  // External authorization (v2.4.1)
  {
    title: 'allowed accounts without users',
    claims: authorization({ allowed_accounts: [OTHER_ACCOUNT] }),
    description: 'External authorization cannot have accounts without users specified',
  },
  {
    title: 'an auth user that is not a user key',
    claims: authorization({ auth_users: [OTHER_ACCOUNT] }),
    description: `AuthUser "${OTHER_ACCOUNT}" is not a valid user public key`,
  },
  {
    title: '* among other allowed accounts',
    claims: authorization({ auth_users: [USER], allowed_accounts: ['*', OTHER_ACCOUNT] }),
    description: 'AllowedAccounts can only be a list of accounts or "*"',
  },
  {
    title: 'an allowed account that is not an account key',
    claims: authorization({ auth_users: [USER], allowed_accounts: [USER] }),
    description: `Account "${USER}" is not a valid account public key`,
  },
  {
    title: 'an xkey that is not a curve key',
    claims: authorization({ auth_users: [USER], xkey: USER }),
    description: `XKey "${USER}" is not a valid public xkey`,
  },
  // Trace (v2.5.4, sampling v2.5.5)
  {
    title: 'a trace without destination',
    claims: account({ trace: {} }),
    description: 'the account Trace.Destination subject cannot be empty',
  },
  {
    title: 'a wildcard trace destination',
    claims: account({ trace: { dest: 't.>' } }),
    description: 'the account Trace.Destination subject "t.>" is not a valid publish subject',
  },
  {
    title: 'a trace sampling over 100',
    claims: account({ trace: { dest: 't', sampling: 101 } }),
    description:
      "the account Trace.Sampling value '101' is not valid, should be in the range [1..100]",
  },
  // Signing keys
  {
    title: 'a signing key that is not an account key',
    claims: account({ signing_keys: [USER] }),
    description: `"${USER}" is not a valid account signing key`,
  },
  {
    title: 'a scoped signing key that is not an account key',
    claims: account({ signing_keys: [{ kind: 'user_scope', key: USER, role: 'r', template: {} }] }),
    description: `${USER} is not an account public key`,
  },
  {
    title: 'a null v1 signing key',
    claims: accountV1({ limits: LIMITS, signing_keys: [null] }),
    description: '"" is not a valid account signing key',
  },
  // Cluster traffic (v2.7.0)
  {
    title: 'an unknown cluster_traffic',
    claims: account({ cluster_traffic: 'everyone' }),
    description: 'unknown cluster traffic option: "everyone"',
  },
  // v1 layout: limits copied, nothing else
  {
    title: 'a v1 import without limits',
    claims: accountV1({ imports: [streamImport()] }),
    description: 'the account contains more imports than allowed by the operator',
  },
]

describe('accountClaimIssues: violations', () => {
  it.each(rows)('$title', ({ claims, description, blocking = true }) => {
    const issue = { description, blocking, timeCheck: false }
    expect(accountClaimIssues(claims, NOW)).toContainEqual(issue)
  })

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
