/**
 * The composition root: builds the store, trust, service and app from a configuration, owns
 * the HTTP listener and shuts everything down in order.
 * @module
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import type { Hono } from 'hono'
import { buildApp } from './app.js'
import type { ServerConfig } from './config/types.js'
import { ConfigError } from './errors.js'
import { loadOperatorFile, type OperatorTrust } from './jwt/trust.js'
import type { Logger } from './log/logger.js'
import { AccountService } from './service/accounts.js'
import { importFromPrimary } from './migrate/primary.js'
import { ServerIdentity } from './nats/identity.js'
import { NatsLink } from './nats/link.js'
import { Notifier } from './nats/notifier.js'
import { ResolverPeer } from './nats/peer.js'
import { describeStore, openStore } from './store/index.js'
import type { JwtStore } from './store/types.js'
import { VERSION } from './version.js'

export type AccountServer = {
  app: Hono
  service: AccountService
  /** Starts listening; resolves with the address nats-server should use. */
  start(): Promise<{ host: string; port: number; resolverUrl: string }>
  /** Stops accepting, lets in-flight requests finish (bounded), closes the store. */
  stop(): Promise<void>
}

export type AccountServerOptions = {
  config: ServerConfig
  logger: Logger
  /** A ready store (tests); otherwise built from `config.store`. */
  store?: JwtStore
  /** How long in-flight requests may run on stop. @default 5000 ms */
  shutdownGraceMs?: number
}

export async function createAccountServer(options: AccountServerOptions): Promise<AccountServer> {
  const { config, logger } = options
  logger.info(`starting nats-accounts, version ${VERSION}`)
  logger.info(`server time is ${new Date().toString()}`)
  const trust = await loadTrust(config, logger)
  const store = options.store ?? (await openStore(config.store))
  logger.info(`using the ${options.store ? `${store.name} store` : describeStore(config.store)}`)
  const nats = config.nats.servers.length > 0 ? new NatsLink(config.nats, logger) : null
  let peer: ResolverPeer | null = null
  const service = new AccountService({
    store,
    trust,
    logger,
    ...(nats
      ? {
          notifier: new Notifier(nats, logger, { windowMs: config.nats.notifyWindowMs, stallMs: config.nats.notifyStallMs }),
          fallback: (pubkey: string) => peer?.lookup(pubkey) ?? Promise.resolve(null),
        }
      : {}),
  })
  if (nats) {
    peer = new ResolverPeer(nats, service, new ServerIdentity(), logger, {
      packIntervalMs: config.nats.packIntervalMs,
      lookupTimeoutMs: config.nats.lookupTimeoutMs,
    })
  } else {
    logger.info('NATS is not configured, server will not fire notifications on update')
  }
  if (config.primary !== '') {
    await importFromPrimary(service, config.primary, {
      timeoutMs: config.replicationTimeoutMs,
      maxPack: config.maxPack,
      logger,
    })
  }
  const app = buildApp({
    service,
    logger,
    maxBodyBytes: config.http.maxBodyBytes,
    maxPack: config.maxPack,
  })
  let server: Server | null = null

  return {
    app,
    service,
    async start() {
      const listener = getRequestListener(app.fetch)
      server = createServer(listener)
      const http = server
      await new Promise<void>((resolve, reject) => {
        http.once('error', (err) => reject(new ConfigError(`cannot listen on ${config.http.host}:${config.http.port}: ${err.message}`, { cause: err })))
        http.listen(config.http.port, config.http.host === '' ? undefined : config.http.host, resolve)
      })
      const port = (http.address() as AddressInfo).port
      const host = config.http.host === '' ? '127.0.0.1' : config.http.host
      const resolverUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}/jwt/v1/accounts/`
      logger.info(`http listening on port ${port}`)
      // HTTP first: nats-server may need this server before NATS itself is up.
      nats?.start()
      logger.info('nats-accounts is running')
      logger.info('configure the nats-server with:')
      logger.info(`  resolver: URL(${resolverUrl})`)
      return { host, port, resolverUrl }
    },
    async stop() {
      logger.info('stopping account server')
      if (server !== null) {
        const http = server
        server = null
        logger.info('stopping http server')
        const closed = new Promise<void>((resolve) => http.close(() => resolve()))
        http.closeIdleConnections()
        const grace = setTimeout(() => http.closeAllConnections(), options.shutdownGraceMs ?? 5000)
        await closed
        clearTimeout(grace)
        logger.info('http server stopped')
      }
      peer?.close()
      await nats?.close()
      service.close()
      await store.close()
      logger.info('closed JWT store')
    },
  }
}

async function loadTrust(config: ServerConfig, logger: Logger): Promise<OperatorTrust | null> {
  if (config.operatorPath === '') {
    logger.warn(
      'No Operator is configured - You will NOT be able to push jwt to this account server: start it with -operator <operator JWT file> to accept pushes',
    )
    return null
  }
  logger.info(`loading operator from ${config.operatorPath}`)
  const trust = await loadOperatorFile(config.operatorPath)
  logger.info(`Operator: ${trust.key}`)
  logger.info(`Operator Name: ${trust.name}`)
  if (trust.strict) logger.info('Operator requires signing keys (strict_signing_key_usage): identity-signed accounts are refused')
  if (trust.exp > 0 && trust.exp * 1000 < Date.now()) {
    logger.warn(`the operator JWT expired at ${new Date(trust.exp * 1000).toISOString()}: nats-servers will refuse its accounts`)
  }
  return trust
}
