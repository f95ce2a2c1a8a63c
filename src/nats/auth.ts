/**
 * How nats-accounts proves who it is to a NATS server, for each of its connections: a `.creds`
 * file (user JWT + seed), an NKey seed file (challenge–response: only the signature of the
 * server's nonce leaves the process), user/password or a token (as settings, files, or the
 * URL's userinfo, which the NATS client does not read itself), and TLS client certificates.
 *
 * Files are read again on every connect and reconnect (the client asks the authenticator each
 * time, and reads TLS files itself), so replacing a file rotates the credential; a read that
 * fails keeps the last good credentials and says why. Nothing secret reaches a message: only
 * paths, kinds and public keys.
 * @module
 */
import { createHash } from 'node:crypto'
import { jwtAuthenticator, nkeyAuthenticator, type Auth, type ConnectionOptions } from '@nats-io/transport-node'
import type { NatsAuthConfig } from '../config/types.js'
import { ConfigError } from '../errors.js'
import type { Logger } from '../log/logger.js'
import {
  checkTlsFiles,
  CredentialFileError,
  looseModeWarning,
  readCredsFile,
  readSecretFile,
  readSeedFile,
  type CredsFile,
  type SeedFile,
} from './credential-files.js'

type UrlAuth = { user: string; pass: string } | { token: string }

const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)?([^@/]*)@/i

/** A NATS URL without its password or token (`nats://user:[REDACTED]@host:4222`). */
export function redactUrl(url: string): string {
  return url.replace(USERINFO, (_, scheme: string | undefined, userinfo: string) => {
    const colon = userinfo.indexOf(':')
    return `${scheme ?? ''}${colon === -1 ? '[REDACTED]' : `${userinfo.slice(0, colon)}:[REDACTED]`}@`
  })
}

/**
 * The URLs without credentials, and the credentials of the first URL that has some, as the
 * client's options: the NATS client does not read `user:password@` or `token@` from URLs (Go
 * clients and nats-server's own URLs do).
 */
export function urlCredentials(urls: readonly string[]): { servers: string[]; auth: UrlAuth | null } {
  let auth: UrlAuth | null = null
  const servers = urls.map((url) => {
    const userinfo = USERINFO.exec(url)
    if (userinfo === null) return url
    if (auth === null) {
      const [user, ...pass] = userinfo[2]!.split(':').map(decodeURIComponent)
      auth = pass.length === 0 ? { token: user! } : { user: user!, pass: pass.join(':') }
    }
    return `${userinfo[1] ?? ''}${url.slice(userinfo[0].length)}`
  })
  return { servers, auth }
}

const REDACTED = '[REDACTED]'

/** NATS connection settings (system account or KV) as `-dump` shows them: no password or token, in URLs or not. */
export function redactedNatsConfig<T extends { servers: string[]; password?: string; token?: string }>(nats: T): T {
  return {
    ...nats,
    servers: nats.servers.map(redactUrl),
    password: nats.password && REDACTED,
    token: nats.token && REDACTED,
  }
}

/** How one connection's settings are named, for messages (`-creds (nats.creds)`). */
export type AuthNames = {
  creds: string
  nkey: string
  /** The settings' prefix in the config file: `nats`. */
  prefix: string
  /** What to do about a credentials file that cannot be used. */
  fix: string
}

/** What was read from the files, and a digest of it to tell a change. */
type Loaded = {
  creds?: CredsFile
  seed?: SeedFile
  password?: string
  token?: string
  digest: string
}

export class NatsAuth {
  /** The server URLs without their userinfo, for the client. */
  readonly servers: string[]
  /** The URLs with passwords and tokens redacted, for messages. */
  readonly redactedServers: string
  readonly #config: NatsAuthConfig
  readonly #url: UrlAuth | null
  readonly #logger: Logger
  #current: Loaded
  /** The digest of the credentials the last connection attempt used. */
  #used = ''
  #lastProblem = ''

  /**
   * Reads and checks every file now, and warns of files others can read.
   * @throws ConfigError naming the file, the cause and the fix; or settings that contradict
   */
  constructor(servers: readonly string[], config: NatsAuthConfig, logger: Logger, names: AuthNames) {
    const { servers: bare, auth } = urlCredentials(servers)
    this.servers = bare
    this.redactedServers = servers.map(redactUrl).join(', ')
    this.#config = config
    this.#url = auth
    this.#logger = logger
    checkCombination(config, auth, names)
    try {
      this.#current = this.#read()
    } catch (err) {
      if (!(err instanceof CredentialFileError)) throw err
      throw new ConfigError(`${err.message}; ${names.fix}`, { cause: err })
    }
    const files: [string, string][] = [
      [config.credentials, 'NATS credentials file'],
      [config.nkey, 'NKey seed file'],
      [config.passwordFile, 'NATS password file'],
      [config.tokenFile, 'NATS token file'],
      [config.tls.key, 'TLS client key'],
    ]
    for (const [path, what] of files) {
      const warning = path === '' ? null : looseModeWarning(path, what)
      if (warning !== null) logger.warn(warning)
    }
  }

