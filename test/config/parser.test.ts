import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigSyntaxError } from '../../src/errors.js'
import {
  parseConfig,
  parseConfigFile,
  positionOf,
  type ConfigMap,
  type ConfigValue,
} from '../../src/config/parser.js'
import { tempDir } from '../helpers/tmp.js'

const parse = (text: string, env: Record<string, string> = {}) =>
  parseConfig(text, { file: 'test.conf', env })

function failure(run: () => unknown): ConfigSyntaxError {
  try {
    run()
  } catch (err) {
    if (err instanceof ConfigSyntaxError) return err
    throw err
  }
  throw new Error('expected a ConfigSyntaxError')
}

/** Writes `files` (relative name → content) under a fresh temp directory. */
async function tree(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('nats-accounts-conf-')
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true })
    await writeFile(join(dir, name), text)
  }
  return dir
}

const BCRYPT_A = '$2a$10$UHR6GhotWhpLsKtVP0/i6.Nh9.fuY73cWjLoJjb2sKT8KISBcUW5q'
const BCRYPT_B = '$2a$11$dZM98SpGeI7dCFFGSpt.JObQcix8YHml4TBUZoge9R1uxnMIln5ly'

describe('parseConfig: syntax', () => {
  it.each<[string, string, ConfigMap]>([
    // key/value separators (nats lex tests)
    ['equals', 'foo = 123', { foo: 123 }],
    ['equals, no spaces', 'foo=123\r\n', { foo: 123 }],
    ['colon', 'foo : 123', { foo: 123 }],
    ['colon, no spaces', 'foo:123', { foo: 123 }],
    ['white space', 'foo 123', { foo: 123 }],
    ['tabs', 'foo\t\t123\r\n', { foo: 123 }],
    ['value after tabs', "foo=\t'bar'\t", { foo: 'bar' }],
    ['single-quoted key', "'foo' : 123", { foo: 123 }],
    ['double-quoted key', '"foo" = 123', { foo: 123 }],
    ['quoted key keeps spaces', "' foo' : 123", { ' foo': 123 }],
    ['quoted key with special characters', "foo = {'bar-1.2.3' = { port:4242 }}", {
      foo: { 'bar-1.2.3': { port: 4242 } },
    }],
    ['keys keep their case', 'OperatorJWTPath: a\noperatorjwtpath: b', {
      OperatorJWTPath: 'a',
      operatorjwtpath: 'b',
    }],
    ['later duplicates win', 'a = 1\na = 2', { a: 2 }],
    ['a redefined map replaces the old one', 'a { x: 1 }\na { y: 2 }', { a: { y: 2 } }],
    ['__proto__ is a key like any other', '__proto__ = 1', JSON.parse('{"__proto__": 1}')],
    // terminators and comments
    ['semicolons', "foo='1'; bar=2.2; baz=true; boo=22", {
      foo: '1', bar: 2.2, baz: true, boo: 22,
    }],
    ['top-level commas', 'a = 1, b = 2,', { a: 1, b: 2 }],
    ['empty input', '', {}],
    ['blank lines', '\n\n   \n\t\n', {}],
    ['only comments', '# a comment\n// another\n   # indented', {}],
    ['hash comment after a value', 'foo=123    # This is a comment', { foo: 123 }],
    ['slash comment after a value', 'foo = 123 // This is a comment', { foo: 123 }],
    ['# and // inside bare values are no comments', 'a = b#c\nu = http://h//p', {
      a: 'b#c',
      u: 'http://h//p',
    }],
    // maps
    ['inline map', "foo = {ip='127.0.0.1', port = 4242}", { foo: { ip: '127.0.0.1', port: 4242 } }],
    ['multi-line map with comments', `
foo = {
  ip = '127.0.0.1' # the IP
  port= 4242 // the port
}`, {
      foo: { ip: '127.0.0.1', port: 4242 },
    }],
    ['nested maps without separator', `
foo  {
  host  {
    ip = '127.0.0.1'
    port= 4242
  }
}`, {
      foo: { host: { ip: '127.0.0.1', port: 4242 } },
    }],
    ['map closed on the value line', 'map {\n  foo = 3xyz}', { map: { foo: '3xyz' } }],
    ['map entries ended by ; and ,', 'map {\n  foo = 3xyz;\n  bar = 4wqs,\n  baz = 1\n}', {
      map: { foo: '3xyz', bar: '4wqs', baz: 1 },
    }],
    ['brace on the next line', 'foo\n{\n  a = 1\n}', { foo: { a: 1 } }],
    ['empty map', 'a {}\nb = {\n}', { a: {}, b: {} }],
    // arrays
    ['array', "foo = [1, 2, 3, 'bar']", { foo: [1, 2, 3, 'bar'] }],
    ['array without spaces', "foo = [1,2,3,'bar']", { foo: [1, 2, 3, 'bar'] }],
    ['multi-line array with comments', `
# top level comment
foo = [
 1, # One
 2, // Two
 3 # Three
 'bar'     ,
 "bar"
]`, {
      foo: [1, 2, 3, 'bar', 'bar'],
    }],
    ['multi-line array without commas', `
foo = [
 1 // foo
 2
 3
 'bar'
 "bar"
]`, {
      foo: [1, 2, 3, 'bar', 'bar'],
    }],
    ['trailing comma', 'a = [1, 2,]', { a: [1, 2] }],
    ['empty and nested arrays', 'a = []\nb = [[1, 2], [], [x]]', { a: [], b: [[1, 2], [], ['x']] }],
    ['bare host:port elements', 'listen = [localhost:4222, localhost:4333]', {
      listen: ['localhost:4222', 'localhost:4333'],
    }],
    ['array of maps', `
authorization {
    users = [
      {user: alice, password: foo}
      {user: bob,   password: bar}
    ]
    timeout: 0.5
}`, {
      authorization: {
        users: [{ user: 'alice', password: 'foo' }, { user: 'bob', password: 'bar' }],
        timeout: 0.5,
      },
    }],
    // strings
    ['double-quoted', 'foo = "bar"', { foo: 'bar' }],
    ['single-quoted', "foo = 'bar'", { foo: 'bar' }],
    ['empty strings', `a = ""\nb = ''`, { a: '', b: '' }],
    ['double-quoted escapes', String.raw`a = "t\tn\nr\rq\"b\\"`, { a: 't\tn\nr\rq"b\\' }],
    ['hex escapes', String.raw`a = "\x41\x42c"`, { a: 'ABc' }],
    ['a run of hex escapes decodes as UTF-8', String.raw`a = "caf\xc3\xa9"`, { a: 'café' }],
    ['a byte that is no UTF-8 is Latin-1', String.raw`a = "\xe9"`, { a: 'é' }],
    ['escaped backslash at the start', String.raw`foo = "\\end"`, { foo: '\\end' }],
    ['escaped backslash at the end', String.raw`foo = "start\\"`, { foo: 'start\\' }],
    ['single quotes are raw', String.raw`foo = 'bar\r\n  \t'`, { foo: String.raw`bar\r\n  \t` }],
    ['quotes of the other kind', `foo  {\n  expr = '(true == "false")'\n}`, {
      foo: { expr: '(true == "false")' },
    }],
    ['multi-line quoted strings', "text = 'This is a multi-line\ntext block.'\nb = \"x\ny\"", {
      text: 'This is a multi-line\ntext block.',
      b: 'x\ny',
    }],
    ['quoted $VAR is literal', 'foo = "$VAR1"', { foo: '$VAR1' }],
    ['quoted booleans and numbers are strings', `t = "true"\nn = '42'`, { t: 'true', n: '42' }],
    // bare strings
    ['bare strings', `
bar = baz
baz=boo
map {
 id:one
 id2 : onetwo
}
fkey = five # This should be a string`, {
      bar: 'baz',
      baz: 'boo',
      map: { id: 'one', id2: 'onetwo' },
      fkey: 'five',
    }],
    ['IP address and port', 'listen: 127.0.0.1:4222', { listen: '127.0.0.1:4222' }],
    ['IP address', 'listen: 127.0.0.1', { listen: '127.0.0.1' }],
    ['host and port', 'listen: apcera.me:80', { listen: 'apcera.me:80' }],
    ['host and negative port', 'listen: nats.io:-1', { listen: 'nats.io:-1' }],
    ['port only', 'a: :-1\nb = :80', { a: ':-1', b: ':80' }],
    ['any-address block', '{ listen: 0.0.0.0:4222 }', { listen: '0.0.0.0:4222' }],
    ['URLs', 'routes = [\n nats-route://foo:bar@apcera.me:4245\n nats://localhost:4222\n]', {
      routes: ['nats-route://foo:bar@apcera.me:4245', 'nats://localhost:4222'],
    }],
    ['paths', 'a = /tmp/as_store\nb = ./relative/dir\nc = ../up', {
      a: '/tmp/as_store',
      b: './relative/dir',
      c: '../up',
    }],
    ['strings starting with a digit', 'a = 3xyz\nb = 1Ghz\nc = 2Pie\nd = 3Mbs,\ne = 5Gø', {
      a: '3xyz',
      b: '1Ghz',
      c: '2Pie',
      d: '3Mbs',
      e: '5Gø',
    }],
    ['escapes in bare strings', 'foo  = \\t\nbar  = \\r\nbaz  = \\n\nq    = \\"\nbs   = \\\\', {
      foo: '\t',
      bar: '\r',
      baz: '\n',
      q: '"',
      bs: '\\',
    }],
    ['hex escapes in bare strings', String.raw`a = \x45\x71
b = start\x45\x71
c = start\x7Cend
d = \x3c\x3eend
e = \x3cmiddle\x3E`, { a: 'Eq', b: 'startEq', c: 'start|end', d: '<>end', e: '<middle>' }],
    ['an escaped bare word is no boolean or variable', String.raw`a = \\true
b = \\$var`, { a: '\\true', b: '\\$var' }],
    // block strings
    ['block string', 'numbers (\n1234567890\n)\n', { numbers: '\n1234567890\n' }],
    ['block string with parentheses inside', `numbers (
  12(34)56
  (
    7890
  )
)
b = 1`, {
      numbers: '\n  12(34)56\n  (\n    7890\n  )\n',
      b: 1,
    }],
    ['empty block string at the end', 'a (\n)', { a: '\n' }],
    ['block string in a CRLF file', 'a (\r\nx\r\n)\r\nb = 2', { a: '\r\nx\r\n', b: 2 }],
    // numbers
    ['integers', 'a = 123\nb = -123\nc = 0\nd = -1', { a: 123, b: -123, c: 0, d: -1 }],
    ['floats', 'a = 22.2\nb = 0.5\nc = -1.5', { a: 22.2, b: 0.5, c: -1.5 }],
    ['size units: k m g t p are powers of 1000', 'k 8k; K 1K; m 1m; M 1M; g 2g; G 1G; t 3t; p 2P', {
      k: 8000, K: 1000, m: 1e6, M: 1e6, g: 2e9, G: 1e9, t: 3e12, p: 2e15,
    }],
    ['size units with b, i or ib are powers of 1024', `
kb = 4kb; ki = 3ki; kib = 4KiB
mb = 2MB; mi = 2Mi; mib = 64MiB
gb = 22GB; gi = 22Gi; gib = 1Gb
tb = 2TB; pi = 1Pi`, {
      kb: 4096,
      ki: 3072,
      kib: 4096,
      mb: 2 * 1024 ** 2,
      mi: 2 * 1024 ** 2,
      mib: 64 * 1024 ** 2,
      gb: 22 * 1024 ** 3,
      gi: 22 * 1024 ** 3,
      gib: 1024 ** 3,
      tb: 2 * 1024 ** 4,
      pi: 1024 ** 5,
    }],
    ['negative sizes', 'a = -1m\nb = -1GB ', { a: -1e6, b: -(1024 ** 3) }],
    ['sizes before a comma', 'foo = 4Gb, bar = 5Gø', { foo: 4 * 1024 ** 3, bar: '5Gø' }],
    // booleans and dates
    ['booleans, any case', 'a = true\nb = TRUE\nc = yes\nd = On\ne = false\nf = No\ng = OFF', {
      a: true, b: true, c: true, d: true, e: false, f: false, g: false,
    }],
    ['Zulu datetime', 'now = 2016-05-04T18:53:41Z\ngmt = false\n', {
      now: new Date(Date.UTC(2016, 4, 4, 18, 53, 41)),
      gmt: false,
    }],
    // JSON-like files (nats JSON compat tests)
    ['JSON on one line', '{"http_port": 8224,"port": 4224}\n', { http_port: 8224, port: 4224 }],
    ['JSON with nested blocks', `{
  "jetstream": {
    "store_dir": "/tmp/nats"
    "max_mem": 1000000,
  },
  "port": 4222,
  "server_name": "nats1"
}
`, {
      jetstream: { store_dir: '/tmp/nats', max_mem: 1000000 },
      port: 4222,
      server_name: 'nats1',
    }],
    ['uglified JSON', '{"write_deadline": "1h","cluster": {"port": 6222,' +
      '"routes": ["nats://127.0.0.1:4222","nats://127.0.0.1:4223"]}}', {
      write_deadline: '1h',
      cluster: { port: 6222, routes: ['nats://127.0.0.1:4222', 'nats://127.0.0.1:4223'] },
    }],
    ['empty JSON object', '{}', {}],
    ['nested top-level braces with comments', `
{
  {
    listen: 0.0.0.0:4222 // random comment
  }
  # wibble1
}
# wibble2
`, {
      listen: '0.0.0.0:4222',
    }],
    ['a stray closing brace at the end', 'accounts { users = [{}]}\n}\n', {
      accounts: { users: [{}] },
    }],
    ['top-level values in braces', `
{
  "debug":   False

  # Profile port specification.
  "prof_port":          8221
}`, {
      debug: false,
      prof_port: 8221,
    }],
  ])('%s', (_name, text, expected) => {
    expect(parse(text)).toEqual(expected)
  })

  it('makes every parsed map a plain object', () => {
    const parsed = parse('a { b { c = 1 } }\nd = [{ e = 2 }]')
    expect(Object.getPrototypeOf(parsed.a)).toBe(Object.prototype)
    expect(JSON.stringify(parsed)).toBe('{"a":{"b":{"c":1}},"d":[{"e":2}]}')
  })
})

