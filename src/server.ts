/**
 * The composition root: builds the store, trust, service and app from a configuration, owns
 * the HTTP(S) listener and NATS, reloads what can change at run time (SIGHUP), and shuts
 * everything down in order.
 * @module
 */
import type { Server } from 'node:http'
import type { Hono } from 'hono'
import { AccountCache } from './accounts/cache.js'
import { DeleteRequests } from './accounts/delete-request.js'
import { LocalWriter } from './accounts/local-writer.js'
import { Notifications } from './accounts/notifications.js'
import { AccountOverview } from './accounts/overview.js'
import { isStale } from './accounts/refusals.js'
import { AccountService } from './accounts/service.js'
import { logStoreStatus } from './accounts/store-status.js'
import { buildApp } from './app.js'
import { ClusterBridge, joinCluster, type WorkerChannel } from './cluster/bridge.js'
import { FleetMonitor } from './fleet/monitor.js'
import type { ServerConfig } from './config/types.js'
import { AccountServerError, ConfigError, describeError, ErrorCode } from './errors.js'
import { loadAdminAuth } from './http/admin-auth.js'
import { fastPath } from './http/fast-path.js'
import { listenMain, listenMetrics } from './http/listener.js'
import { isInlineJwt, loadOperator, readJwtSetting, type OperatorTrust } from './jwt/trust.js'
import type { Logger } from './log/logger.js'
import { instrumentStore, Metrics } from './metrics.js'
import { importFromPrimary } from './transfer/replica.js'
import { ServerIdentity } from './nats/identity.js'
import { NatsLink, systemAuth } from './nats/link.js'
import { NatsLookup } from './nats/lookup.js'
import { Notifier } from './nats/notifier.js'
import { ResolverPeer } from './nats/peer.js'
import { NatsSigning } from './nats/signing.js'
import { openConfiguredStore } from './open-store.js'
import { describeStore } from './store/index.js'
import type { JwtStore } from './store/types.js'
import { VERSION } from './version.js'

export type AccountServer = {
  app: Hono
  service: AccountService
  metrics: Metrics
  /** With NATS, in the process that leads: the fleet scan (servers, what they run, drift). */
  fleet?: FleetMonitor
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
  /** In a worker of `--workers N`: its number (1 writes) and its channel to the primary process. */
  cluster?: WorkerOptions
}

export type WorkerOptions = {
  worker: number
  channel: WorkerChannel
  /** What a stop sent by the primary process does. */
  stop(): void
}

