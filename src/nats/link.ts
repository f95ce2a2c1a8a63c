/**
 * The NATS connection: made in the background (HTTP never waits for it), retried with an
 * exponential back-off until it succeeds, then kept by the client's own reconnects (same
 * back-off) forever. Each state change is logged once, with its reason; URLs are logged without
 * their credentials. After every (re)connect, a `$SYS.REQ.SERVER.PING` proves the user is in
 * the system account. Subscriptions made once survive reconnects (the client re-subscribes).
 * @module
 */
import { readFile } from 'node:fs/promises'
import {
  connect,
  credsAuthenticator,
  RequestError,
  type NatsConnection,
  type Status,
} from '@nats-io/transport-node'
import type { NatsState } from '../accounts/ports.js'
import type { NatsConfig } from '../config/types.js'
import { ConfigError } from '../errors.js'
import { decodeJwt } from '../jwt/decode.js'
import type { Logger } from '../log/logger.js'

export type LinkListener = {
  /** Once, after the first successful connection. */
  ready?(nc: NatsConnection): void
  /** After the first connection and after every reconnect. */
  connected?(nc: NatsConnection): void
}

/** A `.creds` file, read once at start-up. */
export type NatsCredentials = {
  path: string
  text: Uint8Array
  /** The account the user belongs to (its JWT's `issuer_account`, else its issuer). */
  account: string
  user: string
}

/** The longest wait between two connection attempts. */
export const MAX_BACKOFF_MS = 30_000

export const CREDS_FIX = 'give -creds (nats.creds) the .creds file of a user of the system account, e.g. made by `nsc generate creds --account SYS`'
const USER_JWT = /-{3,}BEGIN NATS USER JWT-{3,}\r?\n\s*([\w\-.=]+)\s*\r?\n-{3,}END NATS USER JWT-{3,}/
const USER_SEED = /-{3,}BEGIN USER NKEY SEED-{3,}\r?\n\s*SU[A-Z2-7]{56}\s*\r?\n/

/**
 * Reads and checks a `.creds` file.
 * @throws ConfigError naming the file and the fix: a missing or unreadable file stops start-up
 */