describe('parseConfig: variables', () => {
  it.each<[string, string, Record<string, string>, ConfigMap]>([
    ['defined in the file', 'index = 22\nfoo = $index', {}, { index: 22, foo: 22 }],
    ['innermost map first, then enclosing ones', `
index = 22
nest {
  index = 11
  foo = $index
}
bar = $index`, {}, {
      index: 22,
      nest: { index: 11, foo: 11 },
      bar: 22,
    }],
    ['from enclosing maps inside arrays', `
pw = x
users = [ { user: a, password: $pw } ]
l = [ $pw ]`, {}, {
      pw: 'x',
      users: [{ user: 'a', password: 'x' }],
      l: ['x'],
    }],
    ['maps and arrays as values', `
BAR = { users = [ {user = "bar"} ]}
Q = [ { user: q } ]
accounts { bar = $BAR, q = { users = $Q } }`, {}, {
      BAR: { users: [{ user: 'bar' }] },
      Q: [{ user: 'q' }],
      accounts: { bar: { users: [{ user: 'bar' }] }, q: { users: [{ user: 'q' }] } },
    }],
    ['the file before the environment', 'FOO = 1\na = $FOO', { FOO: '2' }, { FOO: 1, a: 1 }],
    ['bcrypt hashes are strings', `password: ${BCRYPT_A}`, {}, { password: BCRYPT_A }],
    ['environment: integer', 'foo = $N', { N: '22' }, { foo: 22 }],
    ['environment: string', 'foo = $N', { N: 'xyz' }, { foo: 'xyz' }],
    ['environment: size', 'foo = $N', { N: '1k' }, { foo: 1000 }],
    ['environment: string starting with a size', 'foo = $N', { N: '3Gyz' }, { foo: '3Gyz' }],
    ['environment: quoted string', 'foo = $N', { N: "'3xyz'" }, { foo: '3xyz' }],
    ['environment: URL', 'foo = $N', { N: 'nats://h:4222' }, { foo: 'nats://h:4222' }],
    ['environment: boolean', 'foo = $N', { N: 'off' }, { foo: false }],
    ['environment: array', 'foo = $N', { N: '[nats://a:4222, b:4222]' }, {
      foo: ['nats://a:4222', 'b:4222'],
    }],
    ['environment: map', 'foo = $N', { N: '{ port: 4222 }' }, { foo: { port: 4222 } }],
    ['environment: empty', 'foo = $N', { N: '' }, { foo: '' }],
    ['environment: surrounding blanks', 'foo = $N', { N: '  42\n' }, { foo: 42 }],
    ['environment: referring to another variable', 'foo = $A', { A: '$B', B: 'b' }, { foo: 'b' }],
    ['environment: used twice', 'a = $A\nb = [$A, $A]', { A: '1' }, { a: 1, b: [1, 1] }],
  ])('%s', (_name, text, env, expected) => {
    expect(parse(text, env)).toEqual(expected)
  })

  it('reads process.env by default', () => {
    process.env.NATS_ACCOUNTS_PARSER_TEST = '4222'
    try {
      expect(parseConfig('port = $NATS_ACCOUNTS_PARSER_TEST')).toEqual({ port: 4222 })
    } finally {
      delete process.env.NATS_ACCOUNTS_PARSER_TEST
    }
  })
})

