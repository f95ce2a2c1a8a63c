/**
 * `/jwt/v1/accounts...`: the resolver probe, the account GET that nats-server's URL resolver,
 * nsc pull and curl use, and the POST that nsc push and curl use.
 * @module
 */
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { Logger } from 'pino'
import { AccountServerError, ErrorCode } from '../../errors.js'
import type { AccountOverview } from '../../accounts/overview.js'
import type { AccountService } from '../../accounts/service.js'
import { accountAnswer, toResponse, tooLarge } from '../account-response.js'
import { decodedJwtResponse } from '../decode-view.js'
import { flag } from '../flags.js'
import { answerPush } from '../push.js'

export type AccountRoutesOptions = {
  service: AccountService
  logger: Logger
  /** Largest accepted POST body. @default 1 MiB */
  maxBodyBytes?: number
  /** Adds the cross-account findings to push answers. */
  overview?: AccountOverview
}

/** The account's own URL: the one the fast path serves too. */
export const ACCOUNT_PATH = '/jwt/v1/accounts/:pubkey'

/** nats-server GETs the base URL at start-up and refuses to start unless it answers 200. */
const PROBE_HEADERS = {
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  Pragma: 'no-cache',
  Expires: '0',
}

function clientAddress(env: unknown): string | undefined {
  return (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming
    ?.socket?.remoteAddress
}

export function accountRoutes(options: AccountRoutesOptions): Hono {
  const { service, logger } = options
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  const app = new Hono()

  const probe = () => new Response(null, { status: 200, headers: PROBE_HEADERS })
  app.get('/jwt/v1/accounts', probe)
  app.get('/jwt/v1/accounts/', probe)

  app.get(ACCOUNT_PATH, async (c) => {
    const pubkey = c.req.param('pubkey')
    const jti = c.req.query('jti')
    // Stores with history serve any accepted version; the others answer 501 as the Go server did.
    const entry = jti ? await service.version(pubkey, jti) : await service.lookup(pubkey)
    if (entry === null) throw new AccountServerError(ErrorCode.NotFound, '')
    if (flag(c, 'text')) {
      return new Response(entry.body, { headers: { 'Content-Type': 'text/plain' } })
    }
    if (flag(c, 'decode')) return decodedJwtResponse(entry.body.toString('utf8'))
    const now = service.now()
    if (flag(c, 'check') && entry.exp > 0 && entry.exp < now / 1000) {
      return new Response(null, { status: 404 })
    }
    const answer = accountAnswer(entry, now, c.req.method, c.req.header('If-None-Match'))
    if (answer.status === 200 && flag(c, 'notify')) await service.renotify(pubkey)
    return toResponse(answer)
  })

  // Public like the account itself: who pushed (a client address) stays in the log.
  app.get('/jwt/v1/accounts/:pubkey/history', async (c) => {
    const history = await service.history(c.req.param('pubkey'))
    return Response.json(
      history.map((h) => ({
        event: h.event,
        jti: h.jti,
        iat: h.iat,
        exp: h.exp,
        received_at: new Date(h.receivedAt).toISOString(),
        source: h.source,
        source_detail: h.source === 'http' ? '' : h.sourceDetail,
        issuer: h.issuer,
        notification: h.notification,
      })),
    )
  })

  app.post(
    ACCOUNT_PATH,
    bodyLimit({
      maxSize: maxBodyBytes,
      // The rest of the body is not read: the connection closes after the answer.
      onError: () => toResponse(tooLarge(maxBodyBytes)),
    }),
    async (c) => {
      const pubkey = c.req.param('pubkey')
      return toResponse(await answerPush(service, logger, pubkey, await c.req.text(), clientAddress(c.env), options.overview))
    },
  )
  return app
}
