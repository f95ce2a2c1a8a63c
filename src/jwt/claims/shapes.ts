/**
 * The JSON shapes of nats-io/jwt's claim structs and Go's `loadClaims`: Go decodes into typed
 * structs and rejects the whole JWT when a value has the wrong JSON type, a number literal does not
 * fit its integer field or a key matches a field of another spelling; unknown fields are ignored.
 * @module
 */
import { foldKey, goParsesInteger, type JsonPath, unusualNumbers } from '../go-json.js'
import { claimVersion, isRecord, type JsonObject as Json } from '../json.js'
import type { ClaimsData } from '../types.js'
import { quote } from './read.js'

type Scalar = 'string' | 'bool' | 'int' | 'int64' | 'uint' | 'uint8'
type Shape =
  | Scalar
  | 'exportType'
  | 'sampling'
  | 'cidrs'
  | 'signingKeys'
  | { readonly fields: Fields }
  | { readonly list: Shape }
  | { readonly map: Shape }
type Fields = { readonly [key: string]: Shape }

export const INT64_MAX = 2n ** 63n - 1n
export const INT64_MIN = -(2n ** 63n)

const SCALARS: Record<Scalar, (value: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  bool: (v) => typeof v === 'boolean',
  int: isInt64,
  int64: isInt64,
  uint: (v) => isInt64(v) && v >= 0,
  uint8: (v) => isInt64(v) && v >= 0 && v <= 255,
}

function isInt64(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 2 ** 63
}

const STRINGS: Shape = { list: 'string' }
const REVOCATIONS: Shape = { map: 'int64' }
const INFO: Fields = { description: 'string', info_url: 'string' }
const CLAIMS_DATA: Fields = {
  aud: 'string',
  exp: 'int64',
  jti: 'string',
  iat: 'int64',
  iss: 'string',
  name: 'string',
  nbf: 'int64',
  sub: 'string',
  type: 'string',
}
/** `GenericFields`, read from `nats` for every JWT by Go's claim-type detection. */
const GENERIC_FIELDS: Fields = { tags: STRINGS, type: 'string', version: 'int' }
/** Fields v1 JWTs keep at the top level. */
const V1_TOP_LEVEL: Fields = { ...CLAIMS_DATA, tags: STRINGS, issuer_account: 'string' }

const IMPORT: Shape = {
  fields: {
    name: 'string',
    subject: 'string',
    account: 'string',
    token: 'string',
    to: 'string',
    local_subject: 'string',
    type: 'exportType',
    share: 'bool',
    allow_trace: 'bool',
  },
}
const EXPORT: Shape = {
  fields: {
    name: 'string',
    subject: 'string',
    type: 'exportType',
    token_req: 'bool',
    revocations: REVOCATIONS,
    response_type: 'string',
    response_threshold: 'int64',
    service_latency: { fields: { sampling: 'sampling', results: 'string' } },
    account_token_position: 'uint',
    advertise: 'bool',
    allow_trace: 'bool',
    ...INFO,
  },
}
const NATS_LIMITS: Fields = { subs: 'int64', data: 'int64', payload: 'int64' }
/** The limits a v1 account can carry (`NatsLimits` + `AccountLimits`). */
export const V1_LIMITS: Fields = {
  ...NATS_LIMITS,
  imports: 'int64',
  exports: 'int64',
  wildcards: 'bool',
  disallow_bearer: 'bool',
  conn: 'int64',
  leaf: 'int64',
}
const JETSTREAM_LIMITS: Fields = {
  mem_storage: 'int64',
  disk_storage: 'int64',
  streams: 'int64',
  consumer: 'int64',
  max_ack_pending: 'int64',
  mem_max_stream_bytes: 'int64',
  disk_max_stream_bytes: 'int64',
  max_bytes_required: 'bool',
}
export const FLAT_LIMITS = Object.keys({ ...V1_LIMITS, ...JETSTREAM_LIMITS })
const PERMISSION: Shape = { fields: { allow: STRINGS, deny: STRINGS } }
const PERMISSIONS: Fields = {
  pub: PERMISSION,
  sub: PERMISSION,
  resp: { fields: { max: 'int', ttl: 'int64' } },
}
const USER_SCOPE: Fields = {
  key: 'string',
  role: 'string',
  description: 'string',
  template: {
    fields: {
      ...PERMISSIONS,
      src: 'cidrs',
      times: { list: { fields: { start: 'string', end: 'string' } } },
      times_location: 'string',
      ...NATS_LIMITS,
      bearer_token: 'bool',
      proxy_required: 'bool',
      allowed_connection_types: STRINGS,
    },
  },
}

