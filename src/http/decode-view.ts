/**
 * The `?decode=true` view of a stored JWT, as the Go nats-account-server writes it
 * (`writeDecodedJWT`): header and claims re-marshalled by Go's encoding/json, then what Go's
 * regular expressions did, as linear scans: expand import activation tokens and annotate
 * `iat`/`exp` with UTC dates.
 * Byte-identical to Go for the JWTs that nsc and the NATS JWT libraries produce; malformed input
 * only gets Go's outer error message. The viewed JWT's own signature is never checked.
 * @module
 */
import { AccountServerError, ErrorCode } from '../errors.js'
import { decodeActivationJwt } from '../jwt/activation.js'
import { isRecord, segmentJson } from '../jwt/json.js'
import { TEXT_HEADERS } from './status.js'

const INDENT = '    '
/** Go marshals an expanded token with this prefix, as if it sat four levels deep. */
const TOKEN_PREFIX = ' '.repeat(16)
/** Go escapes these two; JSON.stringify, otherwise as Go with HTML escaping off, does not. */
const SEPARATORS = /[\u2028\u2029]/g

/** jwt.ClaimsData and jwt.Activation (+ GenericFields) fields, in Go's struct order. */
const CLAIMS_FIELDS = ['aud', 'exp', 'jti', 'iat', 'iss', 'name', 'nbf', 'sub']
const ACTIVATION_FIELDS = ['subject', 'kind', 'issuer_account', 'tags', 'type', 'version']

function fail(message: string): AccountServerError {
  return new AccountServerError(ErrorCode.JwtMalformed, message)
}

/** A base64url JWT segment as JSON, failing with Go's message for the step that failed. */
function parseSegment(segment: string, decodeError: string, parseError: string): unknown {
  const parsed = segmentJson(segment)
  if ('failed' in parsed) throw fail(parsed.failed === 'base64url' ? decodeError : parseError)
  return parsed.value
}

/**
 * What Go's json.Encoder writes with SetEscapeHTML(false) and SetIndent(pad, 4 spaces), without
 * the final newline. Object keys are sorted by UTF-8 bytes (Go maps) unless `sortKeys` is false
 * (Go structs, whose field order the caller has already set).
 */
function marshal(value: unknown, pad = '', sortKeys = true): string {
  if (typeof value !== 'object' || value === null) {
    return JSON.stringify(value).replace(SEPARATORS, (c) => `\\u${c.charCodeAt(0).toString(16)}`)
  }
  const isArray = Array.isArray(value)
  const entries: Array<[string | null, unknown]> = isArray
    ? value.map((item: unknown) => [null, item])
    : Object.entries(value)
  if (entries.length === 0) return isArray ? '[]' : '{}'
  if (sortKeys && !isArray) {
    entries.sort(([a], [b]) => Buffer.compare(Buffer.from(a!), Buffer.from(b!)))
  }
  const inner = pad + INDENT
  const members = entries.map(([key, item]) => {
    const name = key === null ? '' : `${marshal(key)}: `
    return `${inner}${name}${marshal(item, inner, sortKeys)}`
  })
  return `${isArray ? '[' : '{'}\n${members.join(',\n')}\n${pad}${isArray ? ']' : '}'}`
}

/** The `names` members of `source` that Go's `omitempty` keeps, in that order. */
function pick(source: Record<string, unknown>, names: string[]): Record<string, unknown> {
  const empty = (v: unknown): boolean =>
    v === undefined || v === null || v === '' || v === 0 || (Array.isArray(v) && v.length === 0)
  return Object.fromEntries(names.map((n) => [n, source[n]]).filter(([, v]) => !empty(v)))
}

/** jwt.DecodeActivationClaims as Go marshals its result: struct order, empty fields omitted. */
function decodeActivation(token: string): Record<string, unknown> {
  const jwt = decodeActivationJwt(token)
  const { claims } = jwt
  const nats = isRecord(claims.nats) ? claims.nats : {}
  // Go migrates v1: `tags`, `type` and `issuer_account` move under `nats`, `nats.type` is the kind.
  const fields: Record<string, unknown> =
    jwt.version === 1
      ? {
          subject: nats.subject,
          kind: nats.type,
          issuer_account: claims.issuer_account,
          tags: claims.tags,
          type: claims.type,
          version: 1,
        }
      : nats
  // Go's jwt.ExportType refuses any other kind while decoding.
  if (fields.kind !== undefined && fields.kind !== 'stream' && fields.kind !== 'service') {
    throw fail(`unknown export type ${JSON.stringify(fields.kind)}`)
  }
  return { ...pick(claims, CLAIMS_FIELDS), nats: pick(fields, ACTIVATION_FIELDS) }
}

/**
 * The first index of `needle` at or after a position, for positions that only grow: each call
 * resumes where the last search ended, so a whole pass over the text is linear.
 */
function forwardFinder(text: string, needle: string): (from: number) => number {
  let searchedFrom = Number.POSITIVE_INFINITY
  let found = -1
  return (from) => {
    // `found` is the first occurrence at or after `searchedFrom` (-1: none there).
    if (from < searchedFrom || (found !== -1 && found < from)) {
      found = text.indexOf(needle, from)
      searchedFrom = from
    }
    return found
  }
}

