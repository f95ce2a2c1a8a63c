/**
 * The JSON API under `/api/v1/` (docs/api.md): the accounts, the cross-account findings, the
 * fleet, and the admin actions (notify again, delete). Every error is
 * `{ "error": { "code", "message" } }` with the status of its code (`http/status.ts`).
 * @module
 */
import { Hono, type Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { Logger } from 'pino'
import { AccountServerError, describeError, ErrorCode } from '../../errors.js'
import { FINDING_CODES, type Finding } from '../../checks/index.js'
import { DeleteRefusal, keptReason, type DeleteRequests } from '../../accounts/delete-request.js'
import { ACCOUNT_STATUSES, type AccountOverview, type AccountStatus } from '../../accounts/overview.js'
import type { FleetView } from '../../accounts/ports.js'
import { assertAccountKey, type AccountService } from '../../accounts/service.js'
import type { AdminAuth, AdminIdentity } from '../admin-auth.js'
import { statusOf } from '../status.js'

export type ApiRoutesOptions = {
  service: AccountService
  overview: AccountOverview
  auth: AdminAuth
  deletes: DeleteRequests
  /** Absent without NATS. */
  fleet?: FleetView
  logger: Logger
  /** Largest accepted DELETE body (a delete request). @default 1 MiB */
  maxBodyBytes?: number
}

export const DEFAULT_PAGE = 100
export const MAX_PAGE = 1000

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }

function json(body: unknown, status = 200): Response {
  return new Response(`${JSON.stringify(body, null, 2)}\n`, { status, headers: JSON_HEADERS })
}

/** The API's error body, for any error a route throws. */
export function jsonError(err: unknown, logger: Logger): Response {
  if (!(err instanceof AccountServerError)) {
    logger.error({ err }, 'unexpected error in the JSON API')
    return json({ error: { code: 'ERR_INTERNAL', message: 'internal server error' } }, 500)
  }
  const { status, headers } = statusOf(err.code)
  const response = json({ error: { code: err.code, message: describeError(err) } }, status)
  for (const [name, value] of Object.entries(headers ?? {})) response.headers.set(name, value)
  return response
}

function badParameter(message: string): AccountServerError {
  return new AccountServerError(ErrorCode.BadParameter, message)
}

function limitOf(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PAGE
  const limit = Number(value)
  if (!/^\d+$/.test(value) || limit < 1 || limit > MAX_PAGE) throw badParameter(`limit must be a whole number from 1 to ${MAX_PAGE}, not "${value}"`)
  return limit
}

function statusOfQuery(value: string | undefined): AccountStatus | undefined {
  if (value === undefined || value === '') return undefined
  if (!(ACCOUNT_STATUSES as readonly string[]).includes(value)) throw badParameter(`status must be one of ${ACCOUNT_STATUSES.join(', ')}, not "${value}"`)
  return value as AccountStatus
}

function describeIdentity(identity: AdminIdentity): string {
  return identity.kind === 'token' ? 'admin (bearer token)' : `admin (certificate ${identity.subject})`
}

