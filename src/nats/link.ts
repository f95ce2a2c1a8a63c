/**
 * The NATS connection: made in the background (HTTP never waits for it), retried until it
 * succeeds, then kept by the client's own reconnects forever. Every state change is logged with
 * its reason. Subscriptions made once survive reconnects (the client re-subscribes).
 * @module
 */
import { readFile } from 'node:fs/promises'
import {
  connect,
  credsAuthenticator,
  type NatsConnection,
  type Status,
} from '@nats-io/transport-node'
import type { NatsConfig } from '../config/types.js'
import type { Logger } from '../log/logger.js'

export type LinkListener = {
  /** Once, after the first successful connection. */
  ready?(nc: NatsConnection): void
  /** After the first connection and after every reconnect. */
  connected?(nc: NatsConnection): void
}

function tlsOptions(tls: NatsConfig['tls']) {
  if (tls.ca === '' && tls.cert === '') return {}
  return {
    tls: {
      ...(tls.ca ? { caFile: tls.ca } : {}),
      ...(tls.cert ? { certFile: tls.cert, keyFile: tls.key } : {}),
    },
  }
}

export class NatsLink {
  readonly #config: NatsConfig
  readonly #logger: Logger
  readonly #listeners: LinkListener[] = []
  #nc: NatsConnection | null = null
  #up = false
  #closing = false
  #wake: (() => void) | null = null
  #running: Promise<void> | null = null

  constructor(config: NatsConfig, logger: Logger) {
    this.#config = config
    this.#logger = logger.child({ nats: config.servers.join(',') })
  }

  listen(listener: LinkListener): void {
    this.#listeners.push(listener)
  }

  /** The connection while it is up; null while connecting or disconnected. */
  get connection(): NatsConnection | null {
    return this.#up ? this.#nc : null
  }

  start(): void {
    this.#running ??= this.#run()
  }

  async #run(): Promise<void> {
    while (!this.#closing) {
      this.#logger.info(`connecting to NATS ${this.#config.servers.join(', ')}`)
      let nc: NatsConnection
      try {
        nc = await connect({
          servers: this.#config.servers,
          name: 'nats-accounts',
          // Never receive our own publishes: our notifications and PACK requests are not for us.
          noEcho: true,
          timeout: this.#config.connectTimeoutMs,
          maxReconnectAttempts: -1,
          reconnectTimeWait: this.#config.reconnectWaitMs,
          ...(this.#config.credentials
            ? { authenticator: credsAuthenticator(await readFile(this.#config.credentials)) }
            : {}),
          ...tlsOptions(this.#config.tls),
        })
      } catch (err) {
        this.#logger.error(
          `failed to connect to NATS: ${(err as Error).message}; trying again in ${this.#config.reconnectWaitMs} ms`,
        )
        await this.#pause(this.#config.reconnectWaitMs)
        continue
      }
      if (this.#closing) {
        await nc.close()
        return
      }
      this.#nc = nc
      this.#up = true
      this.#logger.info(`connected to NATS at ${nc.getServer()}`)
      for (const listener of this.#listeners) listener.ready?.(nc)
      for (const listener of this.#listeners) listener.connected?.(nc)
      await this.#watch(nc)
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
        this.#logger.warn(`disconnected from NATS server ${status.server}`)
        break
      case 'reconnecting':
        this.#logger.debug('reconnecting to NATS')
        break
      case 'reconnect':
        this.#up = true
        this.#logger.info(`reconnected to NATS server ${status.server}`)
        for (const listener of this.#listeners) listener.connected?.(nc)
        break
      case 'error':
        this.#logger.warn(`NATS error: ${status.error.message}`)
        break
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
