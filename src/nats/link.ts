/**
 * The NATS connection: made in the background (HTTP never waits for it), retried with an
 * exponential back-off until it succeeds, then kept by the client's own reconnects (same
 * back-off) forever. Each state change is logged once, with its reason; URLs are logged without
 * their credentials. After every (re)connect, a `$SYS.REQ.SERVER.PING` proves the user is in
 * the system account. Subscriptions made once survive reconnects (the client re-subscribes).
 * @module
 */
import {
  connect,
  RequestError,
  type NatsConnection,
  type Status,
} from '@nats-io/transport-node'
import type { NatsState } from '../accounts/ports.js'
import type { NatsConfig } from '../config/types.js'
import type { Logger } from '../log/logger.js'
import { NatsAuth } from './auth.js'

export type LinkListener = {
  /** Once, after the first successful connection. */
  ready?(nc: NatsConnection): void
  /** After the first connection and after every reconnect. */
  connected?(nc: NatsConnection): void
}

/** The longest wait between two connection attempts. */
export const MAX_BACKOFF_MS = 30_000

/** What to do about NATS credentials that do not reach the system account. */
export const CREDS_FIX = 'give -creds (nats.creds) the .creds file of a user of the system account, e.g. made by `nsc generate creds --account SYS`'

/** Who the system-account link connects as, its files read now: a bad one stops start-up. */
export function systemAuth(config: NatsConfig, logger: Logger): NatsAuth {
  return new NatsAuth(config.servers, config, logger, { creds: '-creds (nats.creds)', nkey: '--nkey (nats.nkey)', prefix: 'nats', fix: CREDS_FIX })
}

/**
 * The wait before connection attempt `attempt + 1`: doubling from `baseMs` up to `maxMs`, half
 * of it random (equal jitter) so that many servers cut off together do not come back in step.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs = MAX_BACKOFF_MS, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30))
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}

export type NatsLinkOptions = {
  /** Who the link connects as (credential files checked, read again at every connect). */
  auth: NatsAuth
  /** The system account key ('' when unknown), named in the wrong-account error. */
  systemAccount: string
}

export class NatsLink implements NatsState {
  readonly #config: NatsConfig
  readonly #options: NatsLinkOptions
  readonly #logger: Logger
  #auth: NatsAuth
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
    this.#auth = options.auth
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
    this.#logger.info(`connecting to NATS ${this.#auth.redactedServers}`)
    while (!this.#closing) {
      let nc: NatsConnection
      this.#attempts++
      try {
        nc = await connect({
          // The client gets the credentials as options, never inside a URL it could put in an error.
          ...this.#auth.connectOptions(),
          // Asked at every connect and reconnect: rotated files are read then.
          authenticator: (nonce?: string) => this.#auth.authenticate(nonce),
          name: 'nats-accounts',
          // Never receive our own publishes: our notifications and PACK requests are not for us.
          noEcho: true,
          timeout: this.#config.connectTimeoutMs,
          maxReconnectAttempts: -1,
          // Credentials refused twice do not end the reconnects: the files may be replaced meanwhile.
          ignoreAuthErrorAbort: true,
          reconnectDelayHandler: () => this.#reconnectDelay,
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
      const { systemAccount } = this.#options
      const needed = systemAccount === '' ? 'the system account' : `the system account ${systemAccount}`
      const user = this.#auth.who ?? 'the NATS user of this connection'
      const { account } = this.#auth
      const who = account !== null
        ? `${user} belongs to account ${account}, not to ${needed}`
        : `${user} is not in ${needed} (nats-server did not answer $SYS.REQ.SERVER.PING)`
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

  /**
   * For a reload (SIGHUP): new credential settings, or the same files read again. When what
   * the connection presents changed, it reconnects at once (a waiting attempt starts now).
   */
  async refreshCredentials(next?: NatsAuth): Promise<void> {
    if (next !== undefined) this.#auth = next
    if (next === undefined && !this.#auth.changedOnDisk()) return
    this.#logger.info(`NATS credentials changed: reconnecting as ${this.#auth.who ?? 'the configured NATS user'}`)
    this.#wake?.()
    const nc = this.#nc
    if (nc !== null && !nc.isClosed()) await nc.reconnect()
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
