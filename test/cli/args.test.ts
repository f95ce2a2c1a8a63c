import { describe, expect, it } from 'vitest'
import { expandHome, parseCommandLine, parseHostPort } from '../../src/cli/args.js'
import { applyFlags } from '../../src/cli/main.js'
import { defaultConfig } from '../../src/config/types.js'
import { homedir } from 'node:os'

const parseFlags = (argv: string[]) => parseCommandLine(argv).flags
const configFromFlags_ = (...args: [Parameters<typeof applyFlags>[1], Parameters<typeof applyFlags>[2]?]) =>
  applyFlags(defaultConfig(), ...args)

describe('flags', () => {
  it('takes Go-style single-dash long flags, -x=value and double dashes', () => {
    const flags = parseFlags(['-dir', '/s', '-operator=/op.jwt', '--hp', '127.0.0.1:0', '-DV', '-dump', '--shard'])
    expect(flags).toMatchObject({ dir: '/s', operator: '/op.jwt', hostPort: '127.0.0.1:0', debug: true, trace: true, dump: true, shard: true })
    expect(parseFlags(['-D'])).toMatchObject({ debug: true, trace: false })
    expect(parseFlags(['-V'])).toMatchObject({ debug: false, trace: true })
    expect(parseFlags(['-h']).help).toBe(true)
    expect(parseFlags(['-help']).help).toBe(true)
    expect(parseFlags(['--version']).version).toBe(true)
    expect(parseFlags(['-c', 'x.conf', '-creds', 'a.creds', '-nats', 'nats://x', '-primary', 'http://p'])).toMatchObject({
      config: 'x.conf', creds: 'a.creds', nats: 'nats://x', primary: 'http://p',
    })
    expect(parseFlags(['-nsc', '/x']).nsc).toBe('/x')
    expect(parseFlags(['-ro']).readOnly).toBe(true)
  })

  it('refuses unknown flags, missing values, unknown commands and stray arguments', () => {
    expect(() => parseFlags(['-bogus'])).toThrow("Unknown option '-bogus'")
    expect(() => parseFlags(['-dir'])).toThrow(/'-dir <value>' argument missing/)
    expect(() => parseCommandLine(['start'])).toThrow('unknown command "start"')
    expect(() => parseCommandLine(['serve', 'x'])).toThrow('unexpected argument "x"')
    expect(() => parseCommandLine(['import'])).toThrow('import needs a source')
    expect(() => parseCommandLine(['export', 'a', 'b'])).toThrow('unexpected argument "b"')
  })

  it('reads commands with flags before or after them', () => {
    expect(parseCommandLine([]).command).toEqual({ name: 'serve' })
    expect(parseCommandLine(['serve', '-D']).command).toEqual({ name: 'serve' })
    expect(parseCommandLine(['-dir', '/s', 'import', 'http://x/jwt/v1', '--dry-run'])).toMatchObject({
      command: { name: 'import', source: 'http://x/jwt/v1' },
      flags: { dir: '/s', dryRun: true },
    })
    expect(parseCommandLine(['export', '-', '--format', 'config', '--system-account', 'AX'])).toMatchObject({
      command: { name: 'export', target: '-' },
      flags: { format: 'config', systemAccount: 'AX' },
    })
  })

  it('takes --clock-skew as a duration and refuses anything else as a usage error', () => {
    const { command, flags } = parseCommandLine(['--clock-skew', '90s'])
    expect(configFromFlags_(flags, command).clockSkewMs).toBe(90_000)
    const bad = parseCommandLine(['--clock-skew', 'later'])
    expect(() => configFromFlags_(bad.flags, bad.command)).toThrow('--clock-skew: expected milliseconds or a duration like "2s", got "later"')
  })

  it('parses host:port as Go did', () => {
    expect(parseHostPort('127.0.0.1:9090')).toEqual({ host: '127.0.0.1', port: 9090 })
    expect(parseHostPort(':0')).toEqual({ host: '', port: 0 })
    expect(parseHostPort('[::1]:80')).toEqual({ host: '::1', port: 80 })
    expect(() => parseHostPort('127.0.0.1')).toThrow('error parsing hostport: address 127.0.0.1: missing port in address')
    expect(() => parseHostPort('127.0.0.1:blam')).toThrow('error parsing hostport: address 127.0.0.1:blam: invalid port "blam"')
    expect(() => parseHostPort('a:b:1')).toThrow('too many colons')
  })

  it('expands ~ in -dir', () => {
    expect(expandHome('~/x')).toBe(`${homedir()}/x`)
    expect(configFromFlags_(parseFlags(['-dir', '~/s'])).store).toEqual({ type: 'directory', dir: `${homedir()}/s`, shard: false })
  })

  it('chooses the store: SQLite by default, --sqlite, -dir with --shard', () => {
    expect(configFromFlags_(parseFlags(['--sqlite', '/x.db'])).store).toEqual({ type: 'sqlite', file: '/x.db' })
    expect(configFromFlags_(parseFlags(['-dir', '/d', '--shard'])).store).toEqual({ type: 'directory', dir: '/d', shard: true })
    expect(() => configFromFlags_(parseFlags(['-dir', '/d', '--sqlite', '/x.db']))).toThrow('choose one')
    expect(() => configFromFlags_(parseFlags(['--shard']))).toThrow('--shard applies to a -dir store')
    const exporting = parseCommandLine(['export', '/t', '-dir', '/d', '--shard'])
    expect(configFromFlags_(exporting.flags, exporting.command).store).toEqual({ type: 'directory', dir: '/d', shard: false })
  })

  it('defaults to the SQLite store ./data/accounts.db on localhost:9090', () => {
    const config = configFromFlags_(parseFlags([]))
    expect(config.store).toEqual({ type: 'sqlite', file: './data/accounts.db' })
    expect(config.http).toMatchObject({ host: 'localhost', port: 9090 })
    expect(config.logging.level).toBe('info')
  })

  it('takes -primary', () => {
    expect(configFromFlags_(parseFlags(['-primary', 'http://p:9090'])).primary).toBe('http://p:9090')
  })

  it('takes -nats as a comma-separated list and -creds with ~ expanded', () => {
    const config = configFromFlags_(parseFlags(['-nats', 'nats://a:1, nats://b:2', '-creds', '~/sys.creds']))
    expect(config.nats.servers).toEqual(['nats://a:1', 'nats://b:2'])
    expect(config.nats.credentials).toBe(`${homedir()}/sys.creds`)
    expect(configFromFlags_(parseFlags([])).nats.servers).toEqual([])
  })

  it('applies --log-format, and -D/-V over the configured level', () => {
    expect(configFromFlags_(parseFlags(['--log-format', 'json'])).logging.format).toBe('json')
    expect(() => configFromFlags_(parseFlags(['--log-format', 'xml']))).toThrow('--log-format is text or json, not "xml"')
    expect(configFromFlags_(parseFlags(['-V'])).logging.level).toBe('trace')
  })
})
