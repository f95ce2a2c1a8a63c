/**
 * The HTTP application: pure, no `listen()`. Tests drive it with `app.request()`; `server.ts`
 * puts it behind a Node HTTP server.
 * @module
 */
import { Hono } from 'hono'
import { getPath } from 'hono/utils/url'
import type { Logger } from 'pino'
import { failure, toResponse } from './http/account-response.js'
import { goRouter, routeTable } from './http/go-router.js'
import { ACCOUNT_PATH, accountRoutes } from './http/routes/accounts.js'
import { infoRoutes, type Readiness } from './http/routes/info.js'
import { packRoutes } from './http/routes/pack.js'
import type { Metrics } from './metrics.js'
import { DeleteRequests } from './accounts/delete-request.js'
import { AccountOverview } from './accounts/overview.js'
import type { FleetView } from './accounts/ports.js'
import type { AccountService } from './accounts/service.js'
import { AdminAuth } from './http/admin-auth.js'
import { apiRoutes } from './http/routes/api.js'
import { consoleRoutes } from './ui/routes.js'

export type AppOptions = {
  service: AccountService
  logger: Logger
  metrics?: Metrics
  readiness?: Readiness
  /** Largest accepted POST body. @default 1 MiB */
  maxBodyBytes?: number
  /** Default and cap of `/jwt/v1/pack?max`. @default 10000 */
  maxPack?: number
  /** Serve `/metrics` here (false: it has a listener of its own). @default true */
  metricsRoute?: boolean
  /** The account list and findings of the JSON API. @default one over `service` */
  overview?: AccountOverview
  /** Who is an admin. @default nobody */
  adminAuth?: AdminAuth
  /** Delete requests (shared with NATS). @default one over `service` */
  deletes?: DeleteRequests
  /** With NATS: the nats-servers and the versions they run (`fleet/`). */
  fleet?: FleetView
}

/**
 * nats-server builds `/jwt/v1//accounts/<key>` when the operator's `account_server_url` ends
 * in "/", so runs of slashes count as one.
 */
function collapsedPath(request: Request): string {
  const path = getPath(request)
  return path.includes('//') ? path.replace(/\/{2,}/g, '/') : path
}

export function buildApp(options: AppOptions): Hono {
  const { service, logger } = options
  const { metrics } = options
  const served = options.metricsRoute === false ? undefined : metrics
  const overview = options.overview ?? new AccountOverview({ service, fleet: options.fleet, logger })
  const adminAuth = options.adminAuth ?? new AdminAuth({})
  const routes = new Hono()
  routes.route('/', infoRoutes(service, { metrics: served, readiness: options.readiness }))
  routes.route('/', accountRoutes({ service, logger, maxBodyBytes: options.maxBodyBytes, overview }))
  routes.route('/', packRoutes({ service, logger, metrics, maxPack: options.maxPack }))
  routes.route(
    '/',
    apiRoutes({
      service,
      logger,
      overview,
      auth: adminAuth,
      deletes: options.deletes ?? new DeleteRequests(service),
      fleet: options.fleet,
      maxBodyBytes: options.maxBodyBytes,
    }),
  )
  routes.route('/', consoleRoutes({ service, logger, overview, admin: adminAuth, fleet: options.fleet }))

  const app = new Hono({ getPath: collapsedPath })
  app.use(goRouter(routeTable(routes.routes, [ACCOUNT_PATH]), metrics && ((...args) => metrics.request(...args))))
  app.route('/', routes)
  app.onError((err) => toResponse(failure(err, logger, 'handling a request')))
  return app
}
