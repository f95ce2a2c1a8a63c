/**
 * Command-line flags of the Go nats-account-server (Go `flag` style: `-x value`, `-x=value`,
 * `--x`), plus our own `--shard` and `--version`.
 * @module
 */
import { parseArgs } from 'node:util'
import type { CliFlags } from '../config/flags.js'
import { UsageError } from '../errors.js'

export const USAGE = `Usage:
  nats-accounts [serve] [options]      run the server
  nats-accounts import <source> [options]
      import account JWTs from a directory (a directory store, flat or sharded, a nats-server
      resolver directory, an nsc store), a pack (a /jwt/v1/pack file, or a server URL) or
      one <file>.jwt
  nats-accounts export <target> [options]
      export to a directory (<dir>, --shard for the sharded layout) or, with --format config,
      to a nats-server configuration with resolver: MEMORY (<file>, or - for stdout)
  nats-accounts check [--json] [options]
      run the cross-account checks on the store; exit 1 when a finding is an error

Store (all commands):
  --sqlite <file>       SQLite store (the default: ./data/accounts.db)
  -dir <path>           directory store <path>/<pubkey>.jwt instead
  --shard               with -dir: <path>/<last 2 chars>/<pubkey>.jwt; with export: shard the target
  --kv <bucket>         NATS JetStream KV store instead, shared by many instances (created if missing)
  --kv-servers <url[,url]>  NATS servers of the account that holds the bucket (user:password@ allowed)
  --kv-creds <file>     NATS credentials for those servers
  --kv-nkey <file>      NKey seed file (SU…) for those servers, instead of --kv-creds
  --kv-replicas <n>     replicas of the bucket when it is created (default 1)
  --kv-snapshot <file>  local copy of the bucket, served at start-up until the bucket is reachable
Options:
  -operator <file>      operator JWT; account JWTs must be signed by it or its signing keys
  -hp <host:port>       listen address (default: localhost:9090; ":9090" listens everywhere)
  --metrics-hp <host:port>  serve /metrics on this address only (default: on the -hp address)
  -primary <url>        account server to import every JWT from at start-up (its /jwt/v1/pack)
  --workers N|auto      processes serving the same port (default 1; auto: one per CPU the container allows)
  --clock-skew <duration>  how far in the future a JWT's iat may be (default 5m)
  --dry-run             import/export: show what would happen, change nothing
  --format dir|config   export: the target kind (default dir; - and *.conf need it)
  --system-account <key>  export --format config: the system account (default: the operator's)
  --json                check: the findings as JSON
  --expiring-within <duration>  warn of accounts that expire within this (default 7d)
  --admin-token-file <file>  the JSON API's admin bearer token is the content of this file
  --admin-cert-subjects <dn[;dn]>  mTLS client-certificate subjects that are admins
  --api-auth            reads of the JSON API need the admin identity too
  -c <file>             configuration file (nats-server format; the Go server's keys work)
  --log-format text|json  readable lines (default) or JSON lines
  -nats <url[,url]>     NATS servers: update notifications and the NATS resolver protocol
  -creds <file>         NATS credentials of a system-account user
  --nkey <file>         NKey seed file (SU…) of a system-account user, instead of -creds
  --sign-request-subject <subject>  NATS subject of a signing service for self-signed account JWTs
  --auto-resync         with -nats: notify accounts again when a nats-server runs an older version (default: report only)
  -D                    debug logging
  -V                    trace logging: one line per request (method, path, status, bytes, ms)
  -DV                   debug and trace logging
  -dump                 log the effective configuration after start-up
  --version             print the version and exit
  -h, -help             print this help and exit
  -nsc, -ro             removed Go features: exit 1 with how to migrate
`

export type Command =
  | { name: 'serve' }
  | { name: 'import'; source: string }
  | { name: 'export'; target: string; format: ExportFormat }
  | { name: 'check' }

export type ExportFormat = 'dir' | 'config'