export async function readCredentials(path: string): Promise<NatsCredentials> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read NATS credentials file ${path}: ${(err as Error).message}; ${CREDS_FIX}`, { cause: err })
  }
  const jwt = USER_JWT.exec(text)?.[1]
  let claims
  try {
    if (jwt === undefined || !USER_SEED.test(text)) throw new Error('it does not hold a user JWT and its nkey seed')
    claims = decodeJwt(jwt).claims
  } catch (err) {
    throw new ConfigError(`NATS credentials file ${path} is not a .creds file: ${(err as Error).message}; ${CREDS_FIX}`, { cause: err })
  }
  const issuerAccount = (claims.nats as { issuer_account?: unknown } | undefined)?.issuer_account
  return {
    path,
    text: new TextEncoder().encode(text),
    account: typeof issuerAccount === 'string' && issuerAccount !== '' ? issuerAccount : (claims.iss ?? ''),
    user: claims.sub ?? '',
  }
}

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

/**
 * The wait before connection attempt `attempt + 1`: doubling from `baseMs` up to `maxMs`, half
 * of it random (equal jitter) so that many servers cut off together do not come back in step.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs = MAX_BACKOFF_MS, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30))
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}

/** The client's TLS options from certificate files (none when no CA and no certificate is given). */
export function tlsOptions(tls: NatsConfig['tls']) {
  if (tls.ca === '' && tls.cert === '') return {}
  return {
    tls: {
      ...(tls.ca ? { caFile: tls.ca } : {}),
      ...(tls.cert ? { certFile: tls.cert, keyFile: tls.key } : {}),
    },
  }
}

export type NatsLinkOptions = {
  /** From `readCredentials`, when the config names a creds file. */
  credentials?: NatsCredentials
  /** The system account key ('' when unknown), named in the wrong-account error. */
  systemAccount: string
}

export class NatsLink implements NatsState {
  readonly #config: NatsConfig
  readonly #options: NatsLinkOptions
  readonly #logger: Logger
  readonly #servers: string
  readonly #urls: { servers: string[] }
  readonly #listeners: LinkListener[] = []
  #nc: NatsConnection | null = null
  #up = false
  #closing = false
  #wake: (() => void) | null = null
  #running: Promise<void> | null = null
  #attempts = 0
  /** Failed attempts since the last connection: the back-off's exponent. */
  #failures = 0
  /** What the client waits before its next reconnect attempt (set per attempt, read by the client). */
  #reconnectDelay = 0
  /** The last error logged, so that a repeated one is not logged again. */
  #lastError = ''
  #identityProblem: string | null = null

  constructor(config: NatsConfig, logger: Logger, options: NatsLinkOptions) {
    this.#config = config
    this.#options = options
    this.#servers = config.servers.map(redactUrl).join(', ')
    // The client gets the credentials as options, never inside a URL it could put in an error.
    const { servers, auth } = urlCredentials(config.servers)
    this.#urls = { servers, ...(auth ?? {}) }
    this.#logger = logger
  }

  listen(listener: LinkListener): void {
    this.#listeners.push(listener)
  }

  /** The connection while it is up; null while connecting or disconnected. */
  get connection(): NatsConnection | null {
    return this.#up ? this.#nc : null
  }

  get connectAttempts(): number {
    return this.#attempts
  }

  get identityProblem(): string | null {
    return this.#identityProblem
  }

  start(): void {
    this.#running ??= this.#run()
  }

  #nextDelay(): number {
    return backoffDelay(this.#failures++, this.#config.reconnectWaitMs)
  }

  async #run(): Promise<void> {
    this.#logger.info(`connecting to NATS ${this.#servers}`)
    const { credentials } = this.#options
    while (!this.#closing) {
      let nc: NatsConnection
      this.#attempts++
      try {
        nc = await connect({
          ...this.#urls,
          name: 'nats-accounts',
          // Never receive our own publishes: our notifications and PACK requests are not for us.
          noEcho: true,
          timeout: this.#config.connectTimeoutMs,
          maxReconnectAttempts: -1,
          reconnectDelayHandler: () => this.#reconnectDelay,
          ...(credentials ? { authenticator: credsAuthenticator(credentials.text) } : {}),
          ...tlsOptions(this.#config.tls),
        })
      } catch (err) {
        const wait = this.#nextDelay()
        const why = (err as Error).message
        if (why === this.#lastError) this.#logger.debug(`NATS connection attempt ${this.#attempts} failed: ${why}; next in ${wait} ms`)
        else this.#logger.error(`failed to connect to NATS: ${why}; trying again with back-off (at most ${MAX_BACKOFF_MS / 1000} s between attempts)`)
        this.#lastError = why
        await this.#pause(wait)
        continue
      }
      if (this.#closing) {
        await nc.close()
        return
      }
      this.#nc = nc
      this.#up = true
      this.#connected()
      this.#logger.info(`connected to NATS at ${nc.getServer()}`)
      void this.#checkIdentity(nc)
      for (const listener of this.#listeners) listener.ready?.(nc)
      for (const listener of this.#listeners) listener.connected?.(nc)
      await this.#watch(nc)
    }
  }

  #connected(): void {
    this.#failures = 0
    this.#lastError = ''
    this.#reconnectDelay = backoffDelay(0, this.#config.reconnectWaitMs)
  }

  /**
   * nats-server answers `$SYS.REQ.SERVER.PING` to users of the system account only; for any
   * other account nobody subscribes to it there, so the request gets "no responders".
   */
  async #checkIdentity(nc: NatsConnection): Promise<void> {
    try {
      await nc.request('$SYS.REQ.SERVER.PING', '', { timeout: this.#config.connectTimeoutMs })
      if (this.#identityProblem !== null) this.#logger.info('the NATS user is now in the system account')
      else this.#logger.debug('the NATS user is in the system account')
      this.#identityProblem = null
    } catch (err) {
      // A timeout proves nothing (an old or busy server): only "no responders" does.
      if (!(err instanceof RequestError && err.isNoResponders())) return
      const { credentials, systemAccount } = this.#options
      const needed = systemAccount === '' ? 'the system account' : `the system account ${systemAccount}`
      const who = credentials
        ? `the NATS user ${credentials.user} of ${credentials.path} belongs to account ${credentials.account}, not to ${needed}`
        : `the NATS user of this connection is not in ${needed} (nats-server did not answer $SYS.REQ.SERVER.PING)`
      this.#identityProblem = `${who}: update notifications and resolver requests cannot reach nats-server; ${CREDS_FIX}`
      this.#logger.error(this.#identityProblem)
    }
  }

  /** Logs status changes until the connection closes; resolves then. */
  async #watch(nc: NatsConnection): Promise<void> {
    const closed = nc.closed()
    for await (const status of nc.status()) this.#report(nc, status)
    const err = await closed
    this.#up = false
    this.#nc = null
    if (this.#closing) this.#logger.info('NATS connection closed')
    else this.#logger.error(`NATS connection closed${err ? `: ${err.message}` : ''}; connecting again`)
  }

  #report(nc: NatsConnection, status: Status): void {
    switch (status.type) {
      case 'disconnect':
        this.#up = false
        this.#logger.warn(`disconnected from NATS server ${status.server}; reconnecting with back-off (at most ${MAX_BACKOFF_MS / 1000} s between attempts)`)
        break
      case 'reconnecting':
        this.#attempts++
        this.#reconnectDelay = this.#nextDelay()
        this.#logger.debug(`NATS reconnect attempt ${this.#attempts}; next in ${this.#reconnectDelay} ms`)
        break
      case 'reconnect':
        this.#up = true
        this.#connected()
        this.#logger.info(`reconnected to NATS server ${status.server}`)
        void this.#checkIdentity(nc)
        for (const listener of this.#listeners) listener.connected?.(nc)
        break
      case 'error': {
        const why = status.error.message
        if (why !== this.#lastError) this.#logger.warn(`NATS error: ${why}`)
        this.#lastError = why
        break
      }
      case 'staleConnection':
        this.#logger.warn('NATS connection is stale')
        break
      case 'slowConsumer':
        this.#logger.warn(`slow NATS consumer on ${status.sub.getSubject()} (${status.pending} pending)`)
        break
      default:
        break
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.#wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  async close(): Promise<void> {
    this.#closing = true
    this.#wake?.()
    const nc = this.#nc
    if (nc !== null && !nc.isClosed()) {
      // Let queued publishes (notifications) go out before closing.
      await nc.drain().catch(() => nc.close())
    }
    await this.#running
  }
}
