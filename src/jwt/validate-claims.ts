/**
 * Account-claim validation with the rules of nats-io/jwt v2 (`AccountClaims.Validate` and all it
 * calls, plus the JSON decoding that precedes it). Where jwt releases v2.3.0…v2.8.2 differ, the
 * strictest form wins, so a claim without blocking issues is accepted by every nats-server from 2.9
 * to 2.14. Signature, issuer trust and the key kinds of `sub`/`iss` are checked elsewhere.
 * @module
 */
import type { ClaimIssue } from '../errors.js'
import { decodeJwt } from './decode.js'
import { foldKey, goParsesInteger, unusualNumbers, type JsonPath } from './go-json.js'
import { publicKeyProblem } from './nkeys.js'
import type { ClaimsData } from './types.js'
import { verifySignature } from './verify.js'

export type { ClaimIssue }

type Json = Record<string, unknown>

class Report {
  readonly issues: ClaimIssue[] = []
  error(description: string): void {
    this.issues.push({ description, blocking: true, timeCheck: false })
  }
  warning(description: string): void {
    this.issues.push({ description, blocking: false, timeCheck: false })
  }
  timeCheck(description: string): void {
    this.issues.push({ description, blocking: false, timeCheck: true })
  }
}

// ---------------------------------------------------------------------------------------------
// JSON shapes. Go decodes into typed structs and rejects the whole JWT when a value has the wrong
// JSON type, so the same mismatches are blocking here; unknown fields are ignored, as in Go.

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

