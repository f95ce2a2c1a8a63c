/**
 * The HTTP application: pure, no `listen()`. Tests drive it with `app.request()`; `server.ts`
 * puts it behind a Node HTTP server.
 * @module
 */
import { Hono } from 'hono'
import { getPath } from 'hono/utils/url'
import type { Logger } from 'pino'
import { AccountServerError } from './errors.js'
import { goCompat, type RouteSpec } from './http/compat.js'
import { accountRoutes } from './http/routes/accounts.js'
import { infoRoutes, type Readiness } from './http/routes/info.js'
import { packRoutes } from './http/routes/pack.js'
import { errorResponse } from './http/status.js'
import type { Metrics } from './metrics.js'
import type { AccountService } from './service/accounts.js'

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
  const routes: RouteSpec[] = [
    { path: '/healthz', methods: ['GET'] },
    { path: '/readyz', methods: ['GET'] },
    { path: '/jwt/v1/operator', methods: ['GET'] },
    { path: '/jwt/v1/help', methods: ['GET'] },
    { path: '/jwt/v1/pack', methods: ['GET'] },
    { path: '/jwt/v1/accounts', methods: ['GET'] },
    { path: '/jwt/v1/accounts/', methods: ['GET'] },
    { path: '/jwt/v1/accounts/:pubkey', methods: ['GET', 'POST'], cors: true },
    { path: '/jwt/v1/accounts/:pubkey/history', methods: ['GET'] },
  ]
  const { metrics } = options
  const served = options.metricsRoute === false ? undefined : metrics
  if (served !== undefined) routes.push({ path: '/metrics', methods: ['GET'] })

  const app = new Hono({ getPath: collapsedPath })
  app.use(goCompat(routes, metrics && ((...args) => metrics.request(...args))))
  app.route('/', infoRoutes(service, { metrics: served, readiness: options.readiness }))
  app.route('/', accountRoutes({ service, logger, maxBodyBytes: options.maxBodyBytes }))
  app.route('/', packRoutes({ service, logger, metrics, maxPack: options.maxPack }))
  app.onError((err) => {
    if (err instanceof AccountServerError) return errorResponse(err)
    logger.error({ err }, 'unexpected error while handling a request')
    return new Response('internal server error\n', { status: 500 })
  })
  return app
}