export const OPTIONS = {
  c: { type: 'string' },
  dir: { type: 'string' },
  sqlite: { type: 'string' },
  shard: { type: 'boolean' },
  kv: { type: 'string' },
  'kv-servers': { type: 'string' },
  'kv-creds': { type: 'string' },
  'kv-nkey': { type: 'string' },
  'kv-replicas': { type: 'string' },
  'kv-snapshot': { type: 'string' },
  'dry-run': { type: 'boolean' },
  format: { type: 'string' },
  'log-format': { type: 'string' },
  workers: { type: 'string' },
  'clock-skew': { type: 'string' },
  'system-account': { type: 'string' },
  json: { type: 'boolean' },
  'expiring-within': { type: 'string' },
  'admin-token-file': { type: 'string' },
  'admin-cert-subjects': { type: 'string' },
  'api-auth': { type: 'boolean' },
  operator: { type: 'string' },
  hp: { type: 'string' },
  'metrics-hp': { type: 'string' },
  nats: { type: 'string' },
  creds: { type: 'string' },
  nkey: { type: 'string' },
  'sign-request-subject': { type: 'string' },
  'auto-resync': { type: 'boolean' },
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

type OptionName = keyof typeof OPTIONS
type ParsedValues = { [K in OptionName]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean }

/**
 * @throws UsageError for unknown flags or commands, missing values and stray arguments, with a
 * message of one line that names the flag as it was typed
 */
export function parseCommandLine(argv: readonly string[]): { command: Command; flags: CliFlags } {
  // Not strict: Node's own messages are long and name `--x` for `-x`; the checks below say it shortly.
  const { values, positionals, tokens } = parseArgs({
    args: argv.map(goStyle),
    options: OPTIONS,
    allowPositionals: true,
    strict: false,
    tokens: true,
  })
  const options = tokens.flatMap((token) => (token.kind === 'option' ? [token] : []))
  const typed = (token: (typeof options)[number]) =>
    token.inlineValue ? argv[token.index]!.slice(0, argv[token.index]!.indexOf('=')) : argv[token.index]!
  for (const token of options) {
    const type = Object.hasOwn(OPTIONS, token.name) ? OPTIONS[token.name as OptionName].type : undefined
    if (type === undefined) throw new UsageError(`unknown flag ${typed(token)}`)
    if (type === 'boolean' && token.value !== undefined) throw new UsageError(`flag ${typed(token)} takes no value`)
    // `-dir -shard` is a forgotten value, not a directory named "-shard" (write -dir=-shard for that).
    if (type === 'string' && (token.value === undefined || (!token.inlineValue && /^-./.test(token.value)))) {
      throw new UsageError(`flag ${typed(token)} needs a value`)
    }
  }
  const flags = flagsOf(values as ParsedValues)
  // `export -h` asks for the usage: what the command line lacks does not matter then.
  if (flags.help) return { command: { name: 'serve' }, flags }
  const command = commandOf(positionals, flags.format)
  // A flag the command ignores is a mistake to say, not to pass over (a "dry run" that writes).
  for (const token of options) {
    const applies = APPLIES_TO[token.name as OptionName]
    if (applies !== undefined && !applies.some((form) => commandLine(command).startsWith(form))) {
      throw new UsageError(`flag ${typed(token)} applies to ${applies.join(' and ')} only`)
    }
  }
  return { command, flags }
}

/** Flags that only some commands take, by the start of the command line they need. */
const APPLIES_TO: Partial<Record<OptionName, readonly string[]>> = {
  'dry-run': ['import', 'export'],
  format: ['export'],
  'system-account': ['export --format config'],
  'auto-resync': ['serve'],
  json: ['check'],
  'admin-token-file': ['serve'],
  'admin-cert-subjects': ['serve'],
  'api-auth': ['serve'],
  'expiring-within': ['serve', 'check'],
}

function commandLine(command: Command): string {
  return command.name === 'export' ? `export --format ${command.format}` : command.name
}

/**
 * What `export` writes. A directory unless --format says otherwise; a target that reads as a
 * configuration (`-`, `*.conf`) needs --format, so that neither is written by a guess.
 */
function exportFormat(target: string, format: string | undefined): ExportFormat {
  if (format !== undefined && format !== 'dir' && format !== 'config') {
    throw new UsageError(`--format is dir or config, not "${format}"`)
  }
  if (target === '-' && format !== 'config') {
    throw new UsageError('export - writes a nats-server configuration to stdout: it needs --format config')
  }
  if (format === undefined && target.endsWith('.conf')) {
    throw new UsageError(`export ${target} needs --format config (a nats-server configuration) or --format dir (a directory)`)
  }
  return format ?? 'dir'
}

function commandOf(positionals: string[], format: string | undefined): Command {
  const [name, argument, ...rest] = positionals
  const extra = () => new UsageError(`unexpected argument "${rest[0] ?? argument}"`)
  switch (name) {
    case undefined:
    case 'serve':
      if (argument !== undefined) throw extra()
      return { name: 'serve' }
    case 'check':
      if (argument !== undefined) throw extra()
      return { name }
    case 'import':
    case 'export':
      if (argument === undefined) {
        throw new UsageError(`${name} needs a ${name === 'import' ? 'source' : 'target'}`)
      }
      if (rest.length > 0) throw extra()
      if (name === 'import') return { name, source: argument }
      return { name, target: argument, format: exportFormat(argument, format) }
    default:
      throw new UsageError(`unknown command "${name}"`)
  }
}

function flagsOf(v: ParsedValues): CliFlags {
  return {
    config: v.c,
    dir: v.dir,
    sqlite: v.sqlite,
    shard: v.shard ?? false,
    kv: v.kv,
    kvServers: v['kv-servers'],
    kvCreds: v['kv-creds'],
    kvNkey: v['kv-nkey'],
    kvReplicas: v['kv-replicas'],
    kvSnapshot: v['kv-snapshot'],
    dryRun: v['dry-run'] ?? false,
    format: v.format,
    logFormat: v['log-format'],
    workers: v.workers,
    clockSkew: v['clock-skew'],
    systemAccount: v['system-account'],
    operator: v.operator,
    hostPort: v.hp,
    metricsHostPort: v['metrics-hp'],
    nats: v.nats,
    creds: v.creds,
    nkey: v.nkey,
    signRequestSubject: v['sign-request-subject'],
    primary: v.primary,
    autoResync: v['auto-resync'] ?? false,
    apiAuth: v['api-auth'] ?? false,
    adminTokenFile: v['admin-token-file'],
    adminCertSubjects: v['admin-cert-subjects'],
    expiringWithin: v['expiring-within'],
    json: v.json ?? false,
    debug: Boolean(v.D || v.DV),
    trace: Boolean(v.V || v.DV),
    dump: v.dump ?? false,
    help: Boolean(v.h || v.help),
    version: v.version ?? false,
    nsc: v.nsc,
    readOnly: v.ro ?? false,
  }
}
