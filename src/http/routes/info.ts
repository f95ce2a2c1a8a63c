/**
 * Fixed and operator routes: `/healthz`, `/jwt/v1/help`, `/jwt/v1/operator`.
 * @module
 */
import { Hono } from 'hono'
import type { OperatorTrust } from '../../jwt/trust.js'
import { decodedJwtResponse } from '../decode-view.js'
import { flag } from '../flags.js'
import { HELP_TEXT } from '../help-text.js'

export function infoRoutes(trust: OperatorTrust | null): Hono {
  const app = new Hono()
  app.get('/healthz', () => new Response(null, { status: 200 }))
  app.get('/jwt/v1/help', () => new Response(HELP_TEXT, { headers: { 'Content-Type': 'text/plain' } }))
  if (trust !== null) {
    // Served as read from disk, untrimmed, like the Go server; `text` wins over `decode`.
    app.get('/jwt/v1/operator', (c) => {
      if (flag(c, 'text')) return new Response(trust.source, { headers: { 'Content-Type': 'text/plain' } })
      if (flag(c, 'decode')) return decodedJwtResponse(trust.source)
      return new Response(trust.source, { headers: { 'Content-Type': 'application/jwt' } })
    })
  }
  return app
}
