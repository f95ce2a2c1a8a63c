import { describe } from 'vitest'
import {
  ACCOUNT,
  ACCOUNT_NATS,
  EXPORTER,
  OTHER_ACCOUNT,
  USER,
  activation,
  exporterKp,
  imports,
  serviceImport,
  sign,
  streamImport,
  tamper,
  userKp,
  itReports,
  type Row,
} from './helpers.js'

const rows: Row[] = [
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
]

describe('accountClaimIssues: imports and activation tokens', () => {
  itReports(rows)
})