  #read(): Loaded {
    const { credentials, nkey, passwordFile, tokenFile, tls } = this.#config
    const hash = createHash('sha256')
    const loaded: Omit<Loaded, 'digest'> = {}
    if (credentials !== '') {
      loaded.creds = readCredsFile(credentials)
      hash.update(loaded.creds.bytes)
    }
    if (nkey !== '') {
      loaded.seed = readSeedFile(nkey)
      hash.update(loaded.seed.bytes)
    }
    const password = passwordFile === '' ? this.#config.password : readSecretFile(passwordFile, 'password').value
    const token = tokenFile === '' ? this.#config.token : readSecretFile(tokenFile, 'token').value
    if (password !== '') loaded.password = password
    if (token !== '') loaded.token = token
    hash.update(`\0${password}\0${token}\0`)
    for (const bytes of checkTlsFiles(tls)) hash.update(bytes)
    return { ...loaded, digest: hash.digest('hex') }
  }

  /** Reads the files again; on failure the last good credentials stay, and why is logged once. */
  #reread(): void {
    try {
      const next = this.#read()
      if (this.#lastProblem !== '') this.#logger.info('the NATS credentials files can be read again')
      this.#lastProblem = ''
      if (next.digest !== this.#current.digest) this.#logger.info(`the NATS credentials changed on disk: connecting as ${describe(next, this.#config)}`)
      this.#current = next
    } catch (err) {
      const why = (err as Error).message
      if (why !== this.#lastProblem) this.#logger.warn(`cannot use the NATS credentials on disk (${why}); connecting with the ones read before`)
      this.#lastProblem = why
    }
  }

  /** The client's authenticator: asked on every connect and reconnect, with the server's nonce. */
  authenticate(nonce?: string): Auth {
    this.#reread()
    const current = this.#current
    this.#used = current.digest
    if (current.creds) return jwtAuthenticator(current.creds.jwt, current.creds.seed)(nonce)
    if (current.seed) return nkeyAuthenticator(current.seed.seed)(nonce)
    if (this.#url !== null) return 'token' in this.#url ? { auth_token: this.#url.token } : this.#url
    if (current.token !== undefined) return { auth_token: current.token }
    if (this.#config.user !== '') return { user: this.#config.user, pass: current.password ?? '' }
    return undefined
  }

  /**
   * For a reload (SIGHUP): reads the files now.
   * @returns true when they differ from what the current connection used
   */
  changedOnDisk(): boolean {
    this.#reread()
    return this.#lastProblem === '' && this.#used !== '' && this.#current.digest !== this.#used
  }

  /** The client's options: servers, authenticator and TLS. */
  connectOptions(): Pick<ConnectionOptions, 'servers' | 'authenticator' | 'tls'> {
    const { tls } = this.#config
    return {
      servers: this.servers,
      authenticator: (nonce?: string) => this.authenticate(nonce),
      ...(tls.ca === '' && tls.cert === ''
        ? {}
        : { tls: { ...(tls.ca ? { caFile: tls.ca } : {}), ...(tls.cert ? { certFile: tls.cert, keyFile: tls.key } : {}) } }),
    }
  }

  /** Who connects, for messages: `the NATS user U… of <file>`; null when nothing says. */
  get who(): string | null {
    return this.#url !== null && 'user' in this.#url ? `the NATS user "${this.#url.user}" of the URL` : describe(this.#current, this.#config)
  }

  /** The account of a `.creds` user (from its JWT), or null when the credentials do not say. */
  get account(): string | null {
    return this.#current.creds?.account ?? null
  }
}

function describe(loaded: Loaded, config: NatsAuthConfig): string | null {
  if (loaded.creds) return `the NATS user ${loaded.creds.user} of ${config.credentials}`
  if (loaded.seed) return `the NATS user ${loaded.seed.user} (NKey of ${config.nkey})`
  if (config.user !== '') return `the NATS user "${config.user}"`
  if (loaded.token !== undefined) return `the NATS token${config.tokenFile ? ` of ${config.tokenFile}` : ''}`
  if (config.tls.cert !== '') return `the TLS certificate ${config.tls.cert}`
  return null
}

/** One identity per connection: settings that name two are a mistake to stop for. */
function checkCombination(config: NatsAuthConfig, url: UrlAuth | null, names: AuthNames): void {
  const p = names.prefix
  const given: string[] = []
  if (config.credentials !== '') given.push(names.creds)
  if (config.nkey !== '') given.push(names.nkey)
  if (config.user !== '' || config.password !== '' || config.passwordFile !== '') given.push(`${p}.user/${p}.password`)
  if (config.token !== '' || config.tokenFile !== '') given.push(`${p}.token`)
  if (url !== null) given.push(`the ${'token' in url ? 'token' : 'user and password'} in the NATS URL`)
  if (given.length > 1) {
    throw new ConfigError(`${given.join(' and ')} are two ways to authenticate one NATS connection: choose one`)
  }
  if (config.password !== '' && config.passwordFile !== '') throw new ConfigError(`${p}.password and ${p}.password_file both give the password: choose one`)
  if (config.token !== '' && config.tokenFile !== '') throw new ConfigError(`${p}.token and ${p}.token_file both give the token: choose one`)
  if (config.user === '' && (config.password !== '' || config.passwordFile !== '')) throw new ConfigError(`a NATS password needs its user: set ${p}.user too`)
  if (config.user !== '' && config.password === '' && config.passwordFile === '') throw new ConfigError(`the NATS user "${config.user}" needs its password: set ${p}.password or ${p}.password_file`)
}