/**
 * Go's `ReplaceAllStringFunc` of a pattern `<key>.*?<rest>` whose `.` stops at a newline, as a
 * linear scan: a regular expression here backtracked to quadratic time (66 s on a 934 KB JWT).
 * `end(start, lineEnd)` is where the match starting at `start` ends, or -1 when it fails.
 */
function replaceMembers(
  text: string,
  keys: readonly string[],
  end: (start: number, lineEnd: number) => number,
  replace: (start: number, stop: number) => string,
): string {
  const finders = keys.map((key) => forwardFinder(text, key))
  const newline = forwardFinder(text, '\n')
  let out = ''
  let copied = 0
  let at = 0
  for (;;) {
    let start = -1
    for (const find of finders) {
      const found = find(at)
      if (found !== -1 && (start === -1 || found < start)) start = found
    }
    if (start === -1) break
    const nextNewline = newline(start)
    const stop = end(start, nextNewline === -1 ? text.length : nextNewline)
    if (stop === -1) {
      at = start + 1
      continue
    }
    out += text.slice(copied, start) + replace(start, stop)
    copied = at = stop
  }
  return out + text.slice(copied)
}

const TOKEN_KEY = '"token":'

/** Go's `"token":.*?"(.*?)",`: the token runs from the first quote after the key to the first `",`. */
function expandTokens(json: string): string {
  const quote = forwardFinder(json, '"')
  const quoteComma = forwardFinder(json, '",')
  let tokenStart = 0
  let tokenEnd = 0
  const end = (start: number, lineEnd: number) => {
    const open = quote(start + TOKEN_KEY.length)
    if (open === -1 || open >= lineEnd) return -1
    const close = quoteComma(open + 1)
    if (close === -1 || close >= lineEnd) return -1
    tokenStart = open + 1
    tokenEnd = close
    return close + 2
  }
  return replaceMembers(json, [TOKEN_KEY], end, () => {
    try {
      return `"token": ${marshal(decodeActivation(json.slice(tokenStart, tokenEnd)), TOKEN_PREFIX, false)},`
    } catch (err) {
      if (!(err instanceof AccountServerError)) throw err
      return `"token": <bad token - ${err.message}>,`
    }
  })
}

const DATE_KEYS = ['"iat":', '"exp":']

/** Go's `"(iat|exp)":.*?(\d?),`: the member runs from the key to the first comma. */
function annotateDates(json: string): string {
  const comma = forwardFinder(json, ',')
  const end = (start: number, lineEnd: number) => {
    const found = comma(start + DATE_KEYS[0]!.length)
    return found === -1 || found >= lineEnd ? -1 : found + 1
  }
  return replaceMembers(json, DATE_KEYS, end, (start, stop) => {
    const member = json.slice(start, stop)
    const key = member.slice(1, 4)
    const value = member.slice(member.lastIndexOf(' ') + 1, -1)
    const date = new Date(/^-?\d+$/.test(value) ? Number(value) * 1000 : NaN)
    // Go's strconv.Atoi failing (a float, a string...) turns the whole answer into this error.
    if (Number.isNaN(date.getTime())) throw fail('error marshalling account tokens')
    return `"${key}": ${value} (${date.getTime() === 0 ? '' : date.toISOString().slice(0, 10)}),`
  })
}

/**
 * The text of `GET …?decode=true`: header JSON, CRLF, claims JSON, CRLF, the third segment as is.
 * @throws AccountServerError ERR_JWT_MALFORMED with the message Go answered 500 with
 */
export function formatDecodedJwt(token: string): string {
  const [head = '', body = '', sig] = token.split('.')
  // Go indexes the third part unchecked and panics (the connection drops); we report an error.
  if (sig === undefined) throw fail('error decoding account claim')

  const unmarshalError = 'error unmarshalling account claim header'
  const header = parseSegment(head, 'error decoding account claim header', unmarshalError)
  if (!isRecord(header)) throw fail(unmarshalError)
  const { typ = '', alg = '' } = header
  if (typeof typ !== 'string' || typeof alg !== 'string') throw fail(unmarshalError)

  const claims = parseSegment(body, 'error decoding account claim', 'error decoding account claim')
  // Go unmarshals into a map: only an object fits, or null (a nil map, printed `null`).
  if (claims !== null && !isRecord(claims)) throw fail('error decoding account claim')

  let claimsJson: string
  try {
    claimsJson = marshal(claims)
  } catch (err) {
    // Some thousand levels of nesting exhaust the stack (Go takes 10,000): fail as Go would.
    if (err instanceof RangeError) throw fail('error marshalling account claim')
    throw err
  }
  claimsJson = annotateDates(expandTokens(claimsJson))
  return `${marshal({ typ, alg }, '', false)}\n\r\n${claimsJson}\n\r\n${sig}`
}

/** `GET …?decode=true`: 200 with the view, or Go's 500 with its message when it cannot decode. */
export function decodedJwtResponse(token: string): Response {
  try {
    return new Response(formatDecodedJwt(token), { headers: { 'Content-Type': 'text/plain' } })
  } catch (err) {
    if (!(err instanceof AccountServerError)) throw err
    return new Response(`${err.message}\n`, { status: 500, headers: TEXT_HEADERS })
  }
}