describe('parseConfig: errors name the file and line', () => {
  it.each<[string, string, Record<string, string>, string]>([
    ['unterminated string', 'a = 1\nb = "abc\n\nc = 2', {}, 'test.conf:2: unterminated string'],
    ['unterminated single-quoted string', "\nlisten: 'localhost:4242\n\nhttp: localhost:8222\n", {},
      'test.conf:2: unterminated string'],
    ['unterminated quoted key', '\n"foo = 1', {}, 'test.conf:2: unterminated quoted key'],
    ['unterminated map', '\nlisten = 4222\n\ncluster = {\n\n  foo = bar\n\n', {},
      "test.conf:4: unterminated map: the '{' is never closed"],
    ['unterminated top-level braces', '{\n a = 1\n', {},
      "test.conf:1: unterminated map: the '{' is never closed"],
    ['unterminated array', 'a = [1,\n2', {},
      "test.conf:1: unterminated array: the '[' is never closed"],
    ['unterminated block', '\nlisten = 4222\n\nquote = (\n\n  foo = bar\n\n', {},
      "test.conf:4: unterminated block: no ')' alone on a line"],
    ['indented block end', 'a (\n x\n )\n', {},
      "test.conf:1: unterminated block: no ')' alone on a line"],
    ['invalid escape', 'a = 1\nfoo = \\y', {},
      String.raw`test.conf:2: invalid escape '\y': only \xXX, \t, \n, \r, \" and \\ are allowed`],
    ['no \\u escapes (as in nats)', 'foo = "\\u00e9"', {},
      String.raw`test.conf:1: invalid escape '\u': only \xXX, \t, \n, \r, \" and \\ are allowed`],
    ['\\x without digits', 'foo = "[\\x]"', {},
      String.raw`test.conf:1: expected two hexadecimal digits after '\x'`],
    ['\\x with one digit', 'foo = "[\\xe]"', {},
      String.raw`test.conf:1: expected two hexadecimal digits after '\x'`],
    ['\\x at the end of a line', 'foo = xyz\\xF\n', {},
      String.raw`test.conf:1: expected two hexadecimal digits after '\x'`],
    ['key without value', 'aaaaaaaaa', {}, "test.conf:1: missing value for key 'aaaaaaaaa'"],
    ['key without value after comments', '\n# comments\n# more\n   aaaa\n      ', {},
      "test.conf:4: missing value for key 'aaaa'"],
    ['commas do not separate keys', 'a,a,a,a', {}, "test.conf:1: missing value for key 'a,a,a,a'"],
    ['key without value in a map', 'a {\n  b\n}', {}, "test.conf:2: missing value for key 'b'"],
    ['separator without value', 'a = ;', {}, "test.conf:1: missing value for key 'a'"],
    ['two values on a line', 'a = 1 b = 2', {},
      "test.conf:1: expected a new line, ';' or ',' after the value of 'a', got 'b'"],
    ['text after a quoted value', 'a { x = "a" b }', {},
      "test.conf:1: expected a new line, ';' or ',' after the value of 'x', got 'b'"],
    ['text after the closing parenthesis', 'a (\nx\n) y\n', {},
      "test.conf:1: unterminated block: no ')' alone on a line"],
    ['leading comma in an array', 'a = [,1]', {}, "test.conf:1: unexpected ',' in array"],
    ['double comma in an array', 'a = [1,\n,2]', {}, "test.conf:2: unexpected ',' in array"],
    ['array elements without separator', 'a = [1 2]', {},
      "test.conf:1: expected ',', a new line or ']' after an array element, got '2'"],
    ['map closed inside an array', 'a = [1, }', {}, "test.conf:1: unexpected '}' in array"],
    ['stray closing brace before more entries', 'a = 1\n}\nb = 2', {},
      "test.conf:2: unexpected '}'"],
    ['key separator first', ' :foo = 22', {}, "test.conf:1: expected a key, got ':'"],
    ['array end in a map', 'a {\n ]\n}', {}, "test.conf:2: expected a key, got ']'"],
    ['float starting with a dot', 'foo = .2', {}, "test.conf:1: invalid number or datetime '.2'"],
    ['float with trailing text', 'foo = 1.5x', {},
      "test.conf:1: invalid number or datetime '1.5x'"],
    ['float without decimals', 'foo = 1.', {}, "test.conf:1: invalid number or datetime '1.'"],
    ['negative number with trailing text', 'foo = -1x', {},
      "test.conf:1: invalid number or datetime '-1x'"],
    ['date without time', 'foo = 2016-05-04', {},
      "test.conf:1: invalid number or datetime '2016-05-04'"],
    ['number with a dash', 'foo = 12-3', {}, "test.conf:1: invalid number or datetime '12-3'"],
    ['impossible date', 'foo = 2016-02-30T00:00:00Z', {},
      "test.conf:1: invalid datetime '2016-02-30T00:00:00Z'"],
    ['impossible hour', 'foo = 2016-02-01T24:00:00Z', {},
      "test.conf:1: invalid datetime '2016-02-01T24:00:00Z'"],
    ['integer beyond 2^53', 'a = 9007199254740993', {},
      "test.conf:1: integer '9007199254740993' is out of range"],
    ['size beyond 2^53', 'a = 10PB', {}, "test.conf:1: integer '10PB' is out of range"],
    ['exa sizes', 'a = 1e', {}, "test.conf:1: integer '1e' is out of range"],
    ['unknown variable', 'a = 1\n\nb = $FOO', {},
      "test.conf:3: variable reference for 'FOO' on line 3 can not be found"],
    ['variable defined later', 'b = $a\na = 1', {},
      "test.conf:1: variable reference for 'a' on line 1 can not be found"],
    ['variable of a sibling map', 'x { a = 1 }\ny = $a', {},
      "test.conf:2: variable reference for 'a' on line 2 can not be found"],
    ['unparsable environment value', 'a = 1\nb = $FOO', { FOO: '"abc' },
      "test.conf:2: variable reference for 'FOO' on line 2 could not be parsed: " +
        'unterminated string'],
    ['environment value with two values', 'b = $FOO', { FOO: '1 2' },
      "test.conf:1: variable reference for 'FOO' on line 1 could not be parsed: " +
        "unexpected '2' after the value"],
    ['environment value that is no value', 'b = $FOO', { FOO: ', x' },
      "test.conf:1: variable reference for 'FOO' on line 1 could not be parsed: " +
        "expected a value, got ','"],
    ['environment variable referring to itself', 'a = $A', { A: '$A' },
      "test.conf:1: variable reference for 'A' on line 1 could not be parsed: " +
        "variable reference cycle for 'A'"],
    ['environment variables referring to each other', 'a = $A', { A: '[$B]', B: '$A' },
      "test.conf:1: variable reference for 'A' on line 1 could not be parsed: " +
      "variable reference for 'B' on line 1 could not be parsed: variable reference cycle for 'A'"],
    ['include without a name', 'include\n', {}, 'test.conf:1: include needs a file name'],
    ['unterminated include path', "include 'a.conf\n", {},
      'test.conf:1: unterminated include path'],
  ])('%s', (_name, text, env, message) => {
    const err = failure(() => parse(text, env))
    expect(err.message).toBe(message)
    const [, line] = /^test\.conf:(\d+): /.exec(message) ?? []
    expect(err).toMatchObject({ name: 'ConfigSyntaxError', file: 'test.conf', line: Number(line) })
  })

  it("names '<string>' when no file is given", () => {
    expect(() => parseConfig('a = "x', { env: {} })).toThrow('<string>:1: unterminated string')
  })
})

