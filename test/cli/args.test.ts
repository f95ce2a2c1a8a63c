import { describe, expect, it } from 'vitest'
import { parseCommandLine, type Command } from '../../src/cli/args.js'
import { main } from '../../src/cli/main.js'
import { applyFlags, expandHome, parseHostPort, type CliFlags } from '../../src/config/flags.js'
import { defaultConfig } from '../../src/config/types.js'
import { homedir } from 'node:os'

const parseFlags = (argv: string[]) => parseCommandLine(argv).flags
const configFromFlags_ = (flags: CliFlags, command?: Command) => applyFlags(defaultConfig(), flags, command?.name)

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
    expect(() => parseFlags(['-bogus'])).toThrow(/^unknown flag -bogus$/)
    expect(() => parseFlags(['--memory', 'x'])).toThrow(/^unknown flag --memory$/)
    expect(() => parseFlags(['-memory=1g'])).toThrow(/^unknown flag -memory$/)
    expect(() => parseFlags(['-dir'])).toThrow(/^flag -dir needs a value$/)
    expect(() => parseFlags(['-dir', '-shard'])).toThrow(/^flag -dir needs a value$/)
    expect(() => parseFlags(['--shard=yes'])).toThrow(/^flag --shard takes no value$/)
    expect(parseFlags(['-dir=-odd']).dir).toBe('-odd')
    expect(() => parseCommandLine(['start'])).toThrow('unknown command "start"')
    expect(() => parseCommandLine(['serve', 'x'])).toThrow('unexpected argument "x"')
    expect(() => parseCommandLine(['import'])).toThrow('import needs a source')
    expect(() => parseCommandLine(['export', 'a', 'b'])).toThrow('unexpected argument "b"')
    expect(() => parseCommandLine(['export', 'a', '--format', 'yaml'])).toThrow('--format is dir or config, not "yaml"')
  })

  it('answers -h with the usage, whatever else the command line lacks', () => {
    expect(parseFlags(['export', '-h']).help).toBe(true)
    expect(parseFlags(['import', 'a', 'b', '--format', 'x', '-help']).help).toBe(true)
    expect(() => parseFlags(['-memory', '-h'])).toThrow('unknown flag -memory')
  })

  it('refuses a flag the command does not take', () => {
    expect(() => parseCommandLine(['--dry-run'])).toThrow(/^flag --dry-run applies to import and export only$/)
    expect(() => parseCommandLine(['import', 'x', '-format', 'dir'])).toThrow(/^flag -format applies to export only$/)
    expect(() => parseCommandLine(['export', 'd', '--system-account', 'AX'])).toThrow(/^flag --system-account applies to export --format config only$/)
    expect(parseCommandLine(['export', 'd.conf', '--format=config', '--system-account', 'AX', '--dry-run']).flags).toMatchObject({ systemAccount: 'AX', dryRun: true })
  })

  it('exports a directory unless --format config, and needs --format for - and *.conf', () => {
    expect(parseCommandLine(['export', '/srv/jwt']).command).toEqual({ name: 'export', target: '/srv/jwt', format: 'dir' })
    expect(parseCommandLine(['export', 'a.conf', '--format', 'dir']).command).toMatchObject({ format: 'dir' })
    expect(parseCommandLine(['export', 'a.txt', '--format', 'config']).command).toMatchObject({ format: 'config' })
    expect(() => parseCommandLine(['export', 'a.conf'])).toThrow('export a.conf needs --format config')
    expect(() => parseCommandLine(['export', '-'])).toThrow('it needs --format config')
    expect(() => parseCommandLine(['export', '-', '--format', 'dir'])).toThrow('it needs --format config')
  })

  it.each([
    [['-memory', '1g'], 'unknown flag -memory; see --help'],
    [['-operator'], 'flag -operator needs a value; see --help'],
    [['start'], 'unknown command "start"; see --help'],
  ])('answers %j with one line on stderr and exit 2', async (argv, message) => {
    let stdout = ''
    let stderr = ''
    const code = await main(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } })
    expect(code).toBe(2)
    expect(stderr).toBe(`${message}\n`)
    expect(stdout).toBe('')
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

  it('chooses the KV store with --kv and sets it with --kv-servers, --kv-creds, --kv-replicas', () => {
    const flags = parseFlags(['--kv', 'accounts', '--kv-servers', 'nats://u:p@a:1, nats://b:2', '--kv-creds', '~/kv.creds', '--kv-replicas', '3', '--kv-snapshot', '~/kv.snapshot'])
    expect(configFromFlags_(flags).store).toEqual({
      type: 'kv',
      bucket: 'accounts',
      servers: ['nats://u:p@a:1', 'nats://b:2'],
      creds: `${homedir()}/kv.creds`,
      replicas: 3,
      tls: { cert: '', key: '', ca: '' },
      snapshot: `${homedir()}/kv.snapshot`,
    })
    expect(configFromFlags_(parseFlags(['--kv', 'b'])).nats.servers).toEqual([])
    expect(() => configFromFlags_(parseFlags(['--kv', 'b', '-dir', '/d']))).toThrow('-dir and --kv name two different stores: choose one')
    expect(() => configFromFlags_(parseFlags(['--kv-servers', 'nats://a:1']))).toThrow('--kv-servers applies to a KV store: add --kv <bucket>')
    expect(() => configFromFlags_(parseFlags(['--kv', 'b', '--kv-replicas', 'three']))).toThrow('--kv-replicas: "three" is not a number of replicas from 1 to 5')
    expect(() => configFromFlags_(parseFlags(['--kv', 'b', '--kv-replicas', '0']))).toThrow('--kv-replicas: 0 is not a number of replicas from 1 to 5')
    expect(() => configFromFlags_(parseFlags(['--kv', 'a b']))).toThrow('--kv: "a b" is not a KV bucket name')
  })

  it('needs the KV servers wherever the KV store was chosen: a usage error for --kv', async () => {
    const stderr: string[] = []
    const io = { stdout: { write: () => true }, stderr: { write: (t: string) => stderr.push(t) } }
    expect(await main(['--kv', 'accounts'], io)).toBe(2)
    expect(stderr.join('')).toContain(
      'the KV store (bucket accounts) needs the NATS servers that hold it: --kv-servers <url[,url]> (store.kv.servers, NATS_ACCOUNTS_STORE_KV_SERVERS)',
    )
  })

  it('defaults to the SQLite store ./data/accounts.db on localhost:9090', () => {
    const config = configFromFlags_(parseFlags([]))
    expect(config.store).toEqual({ type: 'sqlite', file: './data/accounts.db' })
    expect(config.http).toMatchObject({ host: 'localhost', port: 9090 })
    expect(config.logging.level).toBe('info')
  })

  it('turns automatic re-notification of drifted accounts on with --auto-resync, for serve only', () => {
    expect(configFromFlags_(parseFlags([])).nats.autoResync).toBe(false)
    expect(configFromFlags_(parseFlags(['-nats', 'nats://n:4222', '--auto-resync'])).nats.autoResync).toBe(true)
    expect(() => parseCommandLine(['import', 'x', '--auto-resync'])).toThrow(/^flag --auto-resync applies to serve only$/)
    expect(() => parseCommandLine(['--auto-resync=yes'])).toThrow('flag --auto-resync takes no value')
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
