/**
 * What Go's `encoding/json` sees in a JWT payload that `JSON.parse` hides: the literal form of
 * numbers (Go decodes `1.9e9`, `5.0` or `9223372036854775808` into no integer field) and how
 * keys match struct fields (case-insensitively, so `"SUB"` fills `sub`).
 * @module
 */

/** Where a value sits in the payload: object keys and array indices from the root. */
export type JsonPath = (string | number)[]

/** A number literal that may not fit an integer field: a fraction, an exponent or 19+ digits. */
export type NumberLiteral = { path: JsonPath; literal: string }

const QUOTE = 0x22
const BACKSLASH = 0x5c

/** The index just past the string that starts (with its quote) at `start`. */
function endOfString(json: string, start: number): number {
  let i = start + 1
  for (;;) {
    const next = json.indexOf('"', i)
    if (next === -1) return json.length
    let backslashes = 0
    while (json.charCodeAt(next - 1 - backslashes) === BACKSLASH) backslashes++
    if (backslashes % 2 === 0) return next + 1
    i = next + 1
  }
}

/**
 * Every number literal of `json` (already valid JSON) that is not a plain integer of fewer than
 * 19 digits, with its path. One pass; paths are only built for what is found: a level is an
 * array index, or the position of its key in the text.
 */
export function unusualNumbers(json: string): NumberLiteral[] {
  const found: NumberLiteral[] = []
  /** Per open container: -1 for an object, else the current array index. */
  const index: number[] = []
  /** Per open object: where its current key starts (the quote). */
  const keyAt: number[] = []
  let expectKey = false
  const pathOf = (): JsonPath =>
    index.map((at, level) => {
      if (at >= 0) return at
      const start = keyAt[level]!
      return JSON.parse(json.slice(start, endOfString(json, start))) as string
    })
  const n = json.length
  let i = 0
  while (i < n) {
    const c = json.charCodeAt(i)
    if (c === QUOTE) {
      if (expectKey) {
        keyAt[index.length - 1] = i
        expectKey = false
      }
      i = endOfString(json, i)
    } else if (c === 0x7b /* { */) {
      index.push(-1)
      expectKey = true
      i++
    } else if (c === 0x5b /* [ */) {
      index.push(0)
      i++
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      index.pop()
      i++
    } else if (c === 0x2c /* , */) {
      const top = index.length - 1
      if (index[top] === -1) expectKey = true
      else index[top]!++
      i++
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      const start = i
      let plain = true
      for (i++; i < n; i++) {
        const d = json.charCodeAt(i)
        if (d >= 0x30 && d <= 0x39) continue
        // '.', 'e', 'E', and the exponent's sign
        if (d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d) plain = false
        else break
      }
      const digits = i - start - (c === 0x2d ? 1 : 0)
      if (!plain || digits >= 19) found.push({ path: pathOf(), literal: json.slice(start, i) })
    } else i++
  }
  return found
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const UINT64_MAX = 2n ** 64n - 1n

/** Whether Go's `strconv.ParseInt`/`ParseUint` (what encoding/json uses) reads the literal. */
export function goParsesInteger(literal: string, unsigned: boolean): boolean {
  if (/[.eE]/.test(literal)) return false
  const value = BigInt(literal)
  return unsigned ? value >= 0n && value <= UINT64_MAX : value >= INT64_MIN && value <= INT64_MAX
}

/**
 * Go's key folding (`bytes.EqualFold`) as far as ASCII field names go: letters in any case, plus
 * the two non-ASCII runes that fold onto ASCII ones, the Kelvin sign (lower-cased to k here) and
 * long s (ſ).
 */
export function foldKey(key: string): string {
  return key.toLowerCase().replace(/ſ/g, 's')
}