export async function createAccountServer(options: AccountServerOptions): Promise<AccountServer> {
  let { config } = options
  const { logger } = options
  const { cluster } = options
  // One process leads: it alone writes, answers on the NATS resolver subjects and imports at start.
  const leader = cluster === undefined || cluster.worker === 1
  // With --workers the first worker alone prints the start-up banner; the others would repeat it.
  const banner = leader ? logger : logger.child({}, { level: 'error' })
  banner.info(`starting nats-accounts, version ${VERSION}`)
  banner.info(`server time is ${new Date().toString()}`)
  const trust = await loadTrust(config, banner)
  const adminAuth = await loadAdminAuth(config.api, banner)
  const nats = config.nats.servers.length > 0 ? natsLink(config, trust, logger) : null
  const { signRequestSubject } = config.nats
  if (signRequestSubject !== '' && nats === null) {
    throw new ConfigError(`signrequestsubject ${signRequestSubject} needs NATS to reach the signing service: give -nats (nats.servers) too`)
  }
  const rawStore = options.store ?? (await openConfiguredStore(config.store, { writable: true, logger, writer: leader }))
  const accounts = await rawStore.count()
  banner.info(`using the ${options.store ? `${rawStore.name} store` : describeStore(config.store)}: ${accounts} account${accounts === 1 ? '' : 's'}`)
  const cache = new AccountCache(100_000)
  // Another worker's writes: dropped from the cache and re-read into the account list.
  const bridge = cluster && new ClusterBridge(cluster.channel, cluster.worker, (keys) => service.forget(keys))
  const metrics = new Metrics({ store: rawStore, nats: nats ?? undefined, cluster: bridge && (() => bridge.metrics()) })
  const store = instrumentStore(rawStore, metrics)
  const natsNotifier = nats ? new Notifier(nats, logger, { windowMs: config.nats.notifyWindowMs, stallMs: config.nats.notifyStallMs }) : undefined
  // The leader alone scans the fleet: one scan's requests, however many workers serve HTTP.
  const fleet = nats && leader ? fleetMonitor(nats, store, config, logger) : undefined
  if (fleet) metrics.watchFleet(fleet)
  const notifier = natsNotifier && fleet ? fleet.watch(natsNotifier) : natsNotifier
  // Workers check JWTs in parallel; the leader alone writes, so newest-wins and group commits
  // stay in one process.
  const notifications = notifier && new Notifications(notifier, store, { logger, metrics })
  if (fleet && notifications) fleet.resyncWith((account) => notifications.send(account, 'a nats-server runs an older version (fleet scan)'))
  const writer = bridge?.leader === false ? bridge : new LocalWriter({ store, cache, invalidation: bridge, notifications, logger })
  const service = new AccountService({
    store,
    trust,
    clockSkewSeconds: config.clockSkewMs / 1000,
    logger,
    metrics,
    cache,
    writer,
    notifications,
    fallback: nats && leader ? new NatsLookup(nats, config.nats.lookupTimeoutMs) : undefined,
    signing: nats && signRequestSubject !== '' ? new NatsSigning(nats, signRequestSubject, config.nats.signRequestTimeoutMs) : undefined,
    // The leader alone watches the store for other processes' changes, and tells the workers.
    changes: leader ? undefined : null,
    invalidation: bridge,
    // A bucket shared by several servers: each sees another's import, so none notifies it.
    notifyImports: rawStore.status === undefined,
  })
  if (cluster) {
    joinCluster(cluster.channel, {
      forget: (keys) => service.forget(keys),
      metricsJson: () => metrics.registry.getMetricsAsJSON(),
      stop: cluster.stop,
      writer: leader ? writer : undefined,
    })
  }
  const deletes = new DeleteRequests(service)
  const peer = nats && leader ? new ResolverPeer(nats, service, new ServerIdentity(), logger, { packIntervalMs: config.nats.packIntervalMs, deletes }) : null
  if (!nats) banner.info('NATS is not configured, server will not fire notifications on update')
  try {
    await storeSystemAccount(service, config, banner)
    if (config.primary !== '' && leader) {
      await importFromPrimary(service, config.primary, {
        timeoutMs: config.replicationTimeoutMs,
        maxPack: config.maxPack,
        logger,
      })
    }
  } catch (err) {
    // Nothing else will close them: a KV store's reconnecting would keep the process from exiting.
    peer?.close()
    service.close()
    await nats?.close()
    await store.close()
    throw err
  }
  const overview = new AccountOverview({ service, logger, fleet, expiringWithinSeconds: config.checks.expiringWithinMs / 1000 })
  metrics.watchFindings(() => overview.counts())
  cache.shareKeys((pubkey) => overview.keyOf(pubkey))
  const app = buildApp({
    service,
    overview,
    adminAuth,
    deletes,
    logger,
    metrics,
    readiness: { natsRequired: config.nats.required, nats: nats ?? undefined },
    maxBodyBytes: config.http.maxBodyBytes,
    maxPack: config.maxPack,
    metricsRoute: config.metrics.listen === '',
    fleet,
  })
  const servers: Server[] = []
  const stopStatusLog = logStoreStatus(rawStore, banner)

  return {
    app,
    service,
    metrics,
    fleet,
    async start() {
      const { http } = config
      const secure = http.tls.cert !== ''
      const fast = fastPath({ service, logger, maxBodyBytes: config.http.maxBodyBytes, metrics, overview })
      void readAccountList(overview, banner)
      const main = await listenMain(http, app, fast, { service, logger, metrics })
      servers.push(main.server)
      const { host, port } = main
      const scheme = secure ? 'https' : 'http'
      const resolverUrl = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}/jwt/v1/accounts/`
      banner.info(`${scheme} listening on port ${port}${http.tls.ca ? ' (client certificates required)' : ''}`)
      if (config.metrics.listen !== '') {
        const listening = await listenMetrics(http, config.metrics.listen, metrics)
        servers.push(listening.server)
        banner.info(`metrics on ${scheme}://${listening.host}:${listening.port}/metrics`)
      }
      // HTTP first: nats-server may need this server before NATS itself is up.
      nats?.start()
      bridge?.ready()
      banner.info('nats-accounts is running')
      banner.info('configure the nats-server with:')
      banner.info(`  resolver: URL(${resolverUrl})`)
      return { host, port, resolverUrl }
    },
    async reload(next) {
      const nextTrust = await loadTrust(next, banner)
      const authChanged = AUTH_SETTINGS.some((key) => next.nats[key] !== config.nats[key])
      const nextAuth = nats && authChanged ? systemAuth(next.nats, logger) : undefined
      service.useTrust(nextTrust)
      await storeSystemAccount(service, next, banner)
      logger.level = next.logging.level
      // Credential files are read again: a change reconnects at once.
      await nats?.refreshCredentials(nextAuth)
      for (const part of ['http', 'metrics', 'store', 'nats', 'primary', 'maxPack', 'clockSkewMs', 'api', 'checks'] as const) {
        if (JSON.stringify(restartOnly(next, part)) !== JSON.stringify(restartOnly(config, part))) {
          logger.warn(`configuration reloaded, but ${part} changes take effect only after a restart`)
        }
      }
      config = next
      logger.info('configuration reloaded')
    },
    async stop() {
      logger.info('stopping account server')
      if (servers.length > 0) {
        const listening = servers.splice(0)
        logger.info('stopping http server')
        await Promise.all(listening.map((server) => closeServer(server, options.shutdownGraceMs ?? 5000)))
        logger.info('http server stopped')
      }
      stopStatusLog()
      peer?.close()
      fleet?.close()
      overview.close()
      await nats?.close()
      service.close()
      await store.close()
      logger.info('closed JWT store')
    },
  }
}

