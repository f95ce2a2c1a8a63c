/**
 * Command-line flags of the Go nats-account-server (Go `flag` style: `-x value`, `-x=value`,
 * `--x`), plus our own `--shard` and `--version`.
 * @module
 */
import { homedir } from 'node:os'
import { parseArgs } from 'node:util'
import { ConfigError } from '../errors.js'

export const USAGE = `Usage:
  nats-accounts [serve] [options]      run the server
  nats-accounts import <source> [options]
      import account JWTs from a directory (a directory store, flat or sharded, a nats-server
      resolver directory, an nsc store), a pack (a /jwt/v1/pack file, or a server URL) or
      one <file>.jwt
  nats-accounts export <target> [options]
      export to a directory (<dir>, --shard for the sharded layout) or to a nats-server
      configuration with resolver: MEMORY (<file>.conf, or - for stdout)

Store (all commands):
  --sqlite <file>       SQLite store (the default: ./data/accounts.db)
  -dir <path>           directory store <path>/<pubkey>.jwt instead
  --shard               with -dir: <path>/<last 2 chars>/<pubkey>.jwt; with export: shard the target
Options:
  -operator <file>      operator JWT; account JWTs must be signed by it or its signing keys
  -hp <host:port>       listen address (default: localhost:9090; ":9090" listens everywhere)
  -primary <url>        account server to import every JWT from at start-up (its /jwt/v1/pack)
  --workers N|auto      processes serving the same port (default 1; auto: one per CPU)
  --clock-skew <duration>  how far in the future a JWT's iat may be (default 5m)
  --dry-run             import/export: show what would happen, change nothing
  --format dir|config   export: the target kind (default: config for *.conf and -, else dir)
  --system-account <key>  export config: the system account (default: the operator's)
  -c <file>             configuration file (nats-server format; the Go server's keys work)
  --log-format text|json  readable lines (default) or JSON lines
  -nats <url[,url]>     NATS servers: update notifications and the NATS resolver protocol
  -creds <file>         NATS credentials of a system-account user
  -D                    debug logging
  -V                    trace logging
  -DV                   debug and trace logging
  -dump                 log the effective configuration after start-up
  --version             print the version and exit
  -h, -help             print this help and exit
`

export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export type Command =
  | { name: 'serve' }
  | { name: 'import'; source: string }
  | { name: 'export'; target: string }

export type CliFlags = {
  config?: string
  dir?: string
  sqlite?: string
  shard: boolean
  dryRun: boolean
  format?: string
  logFormat?: string
  workers?: string
  clockSkew?: string
  systemAccount?: string
  operator?: string
  hostPort?: string
  nats?: string
  creds?: string
  primary?: string
  debug: boolean
  trace: boolean
  dump: boolean
  help: boolean
  version: boolean
  /** Removed Go features, kept only to explain the migration. */
  nsc?: string
  readOnly: boolean
}

const OPTIONS = {
  c: { type: 'string' },
  dir: { type: 'string' },
  sqlite: { type: 'string' },
  shard: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  format: { type: 'string' },
  'log-format': { type: 'string' },
  workers: { type: 'string' },
  'clock-skew': { type: 'string' },
  'system-account': { type: 'string' },
  operator: { type: 'string' },
  hp: { type: 'string' },
  nats: { type: 'string' },
  creds: { type: 'string' },
  primary: { type: 'string' },
  D: { type: 'boolean' },
  V: { type: 'boolean' },
  DV: { type: 'boolean' },
  dump: { type: 'boolean' },
  h: { type: 'boolean' },
  help: { type: 'boolean' },
  version: { type: 'boolean' },
  nsc: { type: 'string' },
  ro: { type: 'boolean' },
} as const

/** Go flags take one or two dashes; parseArgs wants two for long names. */
function goStyle(arg: string): string {
  return /^-[A-Za-z]/.test(arg) ? `-${arg}` : arg
}

/** @throws UsageError for unknown flags or commands, missing values and stray arguments */
export function parseCommandLine(argv: readonly string[]): { command: Command; flags: CliFlags } {
  let parsed
  try {
    parsed = parseArgs({ args: argv.map(goStyle), options: OPTIONS, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/'--(\w+)/g, "'-$1"))
  }
  return { command: commandOf(parsed.positionals), flags: flagsOf(parsed.values) }
}

function commandOf(positionals: string[]): Command {
  const [name, argument, ...rest] = positionals
  const extra = () => new UsageError(`unexpected argument "${rest[0] ?? argument}"`)
  switch (name) {
    case undefined:
    case 'serve':
      if (argument !== undefined) throw extra()
      return { name: 'serve' }
    case 'import':
    case 'export':
      if (argument === undefined) {
        throw new UsageError(`${name} needs a ${name === 'import' ? 'source' : 'target'}`)
      }
      if (rest.length > 0) throw extra()
      return name === 'import' ? { name, source: argument } : { name, target: argument }
    default:
      throw new UsageError(`unknown command "${name}"`)
  }
}

type ParsedValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values']

function flagsOf(v: ParsedValues): CliFlags {
  return {
    config: v.c,
    dir: v.dir,
    sqlite: v.sqlite,
    shard: v.shard ?? false,
    dryRun: v['dry-run'] ?? false,
    format: v.format,
    logFormat: v['log-format'],
    workers: v.workers,
    clockSkew: v['clock-skew'],
    systemAccount: v['system-account'],
    operator: v.operator,
    hostPort: v.hp,
    nats: v.nats,
    creds: v.creds,
    primary: v.primary,
    debug: Boolean(v.D || v.DV),
    trace: Boolean(v.V || v.DV),
    dump: v.dump ?? false,
    help: Boolean(v.h || v.help),
    version: v.version ?? false,
    nsc: v.nsc,
    readOnly: v.ro ?? false,
  }
}

/** Go's `net.SplitHostPort` plus a numeric port check, as the Go server's `-hp` did. */
export function parseHostPort(value: string): { host: string; port: number } {
  const fail = (why: string) => new ConfigError(`error parsing hostport: address ${value}: ${why}`)
  let host: string
  let portText: string
  if (value.startsWith('[')) {
    const end = value.indexOf(']')
    if (end === -1) throw fail('missing \']\' in address')
    host = value.slice(1, end)
    if (value[end + 1] !== ':') throw fail('missing port in address')
    portText = value.slice(end + 2)
  } else {
    const colon = value.lastIndexOf(':')
    if (colon === -1) throw fail('missing port in address')
    host = value.slice(0, colon)
    if (host.includes(':')) throw fail('too many colons in address')
    portText = value.slice(colon + 1)
  }
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) throw fail(`invalid port "${portText}"`)
  return { host, port: Number(portText) }
}

/** `~` and `~/...` expanded as the Go server did for -dir. */
export function expandHome(path: string): string {
  if (path === '~') return homedir()
  return path.startsWith('~/') ? homedir() + path.slice(1) : path
}