const INT64_MAX = 2n ** 63n - 1n
const INT64_MIN = -(2n ** 63n)

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
const V1_LIMITS: Fields = {
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
const FLAT_LIMITS = Object.keys({ ...V1_LIMITS, ...JETSTREAM_LIMITS })
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
const ACCOUNT_V2: Fields = {
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
const ACCOUNT_V1: Fields = {
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
const ACTIVATION_V2: Fields = {
  ...CLAIMS_DATA,
  nats: {
    fields: { subject: 'string', kind: 'exportType', issuer_account: 'string', ...GENERIC_FIELDS },
  },
}
const ACTIVATION_V1: Fields = {
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

/** Go's `loadClaims`: a top-level `type` means the v1 layout, otherwise `nats.version` decides. */
function claimVersion(claims: Json): unknown {
  if (typeof claims.type === 'string' && claims.type !== '') return 1
  return isRecord(claims.nats) ? (claims.nats.version ?? 0) : 0
}

/**
 * Why Go could not load the claim at all (JSON types, number literals, keys, layout version),
 * or [] when it can. `json` is the payload text the claims were parsed from, when there is one.
 */
function loadProblems(claims: Json, v1: Fields, v2: Fields, json?: string): string[] {
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

// ---------------------------------------------------------------------------------------------
// Reading values whose JSON types were checked above; absent and null read as Go's zero values.

const EMPTY: Json = {}

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function rec(o: Json, key: string): Json {
  const v = o[key]
  return isRecord(v) ? v : EMPTY
}

function list(o: Json, key: string): unknown[] {
  const v = o[key]
  return Array.isArray(v) ? v : []
}

function strings(o: Json, key: string): string[] {
  return list(o, key).map((v) => (typeof v === 'string' ? v : ''))
}

function str(o: Json, key: string): string {
  const v = o[key]
  return typeof v === 'string' ? v : ''
}

function num(o: Json, key: string): number {
  const v = o[key]
  return typeof v === 'number' ? v : 0
}

/** Go's `ExportType` as its `String()` prints it. */
function exportType(o: Json, key: string): 'stream' | 'service' | 'unknown' {
  const v = o[key]
  return v === 'stream' || v === 'service' ? v : 'unknown'
}

// ---------------------------------------------------------------------------------------------
// Formatting and keys

const GO_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '"': '\\"',
  '\\': '\\\\',
}

/** Go's `%q` (strconv.Quote): printable runes stay, the rest are escaped. */
function quote(s: string): string {
  const escaped = s.replace(/["\\]|[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/gu, (ch) => {
    const known = GO_ESCAPES[ch]
    if (known !== undefined) return known
    const cp = ch.codePointAt(0)!
    const hex = cp.toString(16)
    if (cp < 0x80) return `\\x${hex.padStart(2, '0')}`
    return cp < 0x10000 ? `\\u${hex.padStart(4, '0')}` : `\\U${hex.padStart(8, '0')}`
  })
  return `"${escaped}"`
}

/** Go's `nkeys.IsValidPublic*Key`; `prefix` is the key's first letter (A, O, U, X). */
function isPublicKey(key: string, prefix: string): boolean {
  return key[0] === prefix && publicKeyProblem(key) === null
}

// ---------------------------------------------------------------------------------------------
// Subjects (types.go)

function subjectProblems(s: string): string[] {
  if (s === '') return ['subject cannot be empty']
  const problems: string[] = []
  if (s.includes(' ')) problems.push(`subject ${quote(s)} cannot have spaces`)
  // jwt v2.5.4+
  if (s.startsWith('.') || s.endsWith('.')) {
    problems.push(`subject ${quote(s)} cannot start or end with a \`.\``)
  }
  if (s.includes('..')) problems.push(`subject ${quote(s)} cannot contain consecutive \`.\``)
  return problems
}

function checkSubject(s: string, report: Report): void {
  for (const problem of subjectProblems(s)) report.error(problem)
}

function hasWildcards(s: string): boolean {
  return (
    s.endsWith('.>') ||
    s.includes('.*.') ||
    s.endsWith('.*') ||
    s.startsWith('*.') ||
    s === '*' ||
    s === '>'
  )
}

function countWildcards(s: string): number {
  return s.split('.').filter((token) => token === '*').length
}

function isContainedIn(s: string, other: string): boolean {
  const outer = other.split('.')
  const inner = s.split('.')
  if (inner.length > outer.length && outer[outer.length - 1] !== '>') return false
  if (inner.length < outer.length) return false
  for (let i = 0; i < outer.length; i++) {
    if (i === outer.length - 1 && outer[i] === '>') return true
    if (outer[i] !== inner[i] && outer[i] !== '*') return false
  }
  return true
}

/** n of a `$n` token, read like Go's `strconv.Atoi` (sign allowed, int64 range), else null. */
function referenceIndex(token: string): bigint | null {
  if (!/^\$[+-]?[0-9]+$/.test(token)) return null
  const n = BigInt(token.slice(1))
  return n >= INT64_MIN && n <= INT64_MAX ? n : null
}

/** `RenamingSubject.ToSubject`: `$n` references become `*`. */
function renamedSubject(local: string): string {
  if (!local.includes('$')) return local
  return local
    .split('.')
    .map((token) => (referenceIndex(token) === null ? token : '*'))
    .join('.')
}

function endsInFullWildcard(s: string): boolean {
  return s === '>' || s.endsWith('.>')
}

/** `RenamingSubject.Validate`; Go reports a space twice, so this does too. */
function checkRenaming(local: string, from: string, report: Report): void {
  checkSubject(local, report)
  if (from === '') report.error('subject cannot be empty')
  if (local.includes(' ')) report.error(`subject ${quote(local)} cannot have spaces`)
  if (endsInFullWildcard(local) !== endsInFullWildcard(from)) {
    report.error('both, renaming subject and subject, need to end or not end in >')
  }
  const wildcards = countWildcards(from)
  let references = 0
  for (const token of local.split('.')) {
    if (token === '*') references++
    const index = referenceIndex(token)
    if (index === null) continue
    if (index > BigInt(wildcards)) {
      report.error(
        `Reference $${index} in ${quote(local)} reference * in ${quote(from)} that do not exist`,
      )
    } else references++
  }
  if (references !== wildcards) {
    report.error('subject does not contain enough * or reference wildcards $[0-9]')
  }
}

// ---------------------------------------------------------------------------------------------
// Info (types.go): `url.Parse` of Go's net/url, reduced to what decides success, scheme and host.

const MAX_INFO_LENGTH = 8 * 1024
const HOST_CHAR = /[A-Za-z0-9!$&'()*+,;=:[\]<>"\-_.~]/
const USERINFO = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/

function escapeProblem(s: string, host: boolean): string | null {
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!
    if (ch === '%') {
      const seq = s.slice(i, i + 3)
      // in a host only %25 and escapes of non-ASCII bytes are allowed
      if (!/^%[0-9A-Fa-f]{2}$/.test(seq) || (host && seq !== '%25' && parseInt(seq[1]!, 16) < 8)) {
        return `invalid URL escape ${quote(seq)}`
      }
      i += 2
    } else if (host && ch.charCodeAt(0) < 0x80 && !HOST_CHAR.test(ch)) {
      return `invalid character ${quote(ch)} in host name`
    }
  }
  return null
}

function validOptionalPort(port: string): boolean {
  return /^(:[0-9]*)?$/.test(port)
}

/** Go's `parseAuthority`: the host name, or `{ error }`. */
function parseAuthority(authority: string): string | { error: string } {
  const at = authority.lastIndexOf('@')
  const host = authority.slice(at + 1)
  let port: string
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']')
    if (close < 0) return { error: "missing ']' in host" }
    port = host.slice(close + 1)
  } else {
    const colon = host.lastIndexOf(':')
    port = colon < 0 ? '' : host.slice(colon)
  }
  if (!validOptionalPort(port)) return { error: `invalid port ${quote(port)} after host` }
  const hostProblem = escapeProblem(host, true)
  if (hostProblem !== null) return { error: hostProblem }
  if (at >= 0) {
    const userinfo = authority.slice(0, at)
    if (!USERINFO.test(userinfo)) return { error: 'net/url: invalid userinfo' }
    const userProblem = escapeProblem(userinfo, false)
    if (userProblem !== null) return { error: userProblem }
  }
  // `URL.Hostname()`: without the port and the IPv6 brackets
  const colon = host.lastIndexOf(':')
  const name = colon >= 0 && validOptionalPort(host.slice(colon)) ? host.slice(0, colon) : host
  return name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name
}

/** Why Go's `Info.Validate` rejects `raw` as an info URL, or null. */
function infoUrlProblem(raw: string): string | null {
  const hash = raw.indexOf('#')
  const url = hash < 0 ? raw : raw.slice(0, hash)
  const failed = (problem: string, input = url): string => `parse ${quote(input)}: ${problem}`
  if (/[\x00-\x1f\x7f]/.test(url)) return failed('net/url: invalid control character in URL')
  if (url.startsWith(':')) return failed('missing protocol scheme')
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*(?=:)/.exec(url)?.[0] ?? ''
  let rest = (scheme === '' ? url : url.slice(scheme.length + 1)).split('?')[0]!
  let hostname = ''
  if (!rest.startsWith('/') && scheme === '' && rest.split('/')[0]!.includes(':')) {
    return failed('first path segment in URL cannot contain colon')
  }
  // a scheme followed by something other than `/` is an opaque URL: no host
  if (rest.startsWith('/') || scheme === '') {
    if (rest.startsWith('//') && (scheme !== '' || !rest.startsWith('///'))) {
      const slash = rest.indexOf('/', 2)
      const authority = slash < 0 ? rest.slice(2) : rest.slice(2, slash)
      rest = slash < 0 ? '' : rest.slice(slash)
      const parsed = parseAuthority(authority)
      if (typeof parsed !== 'string') return failed(parsed.error)
      hostname = parsed
    }
    const pathProblem = escapeProblem(rest, false)
    if (pathProblem !== null) return failed(pathProblem)
  }
  const fragmentProblem = hash < 0 ? null : escapeProblem(raw.slice(hash + 1), false)
  if (fragmentProblem !== null) return failed(fragmentProblem, raw)
  return scheme === '' || hostname === '' ? 'no hostname or scheme' : null
}

function checkInfo(o: Json, report: Report): void {
  // Go measures bytes
  if (Buffer.byteLength(str(o, 'description')) > MAX_INFO_LENGTH) {
    report.error('Description is too long')
  }
  const url = str(o, 'info_url')
  if (url === '') return
  if (Buffer.byteLength(url) > MAX_INFO_LENGTH) report.error('Info URL is too long')
  const problem = infoUrlProblem(url)
  if (problem !== null) report.error(`error parsing info url: ${problem}`)
}

// ---------------------------------------------------------------------------------------------
// Imports (imports.go) and their activation tokens (activation_claims.go)

/** jwt v2.8.1 refuses to decode larger tokens. */
const MAX_TOKEN_SIZE = 1024 * 1024

type Activation = {
  issuer: string
  subject: string
  issuerAccount: string
  importSubject: string
  importType: 'stream' | 'service' | 'unknown'
}

/** Go's `DecodeActivationClaims`, which verifies the signature; null where it fails. */
function decodeActivation(token: string): Activation | null {
  if (Buffer.byteLength(token) > MAX_TOKEN_SIZE) return null
  let decoded
  try {
    decoded = decodeJwt(token)
  } catch {
    return null
  }
  const claims = decoded.claims
  if (decoded.kind !== 'activation') return null
  if (loadProblems(claims, ACTIVATION_V1, ACTIVATION_V2, decoded.payloadJson).length > 0) return null
  try {
    verifySignature(decoded)
  } catch {
    return null
  }
  const issuer = str(claims, 'iss')
  if (!isPublicKey(issuer, 'A') && !isPublicKey(issuer, 'O')) return null
  const v1 = claimVersion(claims) === 1
  const nats = rec(claims, 'nats')
  return {
    issuer,
    subject: str(claims, 'sub'),
    issuerAccount: str(v1 ? claims : nats, 'issuer_account'),
    importSubject: str(nats, 'subject'),
    importType: exportType(nats, v1 ? 'type' : 'kind'),
  }
}

function checkImport(i: Json, accountKey: string, report: Report): void {
  const type = exportType(i, 'type')
  if (type === 'unknown') report.error(`invalid import type: ${quote(type)}`)
  if (type === 'service' && i.allow_trace === true) {
    report.error('AllowTrace only valid for stream import')
  }
  const account = str(i, 'account')
  if (account === '') report.error('account to import from is not specified')
  const to = str(i, 'to')
  if (to !== '') report.warning('the field to has been deprecated (use LocalSubject instead)')
  const subject = str(i, 'subject')
  checkSubject(subject, report)
  const local = str(i, 'local_subject')
  if (local !== '') {
    checkRenaming(local, subject, report)
    if (to !== '') report.error('Local Subject replaces To')
  }
  if (i.share === true && type !== 'service') {
    report.error(
      `sharing information (for latency tracking) is only valid for services: ${quote(subject)}`,
    )
  }
  const token = str(i, 'token')
  if (token === '') return
  const act = decodeActivation(token)
  if (act === null) {
    report.error(`import ${quote(subject)} contains an invalid activation token`)
    return
  }
  if (act.issuer !== account && act.issuerAccount !== account) {
    report.error(`activation token doesn't match account for import ${quote(subject)}`)
  }
  if (act.subject !== accountKey) {
    report.error(
      `activation token doesn't match account it is being included in, ${quote(subject)}`,
    )
  }
  if (act.importType !== type) {
    report.error(`mismatch between token import type ${act.importType} and type of import ${type}`)
  }
  // the activation's own checks, without its time checks (Go skips them for embedded tokens)
  if (act.importType === 'unknown') report.error(`invalid import type: ${quote(act.importType)}`)
  checkSubject(act.importSubject, report)
  if (act.issuerAccount !== '' && !isPublicKey(act.issuerAccount, 'A')) {
    report.error('account_id is not an account public key')
  }
  const imported = type === 'service' && to !== '' ? to : subject
  if (!isContainedIn(imported, act.importSubject)) {
    const granted = quote(act.importSubject)
    report.error(`activation token import subject ${granted} doesn't match import ${quote(subject)}`)
  }
}

function checkImports(imports: unknown[], accountKey: string, report: Report): void {
  // jwt v2.8.1 only rejects overlapping service imports from the same exporter; older releases
  // (nats-server < 2.11.15 / 2.12.6) reject any two that overlap, so that rule is kept.
  const localSubjects: string[] = []
  for (const i of imports) {
    if (!isRecord(i)) {
      report.error('null import is not allowed')
      continue
    }
    if (i.type === 'service') {
      const local = str(i, 'to') || renamedSubject(str(i, 'local_subject')) || str(i, 'subject')
      for (const other of localSubjects) {
        if (isContainedIn(local, other) || isContainedIn(other, local)) {
          report.error(`overlapping subject namespace for ${quote(local)} and ${quote(other)}`)
        }
      }
      // Go names the import's `to` here, usually empty; the subject is what clashes
      if (localSubjects.includes(local)) {
        report.error(`overlapping subject namespace for ${quote(local)}`)
      } else localSubjects.push(local)
    }
    checkImport(i, accountKey, report)
  }
}

// ---------------------------------------------------------------------------------------------
// Exports (exports.go)

const RESPONSE_TYPES = new Set(['', 'Singleton', 'Stream', 'Chunked'])

function checkExport(e: Json, report: Report): void {
  const type = exportType(e, 'type')
  if (type === 'unknown') report.error(`invalid export type: ${quote(type)}`)
  const responseType = str(e, 'response_type')
  if (type === 'service' && !RESPONSE_TYPES.has(responseType)) {
    report.error(`invalid response type for service: ${quote(responseType)}`)
  }
  if (type === 'stream') {
    if (responseType !== '') {
      report.error(`invalid response type for stream: ${quote(responseType)}`)
    }
    if (e.allow_trace === true) report.error('AllowTrace only valid for service export')
  }
  const latency = e.service_latency
  if (isRecord(latency)) {
    if (type !== 'service') report.error('latency tracking only permitted for services')
    // "headers" reads as 0
    const sampling = num(latency, 'sampling')
    if (sampling !== 0 && (sampling < 1 || sampling > 100)) {
      report.error('sampling percentage needs to be between 1-100')
    }
    const results = str(latency, 'results')
    checkSubject(results, report)
    if (hasWildcards(results)) report.error('results subject can not contain wildcards')
  }
  const threshold = num(e, 'response_threshold')
  if (threshold < 0) report.error('negative response threshold is invalid')
  if (threshold > 0 && type !== 'service') {
    report.error('response threshold only valid for services')
  }
  const subject = str(e, 'subject')
  checkSubject(subject, report)
  const position = num(e, 'account_token_position')
  if (position > 0) {
    const tokens = subject.split('.')
    if (!hasWildcards(subject)) {
      report.error(`Account Token Position can only be used with wildcard subjects: ${subject}`)
    } else if (position > tokens.length) {
      report.error(`Account Token Position ${position} exceeds length of subject '${subject}'`)
    } else if (tokens[position - 1] !== '*') {
      const token = tokens[position - 1]
      report.error(
        `Account Token Position ${position} matches '${token}' but must match a * in: ${subject}`,
      )
    }
  }
  checkInfo(e, report)
}

/** Each subject that contains another export of the same kind, with the first one it contains. */
function checkContainment(kind: string, subjects: string[], report: Report): void {
  const contained = new Map<string, string>()
  subjects.forEach((inner, i) => {
    subjects.forEach((outer, j) => {
      if (i !== j && !contained.has(outer) && isContainedIn(inner, outer)) {
        contained.set(outer, inner)
      }
    })
  })
  for (const [outer, inner] of contained) {
    report.error(`${kind} export subject ${quote(outer)} already exports ${quote(inner)}`)
  }
}

function checkExports(exports: unknown[], report: Report): void {
  const services: string[] = []
  const streams: string[] = []
  for (const e of exports) {
    if (!isRecord(e)) {
      report.error('null export is not allowed')
      continue
    }
    // Go files every non-service export, untyped ones included, with the streams
    ;(e.type === 'service' ? services : streams).push(str(e, 'subject'))
    checkExport(e, report)
  }
  checkContainment('service', services, report)
  checkContainment('stream', streams, report)
}

// ---------------------------------------------------------------------------------------------
// The rest of the account (account_claims.go, types.go, signingkeys.go)

function checkPermissions(permissions: Json, report: Report): void {
  const check = (permission: Json, permitQueue: boolean): void => {
    for (const subject of [...strings(permission, 'allow'), ...strings(permission, 'deny')]) {
      const tokens = subject.split(' ')
      if (tokens.length > 2) {
        report.error(`Permission Subject "${subject}" contains too many spaces`)
        continue
      }
      for (const token of tokens) checkSubject(token, report)
      if (tokens.length === 2 && !permitQueue) {
        report.error(`Permission Subject "${subject}" is not allowed to contain queue`)
      }
    }
  }
  check(rec(permissions, 'sub'), true)
  check(rec(permissions, 'pub'), false)
}

function checkMappings(mappings: Json, report: Report): void {
  for (const [from, targets] of Object.entries(mappings)) {
    checkSubject(from, report)
    const perCluster = new Map<string, number>()
    let total = 0
    // before jwt v2.5.8 every weight, cluster-bound ones included, went into one uint8 sum
    let legacyTotal = 0
    for (const target of Array.isArray(targets) ? targets : []) {
      const mapping = isRecord(target) ? target : EMPTY
      const subject = str(mapping, 'subject')
      checkSubject(subject, report)
      // jwt ≤ v2.4.1 (nats-server ≤ 2.9.21)
      if (hasWildcards(subject)) {
        report.error(
          `Subject ${quote(subject)} in weighted mapping ${quote(from)} is not allowed to contains wildcard`,
        )
      }
      const weight = num(mapping, 'weight') || 100
      // jwt v2.8.1
      if (weight > 100) {
        report.error(`Mapping ${quote(from)} has a weight ${weight} that exceeds 100`)
      }
      legacyTotal = (legacyTotal + weight) % 256
      const cluster = str(mapping, 'cluster')
      if (cluster === '') {
        total += weight
        continue
      }
      const clusterTotal = (perCluster.get(cluster) ?? 0) + weight
      perCluster.set(cluster, clusterTotal)
      if (clusterTotal > 100) {
        const where = `${quote(from)} in cluster ${quote(cluster)}`
        report.error(`Mapping ${where} exceeds 100% among all of it's weighted to mappings`)
      }
    }
    if (total > 100 || legacyTotal > 100) {
      report.error(`Mapping ${quote(from)} exceeds 100% among all of it's weighted to mappings`)
    }
  }
}

function checkAuthorization(authorization: Json, report: Report): void {
  const users = strings(authorization, 'auth_users')
  const accounts = strings(authorization, 'allowed_accounts')
  if (accounts.length > 0 && users.length === 0) {
    report.error('External authorization cannot have accounts without users specified')
  }
  for (const user of users) {
    if (!isPublicKey(user, 'U')) {
      report.error(`AuthUser ${quote(user)} is not a valid user public key`)
    }
  }
  for (const account of accounts) {
    if (account === '*') {
      if (accounts.length > 1) report.error('AllowedAccounts can only be a list of accounts or "*"')
    } else if (!isPublicKey(account, 'A')) {
      report.error(`Account ${quote(account)} is not a valid account public key`)
    }
  }
  const xkey = str(authorization, 'xkey')
  if (xkey !== '' && !isPublicKey(xkey, 'X')) {
    report.error(`XKey ${quote(xkey)} is not a valid public xkey`)
  }
}

function checkTrace(trace: Json, report: Report): void {
  const dest = str(trace, 'dest')
  const problem = subjectProblems(dest)[0]
  if (problem !== undefined) report.error(`the account Trace.Destination ${problem}`)
  if (hasWildcards(dest)) {
    report.error(
      `the account Trace.Destination subject ${quote(dest)} is not a valid publish subject`,
    )
  }
  const sampling = num(trace, 'sampling')
  if (sampling < 0 || sampling > 100) {
    report.error(
      `the account Trace.Sampling value '${sampling}' is not valid, should be in the range [1..100]`,
    )
  }
}

function checkSigningKeys(signingKeys: unknown[], report: Report): void {
  // Go keeps them in a map by key, the last entry for a key winning
  const scoped = new Map<string, boolean>()
  for (const entry of signingKeys) {
    if (typeof entry === 'string') scoped.set(entry, false)
    else if (isRecord(entry)) scoped.set(str(entry, 'key'), true)
  }
  for (const [key, isScoped] of scoped) {
    if (isPublicKey(key, 'A')) continue
    report.error(
      isScoped
        ? `${key} is not an account public key`
        : `${quote(key)} is not a valid account signing key`,
    )
  }
}

/** `OperatorLimits.IsEmpty` after loading (tiers clear the flat JetStream limits). */
function limitsAreEmpty(limits: Json): boolean {
  if (Object.keys(rec(limits, 'tiered_limits')).length > 0) return false
  return FLAT_LIMITS.every((key) => !limits[key])
}

function checkAccount(nats: Json, accountKey: string, report: Report): void {
  const imports = list(nats, 'imports')
  const exports = list(nats, 'exports')
  const limits = rec(nats, 'limits')
  checkImports(imports, accountKey, report)
  checkExports(exports, report)
  // "JetStream Limits and tiered JetStream Limits are mutually exclusive" cannot fire: loading
  // clears the flat limits whenever tiers are present.
  if ('' in rec(limits, 'tiered_limits')) {
    report.error('Tiered JetStream Limits can not contain a blank "" tier name')
  }
  checkPermissions(rec(nats, 'default_permissions'), report)
  checkMappings(rec(nats, 'mappings'), report)
  checkAuthorization(rec(nats, 'authorization'), report)
  if (isRecord(nats.trace)) checkTrace(nats.trace, report)

  // Go checks the import count twice, so one excess yields two errors; a missing `limits` reads
  // as 0 imports and 0 exports allowed.
  const maxImports = num(limits, 'imports')
  const tooManyImports = 'the account contains more imports than allowed by the operator'
  if (!limitsAreEmpty(limits) && maxImports >= 0 && imports.length > maxImports) {
    report.error(tooManyImports)
  }
  if (maxImports !== -1 && imports.length > maxImports) report.error(tooManyImports)
  const maxExports = num(limits, 'exports')
  if (maxExports !== -1) {
    if (exports.length > maxExports) {
      report.error('the account contains more exports than allowed by the operator')
    }
    if (limits.wildcards !== true) {
      for (const e of exports) {
        if (isRecord(e) && hasWildcards(str(e, 'subject'))) {
          report.error('the account contains wildcard exports that are not allowed by the operator')
        }
      }
    }
  }
  checkSigningKeys(list(nats, 'signing_keys'), report)
  checkInfo(nats, report)
  // jwt v2.7.0
  const clusterTraffic = str(nats, 'cluster_traffic')
  if (clusterTraffic !== '' && clusterTraffic !== 'system' && clusterTraffic !== 'owner') {
    report.error(`unknown cluster traffic option: ${quote(clusterTraffic)}`)
  }
}

/** Go's `migrateV1`: what a v1 account keeps; JetStream limits, scopes and the rest are empty. */
function migrateV1(nats: Json): Json {
  const limits = rec(nats, 'limits')
  return {
    imports: nats.imports,
    exports: nats.exports,
    limits: Object.fromEntries(Object.keys(V1_LIMITS).map((key) => [key, limits[key]])),
    signing_keys: strings(nats, 'signing_keys'),
  }
}

/**
 * Every issue the Go library would report for this account claim (warnings included), plus time
 * checks.
 */
export function accountClaimIssues(claims: ClaimsData, nowSeconds: number, json?: string): ClaimIssue[] {
  const report = new Report()
  const problems = loadProblems(claims, ACCOUNT_V1, ACCOUNT_V2, json)
  if (problems.length > 0) {
    for (const problem of problems) report.error(problem)
    return report.issues
  }
  const now = Math.floor(nowSeconds)
  const exp = num(claims, 'exp')
  const nbf = num(claims, 'nbf')
  if (exp > 0 && now > exp) report.timeCheck('claim is expired')
  if (nbf > 0 && nbf > now) report.timeCheck('claim is not yet valid')

  const nats = claimVersion(claims) === 1 ? migrateV1(rec(claims, 'nats')) : rec(claims, 'nats')
  checkAccount(nats, str(claims, 'sub'), report)
  if (isPublicKey(str(claims, 'iss'), 'A') && !limitsAreEmpty(rec(nats, 'limits'))) {
    report.warning("self-signed account JWTs shouldn't contain operator limits")
  }
  return report.issues
}
