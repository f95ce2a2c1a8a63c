/**
 * Fixed, operator and operations routes: `/healthz`, `/readyz`, `/metrics`, `/jwt/v1/help`,
 * `/jwt/v1/operator`.
 * @module
 */
import { Hono } from 'hono'
import type { Metrics } from '../../metrics.js'
import type { NatsState } from '../../accounts/ports.js'
import type { AccountService } from '../../accounts/service.js'
import { decodedJwtResponse } from '../decode-view.js'
import { flag } from '../flags.js'
import { HELP_TEXT } from '../help-text.js'
import { TEXT_HEADERS } from '../status.js'

export type Readiness = {
  /** `/readyz` fails while NATS is down. */
  natsRequired: boolean
  /** Absent without NATS. */
  nats?: NatsState
}

/** A valid account key (all-zero bytes) no one holds: a lookup proves the store answers. */
const PROBE_KEY = 'A'.repeat(56)

export function infoRoutes(service: AccountService, options: { metrics?: Metrics; readiness?: Readiness }): Hono {
  const app = new Hono()
  // Liveness: the process serves HTTP; never fails on a dependency.
  app.get('/healthz', () => new Response(null, { status: 200 }))
  app.get('/readyz', async () => {
    const problems: string[] = []
    // A store that lives elsewhere (a KV bucket) is ready once loaded and writable, not while
    // it serves a copy it cannot update.
    const status = service.reader.status?.()
    if (status !== undefined && !(status.connected && status.caughtUp && status.writable)) {
      problems.push(`store: ${status.reason}`)
    } else {
      try {
        await service.reader.get(PROBE_KEY)
      } catch (err) {
        problems.push(`store: ${(err as Error).message}`)
      }
    }
    const { readiness } = options
    if (readiness?.natsRequired && !readiness.nats?.connection) problems.push('NATS: not connected')
    // Whether NATS is required or not: a wrong account is a mistake to fix, not an outage to wait out.
    const identityProblem = readiness?.nats?.identityProblem
    if (identityProblem) problems.push(`NATS: ${identityProblem}`)
    return problems.length === 0
      ? new Response('ready\n', { headers: TEXT_HEADERS })
      : new Response(`not ready: ${problems.join('; ')}\n`, { status: 503, headers: TEXT_HEADERS })
  })
  const { metrics } = options
  if (metrics !== undefined) {
    app.get('/metrics', async () => new Response(await metrics.text(), { headers: { 'Content-Type': metrics.contentType } }))
  }
  app.get('/jwt/v1/help', () => new Response(HELP_TEXT, { headers: { 'Content-Type': 'text/plain' } }))
  // Served as read (untrimmed), like the Go server; `text` wins over `decode`. Without an
  // operator the route does not exist, as in the Go server (the trust may come on reload).
  app.get('/jwt/v1/operator', (c) => {
    const trust = service.trust
    if (trust === null) return new Response('404 page not found\n', { status: 404, headers: TEXT_HEADERS })
    if (flag(c, 'text')) return new Response(trust.source, { headers: { 'Content-Type': 'text/plain' } })
    if (flag(c, 'decode')) return decodedJwtResponse(trust.source)
    return new Response(trust.source, { headers: { 'Content-Type': 'application/jwt' } })
  })
  return app
}