const WEIGHTED_MAPPING: Shape = {
  fields: { subject: 'string', weight: 'uint8', cluster: 'string' },
}
export const ACCOUNT_V2: Fields = {
  ...CLAIMS_DATA,
  nats: {
    fields: {
      imports: { list: IMPORT },
      exports: { list: EXPORT },
      limits: {
        fields: {
          ...V1_LIMITS,
          ...JETSTREAM_LIMITS,
          tiered_limits: { map: { fields: JETSTREAM_LIMITS } },
        },
      },
      signing_keys: 'signingKeys',
      revocations: REVOCATIONS,
      default_permissions: { fields: PERMISSIONS },
      mappings: { map: { list: WEIGHTED_MAPPING } },
      authorization: { fields: { auth_users: STRINGS, allowed_accounts: STRINGS, xkey: 'string' } },
      trace: { fields: { dest: 'string', sampling: 'int' } },
      cluster_traffic: 'string',
      ...INFO,
      ...GENERIC_FIELDS,
    },
  },
}
export const ACCOUNT_V1: Fields = {
  ...V1_TOP_LEVEL,
  nats: {
    fields: {
      imports: { list: IMPORT },
      exports: { list: EXPORT },
      limits: { fields: V1_LIMITS },
      signing_keys: STRINGS,
      revocations: REVOCATIONS,
      ...GENERIC_FIELDS,
    },
  },
}
export const ACTIVATION_V2: Fields = {
  ...CLAIMS_DATA,
  nats: {
    fields: { subject: 'string', kind: 'exportType', issuer_account: 'string', ...GENERIC_FIELDS },
  },
}
export const ACTIVATION_V1: Fields = {
  ...V1_TOP_LEVEL,
  nats: {
    fields: {
      ...GENERIC_FIELDS,
      subject: 'string',
      type: 'exportType',
      max: 'int64',
      payload: 'int64',
      src: 'string',
      times: { list: { fields: { start: 'string', end: 'string' } } },
    },
  },
}

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return `number ${value}`
  return typeof value === 'boolean' ? 'bool' : typeof value
}

function shapeName(shape: Shape): string {
  if (typeof shape === 'string') return shape === 'exportType' ? 'jwt.ExportType' : shape
  return 'fields' in shape ? 'object' : 'list' in shape ? 'array' : 'map'
}

function checkShape(value: unknown, shape: Shape, path: string, problems: string[]): void {
  // null leaves Go's zero value, except for ExportType whose UnmarshalJSON rejects it
  if (value === undefined || (value === null && shape !== 'exportType')) return
  const mismatch = (): void => {
    const kind = jsonKind(value)
    problems.push(`json: cannot unmarshal ${kind} into ${path} of type ${shapeName(shape)}`)
  }
  if (typeof shape === 'object') {
    if ('fields' in shape) {
      if (isRecord(value)) checkFields(value, shape.fields, path, problems)
      else mismatch()
    } else if ('list' in shape) {
      if (!Array.isArray(value)) return mismatch()
      value.forEach((v, i) => checkShape(v, shape.list, `${path}[${i}]`, problems))
    } else if (isRecord(value)) {
      for (const [key, v] of Object.entries(value)) {
        checkShape(v, shape.map, `${path}.${key}`, problems)
      }
    } else mismatch()
    return
  }
  switch (shape) {
    case 'exportType':
      if (value === null || typeof value === 'string') {
        if (value !== 'stream' && value !== 'service') {
          problems.push(`${path}: unknown export type ${quote(value ?? '')}`)
        }
      } else mismatch()
      return
    case 'sampling':
      // a percentage or "headers", in any case
      if (isInt64(value) || (typeof value === 'string' && value.toLowerCase() === 'headers')) return
      return mismatch()
    case 'cidrs':
      // a list of CIDRs or one comma-separated string
      if (typeof value === 'string') return
      if (Array.isArray(value) && value.every((v) => v === null || typeof v === 'string')) return
      return mismatch()
    case 'signingKeys':
      if (!Array.isArray(value)) return mismatch()
      value.forEach((item, i) => {
        // strings are plain keys; Go silently skips numbers, booleans, null and arrays
        if (!isRecord(item)) return
        const at = `${path}[${i}]`
        if (item.kind === 'user_scope') checkFields(item, USER_SCOPE, at, problems)
        else problems.push(`${at}: unknown signing key scope ${JSON.stringify(item.kind ?? null)}`)
      })
      return
    default:
      if (!SCALARS[shape](value)) mismatch()
  }
}