function clientAddress(c: Context): string | undefined {
  return (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress
}

export function apiRoutes(options: ApiRoutesOptions): Hono {
  const { service, overview, auth, deletes, fleet, logger } = options
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  const app = new Hono()
  app.onError((err) => jsonError(err, logger))
  const reader = auth.requireReader()
  const admin = auth.requireAdmin()

  app.get('/api/v1/accounts', reader, async (c) => {
    const query = {
      q: c.req.query('q'),
      status: statusOfQuery(c.req.query('status')),
      cursor: c.req.query('cursor') || undefined,
      limit: limitOf(c.req.query('limit')),
    }
    return json(await overview.list(query))
  })

  app.get('/api/v1/accounts/:pubkey', reader, async (c) => {
    const pubkey = c.req.param('pubkey')
    assertAccountKey(pubkey)
    const detail = await overview.account(pubkey)
    if (detail === null) throw new AccountServerError(ErrorCode.NotFound, pubkey)
    return json(detail)
  })

  app.get('/api/v1/checks', reader, async (c) => {
    const code = c.req.query('code')
    const severity = c.req.query('severity')
    if (code !== undefined && !Object.hasOwn(FINDING_CODES, code)) throw badParameter(`code must be one of ${Object.keys(FINDING_CODES).join(', ')}, not "${code}"`)
    if (severity !== undefined && severity !== 'error' && severity !== 'warning') throw badParameter(`severity must be error or warning, not "${severity}"`)
    const keep = (f: Finding) => (code === undefined || f.code === code) && (severity === undefined || f.severity === severity)
    const findings = (await overview.allFindings()).filter(keep)
    return json({ findings, counts: overview.counts(), accounts: overview.size })
  })

  app.get('/api/v1/fleet', reader, () => {
    if (fleet === undefined) return json({ nats_configured: false, message: 'NATS is not configured (-nats): no nats-servers are seen', servers: [], drifted: [] })
    const servers = fleet.servers().map((s) => ({ name: s.name, id: s.id, version: s.version, cluster: s.cluster, jetstream: s.jetstream, last_seen: new Date(s.lastSeen).toISOString() }))
    return json({ nats_configured: true, servers, drifted: fleet.drifted().map((d) => ({ account: d.pubkey, servers: d.servers })) })
  })

  app.post('/api/v1/accounts/:pubkey/notify', admin, async (c) => {
    const pubkey = c.req.param('pubkey')
    assertAccountKey(pubkey)
    if ((await c.req.text()) !== '') throw badParameter('notify takes no body')
    const { account, report } = await service.notifyAgain(pubkey)
    const identity = c.get('admin' as never) as AdminIdentity
    logger.info({ account: pubkey, jti: account.jti, client: clientAddress(c), by: describeIdentity(identity) }, `notification sent again: ${report.summary}`)
    const { sent, updated, skipped, failed, summary } = report
    return json({ account: pubkey, jti: account.jti, notification: { sent, updated, skipped, failed, summary } }, sent ? 200 : 202)
  })

  app.delete(
    '/api/v1/accounts/:pubkey',
    bodyLimit({ maxSize: maxBodyBytes, onError: () => jsonError(new AccountServerError(ErrorCode.TooLarge, `the body is over the ${maxBodyBytes}-byte limit`), logger) }),
    async (c, next) => {
      const pubkey = c.req.param('pubkey')
      assertAccountKey(pubkey)
      const body = (await c.req.text()).trim()
      if (body !== '') return deleteByRequest(c, pubkey, body)
      await next()
    },
    admin,
    async (c) => {
      const pubkey = c.req.param('pubkey')
      const identity = c.get('admin' as never) as AdminIdentity
      const systemAccount = service.trust?.systemAccount
      if (systemAccount !== undefined && systemAccount !== '' && pubkey === systemAccount) {
        throw new AccountServerError(ErrorCode.Forbidden, `${pubkey} is the system account: nats-server refuses to delete it, and so does this server`)
      }
      const deleted = await service.delete(pubkey, { kind: 'http', detail: describeIdentity(identity) })
      if (deleted === null) throw new AccountServerError(ErrorCode.NotFound, pubkey)
      logger.info({ account: pubkey, name: deleted.name, jti: deleted.jti, client: clientAddress(c), by: describeIdentity(identity) }, 'account deleted')
      return json({ deleted: 1, accounts: [pubkey], kept: [] })
    },
  )

  /** A body is an operator-signed delete request: it must list the URL's account, and is applied whole. */
  async function deleteByRequest(c: Context, pubkey: string, body: string): Promise<Response> {
    let request
    let outcome
    try {
      request = deletes.verify(Buffer.from(body))
      if (!request.accounts.includes(pubkey)) throw new DeleteRefusal(request.requester, `the request does not list ${pubkey}`)
      outcome = await deletes.apply(request, 'http')
    } catch (err) {
      if (!(err instanceof DeleteRefusal)) throw err
      logger.warn({ account: pubkey, client: clientAddress(c) }, err.message)
      const code = err.reason.startsWith('malformed request') ? ErrorCode.JwtMalformed : ErrorCode.Forbidden
      throw new AccountServerError(code, `delete request by ${err.requester} refused: ${err.reason}`)
    }
    logger.info({ requester: request.requester, accounts: request.accounts, client: clientAddress(c) }, `deleted ${outcome.deleted} accounts`)
    if (outcome.kept.length > 0) throw new AccountServerError(ErrorCode.Stale, keptReason(request, outcome))
    return json({ deleted: outcome.deleted, accounts: request.accounts, kept: [] })
  }

  return app
}