describe('the Go account server examples', () => {
  it('reads the legacy documentation example', () => {
    const text = `
operatorjwtpath: "/users/synadia/.nsc/nats/O/O.jwt"
systemaccountjwtpath: "/users/synadia/.nsc/nats/O/accounts/SYS/SYS.jwt"
http { port: 9090 }
store { dir: "/tmp/as_store", readonly: false, shard: true }
nats { servers: ["nats://localhost:4222"], usercredentials: "/users/synadia/.nkeys/creds/O/SYS/sys.creds" }
logging { time: true, debug: false, trace: false, colors: true, pid: false }
`
    expect(parse(text)).toEqual({
      operatorjwtpath: '/users/synadia/.nsc/nats/O/O.jwt',
      systemaccountjwtpath: '/users/synadia/.nsc/nats/O/accounts/SYS/SYS.jwt',
      http: { port: 9090 },
      store: { dir: '/tmp/as_store', readonly: false, shard: true },
      nats: {
        servers: ['nats://localhost:4222'],
        usercredentials: '/users/synadia/.nkeys/creds/O/SYS/sys.creds',
      },
      logging: { time: true, debug: false, trace: false, colors: true, pid: false },
    })
  })

  it('reads mixed casings, all separators and the JSON-like form of its tests', () => {
    const text = `
# Account server
OperatorJWTPath = /keys/O.jwt
systemaccountjwtpath: "/keys/SYS.jwt"
primary "http://primary:9090"
http {
  host: 0.0.0.0
  port = 9090; readtimeout 5000
  WriteTimeout: 5000
}
store { dir: ./jwt-store, readonly: false, shard: false }
logging { time: yes, debug: off, trace: false, colors: true, pid: false }
nats {
  servers: [ nats://127.0.0.1:4222, "nats://127.0.0.1:4223" ]
  usercredentials: '/creds/sys.creds'
  ConnectTimeout: 5000
  ReconnectWait: 10000
}
`
    expect(parse(text)).toEqual({
      OperatorJWTPath: '/keys/O.jwt',
      systemaccountjwtpath: '/keys/SYS.jwt',
      primary: 'http://primary:9090',
      http: { host: '0.0.0.0', port: 9090, readtimeout: 5000, WriteTimeout: 5000 },
      store: { dir: './jwt-store', readonly: false, shard: false },
      logging: { time: true, debug: false, trace: false, colors: true, pid: false },
      nats: {
        servers: ['nats://127.0.0.1:4222', 'nats://127.0.0.1:4223'],
        usercredentials: '/creds/sys.creds',
        ConnectTimeout: 5000,
        ReconnectWait: 10000,
      },
    })
    const json = `{store:{Dir:'/tmp/s'}, http:{ReadTimeout:2000, Port:80, Host:"nats.io"}}`
    expect(parse(json)).toEqual({
      store: { Dir: '/tmp/s' },
      http: { ReadTimeout: 2000, Port: 80, Host: 'nats.io' },
    })
  })
})

