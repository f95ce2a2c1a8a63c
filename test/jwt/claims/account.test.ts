import { describe } from 'vitest'
import {
  ACCOUNT,
  LIMITS,
  OTHER_ACCOUNT,
  USER,
  account,
  accountV1,
  authorization,
  imports,
  mappings,
  streamImport,
  itReports,
  type Row,
} from './helpers.js'

const rows: Row[] = [
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

describe('accountClaimIssues: the rest of the account', () => {
  itReports(rows)
})