/**
 * Reads every account into the list of the JSON API (in the background: serving never waits for
 * it) and reports the cross-account findings once.
 */
async function readAccountList(overview: AccountOverview, logger: Logger): Promise<void> {
  const started = performance.now()
  try {
    await overview.ready()
  } catch (err) {
    logger.error(`cannot read the store for the account list and checks: ${(err as Error).message}`)
    return
  }
  logger.debug(`account list and checks ready: ${overview.size} accounts in ${Math.round(performance.now() - started)} ms`)
  const findings = await overview.allFindings()
  if (findings.length === 0) return
  const counts = Object.entries(overview.counts()).filter(([, n]) => n > 0)
  logger.warn(`check findings: ${findings.length} (${counts.map(([code, n]) => `${code}: ${n}`).join(', ')}); see GET /api/v1/checks or nats-accounts check`)
  for (const f of findings.slice(0, FINDINGS_LOGGED)) logger.warn({ account: f.account, code: f.code, other: f.other }, `check finding: ${f.message}`)
  if (findings.length > FINDINGS_LOGGED) logger.warn(`… and ${findings.length - FINDINGS_LOGGED} more findings`)
}

/** Start-up logs this many findings one by one, at most. */
const FINDINGS_LOGGED = 50

/** Stops accepting, closes idle connections, cuts the rest after the grace period. */
async function closeServer(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeIdleConnections()
  const grace = setTimeout(() => server.closeAllConnections(), graceMs)
  await closed
  clearTimeout(grace)
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

function fleetMonitor(nats: NatsLink, store: JwtStore, config: ServerConfig, logger: Logger): FleetMonitor {
  const { fleetIntervalMs, autoResync, fleetRate } = config.nats
  return new FleetMonitor(nats, store, logger, { intervalMs: fleetIntervalMs, autoResync, scan: { ratePerSecond: fleetRate } })
}

/** The settings of who the system-account link connects as: a reload applies them (TLS paths excepted). */
const AUTH_SETTINGS = ['credentials', 'nkey', 'user', 'password', 'passwordFile', 'token', 'tokenFile'] as const

/** A part of the configuration without what a reload applies. */
function restartOnly(config: ServerConfig, part: keyof ServerConfig): unknown {
  if (part !== 'nats') return config[part]
  const rest: Partial<ServerConfig['nats']> = { ...config.nats }
  for (const key of AUTH_SETTINGS) delete rest[key]
  return rest
}

function natsLink(config: ServerConfig, trust: OperatorTrust | null, logger: Logger): NatsLink {
  return new NatsLink(config.nats, logger, { auth: systemAuth(config.nats, logger), systemAccount: trust?.systemAccount || config.systemAccount })
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
    // A bucket out of reach at a cold start: what the instance holds is served meanwhile.
    if (err instanceof AccountServerError && err.code === ErrorCode.StoreUnavailable) {
      logger.warn(`system account JWT ${origin} is not stored now (${describeError(err)}): the stored one is served; it is stored at the next start`)
      return
    }
    const why = err instanceof AccountServerError ? describeError(err) : String(err)
    throw new ConfigError(`system account JWT ${origin} is not valid: ${why}`, { cause: err })
  }
}
