/**
 * The composition root: builds the store, trust, service and app from a configuration, owns
 * the HTTP(S) listener and NATS, reloads what can change at run time (SIGHUP), and shuts
 * everything down in order.
 * @module
 */
import { readFileSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import type { Hono } from 'hono'
import { buildApp } from './app.js'
import type { ClusterBridge } from './cluster/bridge.js'
import type { ServerConfig } from './config/types.js'
import { AccountServerError, ConfigError } from './errors.js'
import { fastPath } from './http/fast-path.js'
import { describeError } from './http/status.js'
import { isInlineJwt, loadOperator, readJwtSetting, type OperatorTrust } from './jwt/trust.js'
import type { Logger } from './log/logger.js'
import { instrumentStore, Metrics } from './metrics.js'
import { importFromPrimary } from './migrate/primary.js'
import { ServerIdentity } from './nats/identity.js'
import { NatsLink } from './nats/link.js'
import { Notifier } from './nats/notifier.js'
import { ResolverPeer } from './nats/peer.js'
import { AccountService, isStale } from './service/accounts.js'
import { describeStore, openStore } from './store/index.js'
import type { JwtStore, PutSource, StoredAccount } from './store/types.js'
import { VERSION } from './version.js'

export type AccountServer = {
  app: Hono
  service: AccountService
  metrics: Metrics
  /** Starts listening; resolves with the address nats-server should use. */
  start(): Promise<{ host: string; port: number; resolverUrl: string }>
  /**
   * Applies a new configuration: operator (signing keys), system account JWT and log level
   * take effect at once; what needs a restart is logged. A bad configuration changes nothing.
   * @throws ConfigError (the running configuration stays)
   */
  reload(config: ServerConfig): Promise<void>
  /** Stops accepting, lets in-flight requests finish (bounded), closes NATS and the store. */
  stop(): Promise<void>
}

export type AccountServerOptions = {
  config: ServerConfig
  logger: Logger
  /** A ready store (tests); otherwise built from `config.store`. */
  store?: JwtStore
  /** How long in-flight requests may run on stop. @default 5000 ms */
  shutdownGraceMs?: number
  /** In a worker of `--workers N`: the link to the primary process. */
  cluster?: ClusterBridge
}

export async function createAccountServer(options: AccountServerOptions): Promise<AccountServer> {
  let { config } = options
  const { logger } = options
  logger.info(`starting nats-accounts, version ${VERSION}`)
  logger.info(`server time is ${new Date().toString()}`)
  const trust = await loadTrust(config, logger)
  const { cluster } = options
  // One process leads: it alone answers on the NATS resolver subjects and imports at start.
  const leader = cluster === undefined || cluster.leader
  const rawStore = options.store ?? (await openStore(config.store, { logger, writer: leader }))
  logger.info(`using the ${options.store ? `${rawStore.name} store` : describeStore(config.store)}`)
  const nats = config.nats.servers.length > 0 ? new NatsLink(config.nats, logger) : null
  const metrics = new Metrics({
    store: rawStore,
    natsConnected: nats ? () => nats.connection !== null : undefined,
    cluster: cluster && (() => cluster.metrics()),
  })
  const store = instrumentStore(rawStore, metrics)
  let peer: ResolverPeer | null = null
  const service = new AccountService({
    store,
    trust,
    clockSkewSeconds: config.clockSkewMs / 1000,
    logger,
    metrics,
    // Workers check JWTs in parallel; one of them (the leader) writes, so newest-wins and
    // group commits stay in one process.
    ...(cluster
      ? {
          onChange: (keys: string[]) => cluster.announce(keys),
          announceImports: leader,
          ...(leader ? {} : { remoteCommit: (account: StoredAccount, source: PutSource) => cluster.commit(account, source) }),
        }
      : {}),
    ...(nats
      ? {
          notifier: new Notifier(nats, logger, { windowMs: config.nats.notifyWindowMs, stallMs: config.nats.notifyStallMs }),
          fallback: (pubkey: string) => peer?.lookup(pubkey) ?? Promise.resolve(null),
        }
      : {}),
  })
  cluster?.onForget((keys) => service.forget(keys))
  cluster?.provideMetrics(() => metrics.registry.getMetricsAsJSON())
  if (cluster?.leader) cluster.onCommit((account, source) => service.commit(account, source))
  if (nats && leader) {
    peer = new ResolverPeer(nats, service, new ServerIdentity(), logger, {
      packIntervalMs: config.nats.packIntervalMs,
      lookupTimeoutMs: config.nats.lookupTimeoutMs,
    })
  } else if (!nats) {
    logger.info('NATS is not configured, server will not fire notifications on update')
  }
  await storeSystemAccount(service, config, logger)
  if (config.primary !== '' && leader) {
    await importFromPrimary(service, config.primary, {
      timeoutMs: config.replicationTimeoutMs,
      maxPack: config.maxPack,
      logger,
    })
  }
  const app = buildApp({
    service,
    logger,
    metrics,
    readiness: { natsRequired: config.nats.required, natsConnected: () => nats?.connection != null },
    maxBodyBytes: config.http.maxBodyBytes,
    maxPack: config.maxPack,
  })
  let server: Server | null = null

  return {
    app,
    service,
    metrics,
    async start() {
      const { http } = config
      const secure = http.tls.cert !== ''
      const slow = getRequestListener(app.fetch)
      const fast = fastPath({ service, logger, maxBodyBytes: config.http.maxBodyBytes, metrics })
      const listener = (req: IncomingMessage, res: ServerResponse) => {
        if (!fast(req, res)) void slow(req, res)
      }
      server = secure ? createHttpsServer(tlsOptions(http.tls), listener) : createHttpServer(listener)
      server.requestTimeout = http.readTimeoutMs
      server.headersTimeout = Math.min(60_000, http.readTimeoutMs)
      const listening = server
      await new Promise<void>((resolve, reject) => {
        listening.once('error', (err) =>
          reject(new ConfigError(`cannot listen on ${http.host}:${http.port}: ${err.message}`, { cause: err })),
        )
        listening.listen(http.port, http.host === '' ? undefined : http.host, resolve)
      })
      const port = (listening.address() as AddressInfo).port
      const host = http.host === '' ? '127.0.0.1' : http.host
      const scheme = secure ? 'https' : 'http'
      const resolverUrl = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}/jwt/v1/accounts/`
      logger.info(`${scheme} listening on port ${port}${http.tls.ca ? ' (client certificates required)' : ''}`)
      // HTTP first: nats-server may need this server before NATS itself is up.
      nats?.start()
      cluster?.ready()
      logger.info('nats-accounts is running')
      logger.info('configure the nats-server with:')
      logger.info(`  resolver: URL(${resolverUrl})`)
      return { host, port, resolverUrl }
    },
    async reload(next) {
      const nextTrust = await loadTrust(next, logger)
      service.trust = nextTrust
      await storeSystemAccount(service, next, logger)
      logger.level = next.logging.level
      for (const part of ['http', 'store', 'nats', 'primary', 'maxPack', 'clockSkewMs'] as const) {
        if (JSON.stringify(next[part]) !== JSON.stringify(config[part])) {
          logger.warn(`configuration reloaded, but ${part} changes take effect only after a restart`)
        }
      }
      config = next
      logger.info('configuration reloaded')
    },
    async stop() {
      logger.info('stopping account server')
      if (server !== null) {
        const listening = server
        server = null
        logger.info('stopping http server')
        const closed = new Promise<void>((resolve) => listening.close(() => resolve()))
        listening.closeIdleConnections()
        const grace = setTimeout(() => listening.closeAllConnections(), options.shutdownGraceMs ?? 5000)
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

function tlsOptions(tls: ServerConfig['http']['tls']) {
  const read = (what: string, path: string) => {
    try {
      return readFileSync(path)
    } catch (err) {
      throw new ConfigError(`error loading TLS ${what} ${path}: ${(err as Error).message}`, { cause: err })
    }
  }
  if (tls.key === '') throw new ConfigError('http.tls.cert is set but http.tls.key is not')
  return {
    cert: read('certificate', tls.cert),
    key: read('key', tls.key),
    minVersion: 'TLSv1.2' as const,
    // mTLS: only clients with a certificate from this CA get through.
    ...(tls.ca ? { ca: read('CA', tls.ca), requestCert: true, rejectUnauthorized: true } : {}),
  }
}

async function loadTrust(config: ServerConfig, logger: Logger): Promise<OperatorTrust | null> {
  if (config.operator === '') {
    logger.warn(
      'No Operator is configured - You will NOT be able to push jwt to this account server: start it with -operator <operator JWT file> to accept pushes',
    )
    return null
  }
  logger.info(`loading operator from ${isInlineJwt(config.operator) ? 'the inline JWT' : config.operator}`)
  const trust = await loadOperator(config.operator)
  logger.info(`Operator: ${trust.key}`)
  logger.info(`Operator Name: ${trust.name}`)
  if (trust.strict) logger.info('Operator requires signing keys (strict_signing_key_usage): identity-signed accounts are refused')
  if (trust.exp > 0 && trust.exp * 1000 < Date.now()) {
    logger.warn(`the operator JWT expired at ${new Date(trust.exp * 1000).toISOString()}: nats-servers will refuse its accounts`)
  }
  const { systemAccount } = config
  if (systemAccount !== '') {
    if (trust.systemAccount !== '' && trust.systemAccount !== systemAccount) {
      throw new ConfigError(`system_account ${systemAccount} differs from the operator's system account ${trust.systemAccount}`)
    }
    return { ...trust, systemAccount }
  }
  return trust
}

/** The configured system account JWT goes into the store (newest wins), so it is always served. */
async function storeSystemAccount(service: AccountService, config: ServerConfig, logger: Logger): Promise<void> {
  if (config.systemAccountJwt === '') return
  const { text, origin } = await readJwtSetting(config.systemAccountJwt, 'system account JWT')
  logger.info(`loading system account from ${origin}`)
  try {
    const expectedKey = service.trust?.systemAccount || undefined
    const result = await service.push(text, { expectedKey, source: { kind: 'import', detail: origin } })
    logger.info(`System Account: ${result.current.pubkey} (${result.current.name}), ${result.outcome}`)
  } catch (err) {
    if (isStale(err)) {
      logger.info(`system account JWT ${origin} is older than the stored one, which stays`)
      return
    }
    const why = err instanceof AccountServerError ? describeError(err) : String(err)
    throw new ConfigError(`system account JWT ${origin} is not valid: ${why}`, { cause: err })
  }
}