describe('positionOf', () => {
  it('gives the file and line of keys at any depth, the last definition winning', () => {
    const text = `a = 1
http {
  port: 9090
  tls { cert: x }
}
users = [
  { user: u }
]
a = 2`
    const map = parseConfig(text, { file: 'x.conf', env: {} })
    const http = map.http as ConfigMap
    expect(positionOf(map, 'a')).toEqual({ file: 'x.conf', line: 9 })
    expect(positionOf(map, 'http')).toEqual({ file: 'x.conf', line: 2 })
    expect(positionOf(http, 'port')).toEqual({ file: 'x.conf', line: 3 })
    expect(positionOf(http.tls as ConfigMap, 'cert')).toEqual({ file: 'x.conf', line: 4 })
    expect(positionOf((map.users as ConfigMap[])[0]!, 'user')).toEqual({ file: 'x.conf', line: 7 })
    expect(positionOf(map, 'missing')).toBeUndefined()
    expect(positionOf({ a: 1 }, 'a')).toBeUndefined()
  })

  it('counts lines across multi-line strings and blocks', () => {
    const map = parse('a = "x\ny"\nb = (\n1\n)\nc = \'\n\'\nd = 1')
    expect(positionOf(map, 'd')).toEqual({ file: 'test.conf', line: 8 })
  })
})