function checkFields(value: Json, fields: Fields, path: string, problems: string[]): void {
  for (const [key, shape] of Object.entries(fields)) {
    checkShape(value[key], shape, path === '' ? key : `${path}.${key}`, problems)
  }
  checkKeys(value, fields, path, problems)
}

/** Keys Go would match to a field of another spelling (`"SUB"` fills `sub`): refused, not guessed. */
function checkKeys(value: Json, fields: Fields, path: string, problems: string[]): void {
  for (const key of Object.keys(value)) {
    if (Object.hasOwn(fields, key)) continue
    const field = foldedNames(fields).get(foldKey(key))
    if (field !== undefined) {
      const at = path === '' ? '' : ` in ${path}`
      problems.push(`key ${JSON.stringify(key)}${at} differs from ${JSON.stringify(field)} only in letter case: nats-server reads it as ${JSON.stringify(field)}, use that spelling alone`)
    }
  }
}

/**
 * Top-level keys nats-server would read as another field (`"NATS"` as `nats`), checked before
 * anything reads the claims; nested ones are found with the other claim issues.
 */
export function misspelledKeys(claims: ClaimsData): string[] {
  const problems: string[] = []
  checkKeys(claims, claimVersion(claims) === 1 ? ACCOUNT_V1 : ACCOUNT_V2, '', problems)
  return problems
}

const FOLDED = new WeakMap<Fields, Map<string, string>>()

/** A struct's field names by their folded form, the way Go matches keys to them. */
function foldedNames(fields: Fields): Map<string, string> {
  let names = FOLDED.get(fields)
  if (names === undefined) {
    names = new Map(Object.keys(fields).map((name) => [foldKey(name), name]))
    FOLDED.set(fields, names)
  }
  return names
}

const INTEGER_SHAPES: ReadonlySet<Shape> = new Set<Shape>(['int', 'int64', 'uint', 'uint8', 'sampling'])

/** The field a payload path leads to in a claim layout, with the name Go's errors give it. */
function fieldAt(fields: Fields, path: JsonPath): { shape: Shape; name: string } | null {
  let shape: Shape = { fields }
  let name = ''
  for (const step of path) {
    if (shape === 'signingKeys' && typeof step === 'number') {
      shape = { fields: USER_SCOPE }
      name += `[${step}]`
      continue
    }
    if (typeof shape === 'string') return null
    if ('fields' in shape) {
      if (typeof step !== 'string' || !Object.hasOwn(shape.fields, step)) return null
      shape = shape.fields[step]!
      name = name === '' ? step : `${name}.${step}`
    } else if ('list' in shape) {
      if (typeof step !== 'number') return null
      shape = shape.list
      name += `[${step}]`
    } else {
      if (typeof step !== 'string') return null
      shape = shape.map
      name += `.${step}`
    }
  }
  return { shape, name }
}

/** Number literals Go cannot decode into the integer field they sit in (`1.9e9`, `5.0`, > int64). */
function literalProblems(json: string, fields: Fields): string[] {
  const problems: string[] = []
  for (const { path, literal } of unusualNumbers(json)) {
    const field = fieldAt(fields, path)
    if (field === null || !INTEGER_SHAPES.has(field.shape)) continue
    const unsigned = field.shape === 'uint' || field.shape === 'uint8'
    if (!goParsesInteger(literal, unsigned)) {
      problems.push(`json: cannot unmarshal number ${literal} into ${field.name} of type ${shapeName(field.shape)}`)
    }
  }
  return problems
}

/**
 * Why Go could not load the claim at all (JSON types, number literals, keys, layout version),
 * or [] when it can. `json` is the payload text the claims were parsed from, when there is one.
 */
export function loadProblems(claims: Json, v1: Fields, v2: Fields, json?: string): string[] {
  const version = claimVersion(claims)
  const fields = version === 1 ? v1 : v2
  const problems: string[] = []
  checkFields(claims, fields, '', problems)
  if (json !== undefined) problems.push(...literalProblems(json, fields))
  if (problems.length === 0 && version !== 1 && version !== 2) {
    problems.push(`library supports version 2 or less - received ${String(version)}`)
  }
  return [...new Set(problems)]
}
