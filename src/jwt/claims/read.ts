/**
 * Reading claim values whose JSON types were already checked (absent and null read as Go's zero
 * values), the report issues are collected in, and Go's `%q` for messages.
 * @module
 */
import type { ClaimIssue } from '../../errors.js'
import { isRecord, type JsonObject as Json } from '../json.js'

export class Report {
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

export const EMPTY: Json = {}



export function rec(o: Json, key: string): Json {
  const v = o[key]
  return isRecord(v) ? v : EMPTY
}

export function list(o: Json, key: string): unknown[] {
  const v = o[key]
  return Array.isArray(v) ? v : []
}

export function strings(o: Json, key: string): string[] {
  return list(o, key).map((v) => (typeof v === 'string' ? v : ''))
}

export function str(o: Json, key: string): string {
  const v = o[key]
  return typeof v === 'string' ? v : ''
}

export function num(o: Json, key: string): number {
  const v = o[key]
  return typeof v === 'number' ? v : 0
}

/** Go's `ExportType` as its `String()` prints it. */
export function exportType(o: Json, key: string): 'stream' | 'service' | 'unknown' {
  const v = o[key]
  return v === 'stream' || v === 'service' ? v : 'unknown'
}

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
export function quote(s: string): string {
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
