/**
 * Parser for the nats-server configuration format, the format the Go account server read:
 * `key: value`, `key = value` or `key value`; `{}` maps (the top level needs no braces); `[]`
 * arrays; "…" strings with escapes, '…' raw strings, `( … )` block strings and bare strings;
 * integers with size units, floats, booleans, Zulu datetimes; `include <file>`; `$VARIABLE`
 * references; `#` and `//` comments. Written from the format's grammar and nats-server's
 * documented and tested behaviour.
 * @module
 */
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { ConfigSyntaxError } from '../errors.js'

export type ConfigValue = string | number | boolean | Date | ConfigValue[] | ConfigMap
export type ConfigMap = { [key: string]: ConfigValue }
export type Position = { file: string; line: number }
export type ParseOptions = {
  /** Name used in messages and directory of relative includes. @default '<string>' */
  file?: string
  /** Where `$VARIABLE`s not defined in the file are looked up. @default process.env */
  env?: Record<string, string | undefined>
}

const positions = new WeakMap<ConfigMap, Map<string, Position>>()

/** Where `key` of a parsed map was (last) defined, included files and nested maps too. */
export function positionOf(map: ConfigMap, key: string): Position | undefined {
  return positions.get(map)?.get(key)
}

/**
 * Parses configuration text. Includes are read (synchronously) relative to `options.file`.
 * @throws ConfigSyntaxError naming the file and line
 */
export function parseConfig(text: string, options: ParseOptions = {}): ConfigMap {
  const file = options.file ?? '<string>'
  const includes = options.file === undefined ? [] : [resolve(file)]
  const env = options.env ?? process.env
  return new Parser(text, { file, env, includes, envRefs: new Set() }).document()
}

/**
 * Reads and parses a configuration file.
 * @throws ConfigSyntaxError naming the file, also when it cannot be read
 */
export async function parseConfigFile(
  path: string,
  options: Omit<ParseOptions, 'file'> = {},
): Promise<ConfigMap> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ConfigSyntaxError(path, 0, `error opening config file: ${(err as Error).message}`)
  }
  return parseConfig(text, { env: options.env, file: path })
}

type Context = {
  file: string
  env: Record<string, string | undefined>
  /** Absolute paths of the files being parsed, outermost first: including one again loops. */
  includes: string[]
  /** Environment variables being expanded, to stop `A='$B'`, `B='$A'` from looping. */
  envRefs: Set<string>
}

const BOOLEANS = new Map([
  ['true', true], ['yes', true], ['on', true], ['false', false], ['no', false], ['off', false],
])
const ESCAPES = new Map([['t', '\t'], ['n', '\n'], ['r', '\r'], ['"', '"'], ['\\', '\\']])
const UTF8 = new TextDecoder('utf-8', { fatal: true })

// Sticky scanners, always positioned by `scan`.
const KEY = /[^\s=:]*/y
const BARE = /[^\s,;\]}\\]*/y
const DQ_TEXT = /[^"\\]*/y
const INCLUDE_PATH = /[^\s;}]*/y
const BLANKS = /[ \t]*/y
/** The end of a `( … )` block: a ')' alone on its line. */
const BLOCK_END = /\n\)(?=\r?\n|$)/g

const SIZED = /^(-?\d+)([kmgtpe](?:b|i|ib)?)?$/i
const FLOAT = /^-?\d+\.\d+$/
/** Unquoted IP addresses (`127.0.0.1`, `0.0.0.0:4222`) stay strings. */
const IP = /^\d+\.\d+\.[\d.:-]*$/
const DATETIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/

/** k, m, g, t, p, e are powers of 1000; with b, i or ib (kb, Mi, GiB) powers of 1024. */
function unitOf(suffix: string): number {
  const power = 'kmgtpe'.indexOf(suffix.charAt(0).toLowerCase()) + 1
  return (suffix.length > 1 ? 1024 : 1000) ** power
}