describe('include', () => {
  it('merges files relative to the including file (the nats sample)', async () => {
    const dir = await tree({
      'simple.conf': `listen: 127.0.0.1:4222

authorization {
  include 'includes/users.conf' # Pull in from file
  timeout: 0.5
}
`,
      'includes/users.conf': `# Users configuration

include ./passwords.conf;

users = [
  {user: alice, password: $ALICE_PASS}
  {user: bob,   password: $BOB_PASS}
]
`,
      'includes/passwords.conf': `# Just foo & bar for testing
ALICE_PASS: ${BCRYPT_A}
BOB_PASS: ${BCRYPT_B}
`,
    })
    const map = await parseConfigFile(join(dir, 'simple.conf'), { env: {} })
    expect(map).toEqual({
      listen: '127.0.0.1:4222',
      authorization: {
        ALICE_PASS: BCRYPT_A,
        BOB_PASS: BCRYPT_B,
        users: [
          { user: 'alice', password: BCRYPT_A },
          { user: 'bob', password: BCRYPT_B },
        ],
        timeout: 0.5,
      },
    })
    const auth = map.authorization as ConfigMap
    expect(positionOf(map, 'authorization')).toEqual({ file: join(dir, 'simple.conf'), line: 3 })
    expect(positionOf(auth, 'timeout')).toEqual({ file: join(dir, 'simple.conf'), line: 5 })
    expect(positionOf(auth, 'users')).toEqual({ file: join(dir, 'includes/users.conf'), line: 5 })
    const passwords = join(dir, 'includes/passwords.conf')
    expect(positionOf(auth, 'BOB_PASS')).toEqual({ file: passwords, line: 3 })
    const alice = (auth.users as ConfigMap[])[0]!
    expect(positionOf(alice, 'user')).toEqual({ file: join(dir, 'includes/users.conf'), line: 6 })
  })

  it.each<[string, Record<string, string>, ConfigValue]>([
    ['later keys override, included keys are variables', {
      'main.conf': 'a = 1\nb = 1\ninclude b.conf\nc = $a\nb = 3',
      'b.conf': 'a = 2\nb = 2',
    }, { a: 2, b: 3, c: 2 }],
    ['any case of the keyword, quoted names with spaces', {
      'main.conf': 'INCLUDE "my file.conf"\nm { Include sub/x.conf }',
      'my file.conf': 'a = 1',
      'sub/x.conf': 'include y.conf',
      'sub/y.conf': 'y = 2',
    }, { a: 1, m: { y: 2 } }],
    ['a quoted "include" key is a key', {
      'main.conf': '"include" = x.conf\ninclude: y',
    }, { include: 'y' }],
    ['JSON files in maps', {
      'main.conf': "accounts {\n  foo  { include 'foo.json'  }\n  quux { include 'quux.json' }\n}",
      'foo.json': '{ "users": [ {"user": "foo"} ] }',
      'quux.json': '{}',
    }, { accounts: { foo: { users: [{ user: 'foo' }] }, quux: {} } }],
    ['empty and comment-only files', {
      'main.conf': 'a { include e.conf }\nb { include c.conf }',
      'e.conf': '',
      'c.conf': '\n  # just comments\n',
    }, { a: {}, b: {} }],
  ])('%s', async (_name, files, expected) => {
    const dir = await tree(files)
    expect(await parseConfigFile(join(dir, 'main.conf'), { env: {} })).toEqual(expected)
  })

  it('takes absolute paths as is; parseConfig includes relative to options.file', async () => {
    const dir = await tree({ 'abs.conf': 'x = 1', 'rel.conf': 'y = 2' })
    const text = `include "${join(dir, 'abs.conf')}"\ninclude rel.conf`
    expect(parseConfig(text, { file: join(dir, 'main.conf'), env: {} })).toEqual({ x: 1, y: 2 })
  })

  it.each<[string, Record<string, string>, (dir: string) => string]>([
    ['a missing file', { 'main.conf': 'a = 1\ninclude nope.conf' },
      (dir) => `${join(dir, 'main.conf')}:2: error opening include file 'nope.conf': ` +
        `ENOENT: no such file or directory, open '${join(dir, 'nope.conf')}'`],
    ['a syntax error in the included file', {
      'main.conf': 'a {\n include sub/b.conf\n}',
      'sub/b.conf': 'x = 1\ny = "open',
    },
      (dir) => `${join(dir, 'sub/b.conf')}:2: unterminated string`],
    ["the includer's variables are not visible", {
      'main.conf': 'X = 1\ninclude v.conf',
      'v.conf': '\ny = $X',
    },
      (dir) => `${join(dir, 'v.conf')}:2: variable reference for 'X' on line 2 can not be found`],
    ['including itself', { 'main.conf': 'a = 1\ninclude ./main.conf' },
      (dir) => `${join(dir, 'main.conf')}:2: include cycle: './main.conf' is already being read`],
    ['including each other', {
      'main.conf': 'include a.conf',
      'a.conf': 'include sub/../b.conf',
      'b.conf': 'x = 1\ninclude a.conf',
    },
      (dir) => `${join(dir, 'b.conf')}:2: include cycle: 'a.conf' is already being read`],
  ])('reports: %s', async (_name, files, message) => {
    const dir = await tree(files)
    const err = await parseConfigFile(join(dir, 'main.conf'), { env: {} }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigSyntaxError)
    expect((err as Error).message).toBe(message(dir))
  })
})

describe('parseConfigFile', () => {
  it('reads a file with the given environment', async () => {
    const dir = await tree({ 'a.conf': 'http { port: $PORT }' })
    expect(await parseConfigFile(join(dir, 'a.conf'), { env: { PORT: '8080' } })).toEqual({
      http: { port: 8080 },
    })
  })

  it('names an unreadable file', async () => {
    const dir = await tree({})
    const file = join(dir, 'missing.conf')
    const err = await parseConfigFile(file).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigSyntaxError)
    expect(err).toMatchObject({ file, line: 0 })
    expect((err as Error).message).toBe(
      `${file}: error opening config file: ENOENT: no such file or directory, open '${file}'`,
    )
  })
})
