import { describe } from 'vitest'
import {
  EXPORTER_SK,
  LIMITS,
  account,
  accountV1,
  imports,
  mappings,
  streamImport,
  itReports,
  type Row,
} from './helpers.js'

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
]

describe('accountClaimIssues: loading (JSON shapes, literals, layout version)', () => {
  itReports(rows)
})