function set(map: ConfigMap, key: string, value: ConfigValue, at: Position): void {
  // defineProperty, so that a key such as '__proto__' is an entry like any other
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true })
  let keys = positions.get(map)
  if (keys === undefined) positions.set(map, (keys = new Map()))
  keys.set(key, at)
}

const isLineEnd = (c: string) => c === '' || c === '\n' || c === '\r'

class Parser {
  private pos = 0
  private line = 1
  /** The maps being filled, innermost last: `$NAME` is looked up there before the env. */
  private readonly scopes: ConfigMap[] = []

  constructor(
    private readonly src: string,
    private readonly ctx: Context,
  ) {}

  document(): ConfigMap {
    const map: ConfigMap = {}
    this.scopes.push(map)
    this.body(map, 0, true)
    return map
  }

  /** A text holding one value and nothing else (an environment variable's); '' when empty. */
  lone(): ConfigValue {
    this.skipBlank()
    if (this.peek() === '') return ''
    if (/[,;\]}]/.test(this.peek())) this.fail(`expected a value, got '${this.peek()}'`)
    const value = this.value()
    this.skipBlank()
    if (this.peek() !== '') this.fail(`unexpected '${this.peek()}' after the value`)
    return value
  }

  private fail(reason: string, line = this.line): never {
    throw new ConfigSyntaxError(this.ctx.file, line, reason)
  }

  private peek(offset = 0): string {
    return this.src.charAt(this.pos + offset)
  }

  private advance(to: number): void {
    for (let i = this.pos; i < to; i++) if (this.src[i] === '\n') this.line++
    this.pos = to
  }

  private scan(re: RegExp): string {
    re.lastIndex = this.pos
    const text = re.exec(this.src)?.[0] ?? ''
    this.advance(this.pos + text.length)
    return text
  }

  /** Spaces and tabs, then a comment up to (not including) the end of the line. */
  private skipInline(): void {
    this.scan(BLANKS)
    if (this.peek() === '#' || (this.peek() === '/' && this.peek(1) === '/')) {
      while (!isLineEnd(this.peek())) this.pos++
    }
  }

  /** White space, new lines and comments; with `separators` also ';' and ',' between entries. */
  private skipBlank(separators = false): void {
    for (;;) {
      this.skipInline()
      const c = this.peek()
      const skip = c === '\n' || c === '\r' || (separators && (c === ';' || c === ','))
      if (!skip) return
      this.advance(this.pos + 1)
    }
  }

  /** Entries up to the end of the input or, when `open` is a line, to the '}' opened there. */
  private body(map: ConfigMap, open: number, top: boolean): void {
    for (;;) {
      this.skipBlank(true)
      const c = this.peek()
      if (c === '') {
        if (open) this.fail(`unterminated map: the '{' is never closed`, open)
        return
      }
      if (c === '}') {
        const line = this.line
        this.pos++
        if (open) return
        // nats accepts a stray '}' ending the top level (JSON-like files)
        this.skipBlank(true)
        if (this.peek() === '') return
        this.fail(`unexpected '}'`, line)
      }
      if (top && c === '{') {
        // The top level may be wrapped in braces, as in JSON; its entries stay top-level
        this.pos++
        this.body(map, this.line, true)
      } else this.entry(map)
    }
  }

  private entry(map: ConfigMap): void {
    const line = this.line
    const quoted = this.peek() === '"' || this.peek() === "'"
    const key = this.key()
    if (!quoted && key.toLowerCase() === 'include' && /^\s/.test(this.peek())) {
      this.include(map)
    } else {
      // New lines may come between key and value (a '{' on its own line, say)
      this.skipBlank()
      if (this.peek() === '=' || this.peek() === ':') this.pos++
      this.skipBlank()
      if (/^$|[,;\]}]/.test(this.peek())) this.fail(`missing value for key '${key}'`, line)
      set(map, key, this.value(), { file: this.ctx.file, line })
    }
    this.skipInline()
    const c = this.peek()
    if (!isLineEnd(c) && c !== ';' && c !== ',' && c !== '}') {
      this.fail(`expected a new line, ';' or ',' after the value of '${key}', got '${c}'`)
    }
  }

  /** Bare keys run up to white space, '=' or ':'; quoted keys have no escapes. */
  private key(): string {
    const c = this.peek()
    if (c === '"' || c === "'") return this.quoted(c, 'quoted key')
    if (c === '=' || c === ':' || c === ']') this.fail(`expected a key, got '${c}'`)
    return this.scan(KEY)
  }

  private value(): ConfigValue {
    switch (this.peek()) {
      case '[':
        return this.array()
      case '{':
        return this.map()
      case '"':
        return this.dqString()
      case "'":
        return this.quoted("'", 'string')
      case '(':
        return this.block()
    }
    return this.bare()
  }

  private array(): ConfigValue[] {
    const open = this.line
    this.pos++
    const items: ConfigValue[] = []
    for (;;) {
      this.skipBlank()
      const c = this.peek()
      if (c === ']') {
        this.pos++
        return items
      }
      if (c === '') this.fail(`unterminated array: the '[' is never closed`, open)
      if (c === ',' || c === ';' || c === '}') this.fail(`unexpected '${c}' in array`)
      items.push(this.value())
      this.skipInline()
      const next = this.peek()
      if (next === ',') this.pos++
      else if (!isLineEnd(next) && next !== ']') {
        this.fail(`expected ',', a new line or ']' after an array element, got '${next}'`)
      }
    }
  }

  private map(): ConfigMap {
    const map: ConfigMap = {}
    this.scopes.push(map)
    this.pos++
    this.body(map, this.line, false)
    this.scopes.pop()
    return map
  }

  /** Text up to the next `quote`, taken as is (raw strings, quoted keys and include paths). */
  private quoted(quote: string, what: string): string {
    const open = this.line
    const end = this.src.indexOf(quote, this.pos + 1)
    if (end < 0) this.fail(`unterminated ${what}`, open)
    const text = this.src.slice(this.pos + 1, end)
    this.advance(end + 1)
    return text
  }

  private dqString(): string {
    const open = this.line
    this.pos++
    let text = ''
    for (;;) {
      text += this.scan(DQ_TEXT)
      const c = this.peek()
      if (c === '') this.fail('unterminated string', open)
      this.pos++
      if (c === '"') return text
      text += this.escape()
    }
  }

  /** `( … )` keeps every line up to a ')' alone on a line, the new lines around them too. */
  private block(): string {
    BLOCK_END.lastIndex = this.pos
    const end = BLOCK_END.exec(this.src)
    if (end === null) this.fail(`unterminated block: no ')' alone on a line`)
    const text = this.src.slice(this.pos + 1, end.index + 1)
    this.advance(end.index + 2)
    return text
  }

  /** The character(s) after a '\': \t \n \r \" \\ or \xXX bytes (a run decodes as UTF-8). */
  private escape(): string {
    const c = this.peek()
    this.pos++
    const simple = ESCAPES.get(c)
    if (simple !== undefined) return simple
    if (c !== 'x') {
      this.fail(`invalid escape '\\${c}': only \\xXX, \\t, \\n, \\r, \\" and \\\\ are allowed`)
    }
    const bytes = [this.hexByte()]
    while (this.src.startsWith('\\x', this.pos)) {
      this.pos += 2
      bytes.push(this.hexByte())
    }
    try {
      return UTF8.decode(Uint8Array.from(bytes))
    } catch {
      return String.fromCharCode(...bytes) // not UTF-8: one character per byte (Latin-1)
    }
  }

  private hexByte(): number {
    const hex = this.src.slice(this.pos, this.pos + 2)
    if (!/^[0-9a-f]{2}$/i.test(hex)) this.fail(`expected two hexadecimal digits after '\\x'`)
    this.pos += 2
    return parseInt(hex, 16)
  }

  /** An unquoted value, up to white space, ',', ';', ']' or '}'. */
  private bare(): ConfigValue {
    const line = this.line
    let word = ''
    let escaped = false
    for (;;) {
      word += this.scan(BARE)
      if (this.peek() !== '\\') break
      this.pos++
      word += this.escape()
      escaped = true
    }
    // Escapes make a plain string: `\\true` is not a boolean, `\\$x` not a variable
    return escaped ? word : this.classify(word, line)
  }

  private classify(word: string, line: number): ConfigValue {
    const bool = BOOLEANS.get(word.toLowerCase())
    if (bool !== undefined) return bool
    if (word.startsWith('$')) return this.variable(word.slice(1), line)
    if (!/^[-.]?\d/.test(word)) return word
    const sized = SIZED.exec(word)
    if (sized) {
      const n = Number(sized[1]) * (sized[2] ? unitOf(sized[2]) : 1)
      if (!Number.isSafeInteger(n)) this.fail(`integer '${word}' is out of range`, line)
      return n
    }
    if (FLOAT.test(word)) return Number(word)
    if (IP.test(word)) return word
    if (DATETIME.test(word)) {
      const date = new Date(word)
      // Date() would roll 2024-02-30 over into March; nats refuses such dates
      if (!Number.isNaN(date.getTime()) && date.toISOString() === word.replace('Z', '.000Z')) {
        return date
      }
      this.fail(`invalid datetime '${word}'`, line)
    }
    // As in nats: `.5`, `1.5x`, `-1x` and partial dates are errors, not strings
    if (/^[-.]|^\d+[.-]/.test(word)) this.fail(`invalid number or datetime '${word}'`, line)
    return word // starts with a digit but is no number: 3xyz, 1Ghz
  }

  private variable(name: string, line: number): ConfigValue {
    // Unquoted bcrypt hashes ($2a$11$…) are passwords, not references
    if (name.startsWith('2a$')) return `$${name}`
    for (const scope of this.scopes.toReversed()) {
      if (Object.hasOwn(scope, name)) return scope[name] as ConfigValue
    }
    const reference = `variable reference for '${name}' on line ${line}`
    const raw = this.ctx.env[name]
    if (raw === undefined) this.fail(`${reference} can not be found`, line)
    if (this.ctx.envRefs.has(name)) this.fail(`variable reference cycle for '${name}'`, line)
    // Environment values are parsed as values: PORT=4222 gives a number, A=[1, 2] an array
    this.ctx.envRefs.add(name)
    try {
      return new Parser(raw, { ...this.ctx, file: `$${name}` }).lone()
    } catch (err) {
      if (!(err instanceof ConfigSyntaxError)) throw err
      this.fail(`${reference} could not be parsed: ${err.reason}`, line)
    } finally {
      this.ctx.envRefs.delete(name)
    }
  }

  /** `include <path>`: the included file's top-level entries become entries of this map. */
  private include(map: ConfigMap): void {
    this.scan(BLANKS)
    const c = this.peek()
    const path = c === '"' || c === "'" ? this.quoted(c, 'include path') : this.scan(INCLUDE_PATH)
    if (path === '') this.fail('include needs a file name')
    const file = isAbsolute(path) ? path : join(dirname(this.ctx.file), path)
    const absolute = resolve(file)
    if (this.ctx.includes.includes(absolute)) {
      this.fail(`include cycle: '${path}' is already being read`)
    }
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      this.fail(`error opening include file '${path}': ${(err as Error).message}`)
    }
    const includes = [...this.ctx.includes, absolute]
    const included = new Parser(text, { ...this.ctx, file, includes }).document()
    for (const [key, value] of Object.entries(included)) {
      set(map, key, value, positionOf(included, key) ?? { file, line: 1 })
    }
  }
}
