/**
 * The web console at `/ui/`: server-rendered pages over the account overview (the same query
 * layer as the JSON API), and the two admin actions, for an admin identity only (the API's
 * bearer token or client certificate, or the token given once to the sign-in form).
 * @module
 */
import { Hono, type Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { JSX } from 'hono/jsx/jsx-runtime'
import { ACCOUNT_STATUSES, type AccountOverview, type AccountStatus } from '../accounts/overview.js'
import type { FleetView } from '../accounts/ports.js'
import type { AccountService } from '../accounts/service.js'
import { assertAccountKey } from '../accounts/service.js'
import { AccountServerError, describeError, ErrorCode } from '../errors.js'
import type { AdminAuth } from '../http/admin-auth.js'
import { statusOf } from '../http/status.js'
import { decodeJwt } from '../jwt/decode.js'
import type { Logger } from '../log/logger.js'
import { CLIENT_SCRIPT, STYLE_SHEET, type Asset } from './assets.js'
import { canonicalJson, diffLines, fold } from './diff.js'
import type { Comparison } from './history.js'
import { AccountPage, confirmationOf } from './pages/account.js'
import { AccountsPage } from './pages/accounts.js'
import { ChecksPage } from './pages/checks.js'
import { FleetPage } from './pages/fleet.js'
import { ErrorPage, SignInPage } from './pages/messages.js'

export type ConsoleOptions = {
  service: AccountService
  overview: AccountOverview
  admin: AdminAuth
  /** The nats-servers seen (NATS configured). */
  fleet?: FleetView
  logger: Logger
}

/** Accounts per page of the list. */
export const PAGE_SIZE = 50

const SESSION_COOKIE = 'nats_accounts_admin'

/** Pages may show admin controls and keys: never cached, never framed, nothing loaded from elsewhere. */
const PAGE_HEADERS = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
}

/** What a finished admin action tells the account page (a code, so a link cannot put words there). */
const NOTICES: Record<string, { text: string; bad?: boolean }> = {
  notified: { text: 'The update notification was sent again: its outcome is in the history.' },
  'not-sent': { text: 'The notification was not sent: NATS is not connected (or its user is not in the system account). See the history.', bad: true },
  'no-nats': { text: 'NATS is not configured (-nats): there is no nats-server to notify.', bad: true },
  deleted: { text: 'The account was deleted: it is no longer served.' },
  'not-deleted': { text: 'Nothing was deleted: the typed confirmation did not match.', bad: true },
}

function page(c: Context, element: JSX.Element, status = 200): Response | Promise<Response> {
  return c.html(`<!doctype html>${String(element)}`, status as 200, PAGE_HEADERS)
}

function serveAsset(asset: Asset): (c: Context) => Response {
  return (c) => c.body(asset.body, 200, { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=31536000, immutable', 'X-Content-Type-Options': 'nosniff' })
}

/**
 * A form POST from another site must not act with the admin's browser identity (its cookie or
 * client certificate): the browser says where the form came from.
 */
function crossSite(c: Context): boolean {
  const site = c.req.header('Sec-Fetch-Site')
  if (site !== undefined) return site !== 'same-origin' && site !== 'none'
  const origin = c.req.header('Origin')
  return origin !== undefined && origin !== new URL(c.req.url).origin
}

export function consoleRoutes(options: ConsoleOptions): Hono {
  const { service, overview, fleet, logger } = options
  const auth = options.admin
  const app = new Hono()

  /** Whether the viewer is an admin: the API's identities, or the sign-in form's cookie. */
  const isAdmin = (c: Context): boolean => {
    if ('identity' in auth.identify(c)) return true
    const session = getCookie(c, SESSION_COOKIE)
    return session !== undefined && auth.acceptsToken(session)
  }

  const fail = (c: Context, err: unknown): Response | Promise<Response> => {
    if (!(err instanceof AccountServerError)) throw err
    return page(c, <ErrorPage status={statusOf(err.code).status} message={describeError(err)} admin={isAdmin(c)} />, statusOf(err.code).status)
  }

  /** Admin routes: an admin identity, from this site. */
  const requireAdmin = (c: Context): AccountServerError | null => {
    if (crossSite(c)) return new AccountServerError(ErrorCode.Forbidden, 'admin actions are accepted from the console itself only')
    if (isAdmin(c)) return null
    const found = auth.identify(c)
    return 'refusal' in found ? found.refusal : null
  }

  // With --api-auth the data is for admins only, here as in the API: everyone else is sent to sign in.
  app.use('/ui/*', async (c, next) => {
    const open = c.req.path === '/ui/sign-in' || c.req.path === STYLE_SHEET.path || c.req.path === CLIENT_SCRIPT.path
    if (auth.readsNeedAuth && !open && !isAdmin(c)) return c.redirect('/ui/sign-in', 303)
    await next()
  })

  app.get(STYLE_SHEET.path, serveAsset(STYLE_SHEET))
  app.get(CLIENT_SCRIPT.path, serveAsset(CLIENT_SCRIPT))
  app.get('/ui', (c) => c.redirect('/ui/', 301))

  app.get('/ui/', async (c) => {
    const q = c.req.query('q') ?? ''
    const status = c.req.query('status') ?? ''
    if (status !== '' && !ACCOUNT_STATUSES.includes(status as AccountStatus)) {
      return fail(c, new AccountServerError(ErrorCode.BadParameter, `unknown status "${status}": use one of ${ACCOUNT_STATUSES.join(', ')}`))
    }
    const cursor = c.req.query('cursor') ?? ''
    const list = await overview.list({ q, status: status === '' ? undefined : (status as AccountStatus), cursor: cursor || undefined, limit: PAGE_SIZE })
    return page(
      c,
      <AccountsPage
        rows={list.accounts}
        query={{ q, status }}
        total={list.total}
        next={list.next_cursor}
        paged={cursor !== ''}
        statuses={ACCOUNT_STATUSES}
        expiringWithinSeconds={overview.context().expiringWithinSeconds}
        now={service.now()}
        admin={isAdmin(c)}
      />,
    )
  })

  /** The claims of two accepted versions, line by line; null when one of them is not stored. */
  const compare = async (pubkey: string, from: string, to: string): Promise<Comparison | null> => {
    const [before, after] = await Promise.all([service.version(pubkey, from), service.version(pubkey, to)])
    if (before === null || after === null) return null
    const lines = (body: Buffer) => canonicalJson(decodeJwt(body.toString('utf8')).claims).split('\n')
    return { from, to, lines: fold(diffLines(lines(before.body), lines(after.body))) }
  }

  app.get('/ui/accounts/:pubkey', async (c) => {
    const pubkey = c.req.param('pubkey')
    try {
      assertAccountKey(pubkey)
      const account = await overview.account(pubkey)
      if (account === null) throw new AccountServerError(ErrorCode.NotFound, `no account ${pubkey} is stored`)
      const versions = (account.history ?? []).filter((h) => h.event === 'accepted')
      const from = c.req.query('from') ?? versions[1]?.jti
      const to = c.req.query('to') ?? versions[0]?.jti
      const comparison = from && to && account.history !== null ? await compare(pubkey, from, to) : null
      const asked = c.req.query('from') !== undefined || c.req.query('to') !== undefined
      const notice = asked && comparison === null ? { text: 'One of the versions to compare is not stored.', bad: true } : NOTICES[c.req.query('done') ?? '']
      return page(c, <AccountPage account={account} comparison={comparison} admin={isAdmin(c)} notice={notice} now={service.now()} />)
    } catch (err) {
      return fail(c, err)
    }
  })

  app.post('/ui/accounts/:pubkey/notify', async (c) => {
    const pubkey = c.req.param('pubkey')
    const refusal = requireAdmin(c)
    if (refusal) return fail(c, refusal)
    try {
      const { account, report } = await service.notifyAgain(pubkey)
      logger.info({ account: pubkey, jti: account.jti, source: 'console' }, `notification sent again: ${report.summary}`)
      return c.redirect(`/ui/accounts/${pubkey}?done=${report.sent ? 'notified' : 'not-sent'}`, 303)
    } catch (err) {
      if (err instanceof AccountServerError && err.code === ErrorCode.NotImplemented) return c.redirect(`/ui/accounts/${pubkey}?done=no-nats`, 303)
      return fail(c, err)
    }
  })

  app.post('/ui/accounts/:pubkey/delete', async (c) => {
    const pubkey = c.req.param('pubkey')
    const refusal = requireAdmin(c)
    if (refusal) return fail(c, refusal)
    try {
      assertAccountKey(pubkey)
      if (pubkey === service.trust?.systemAccount) throw new AccountServerError(ErrorCode.Forbidden, 'the system account cannot be deleted')
      const stored = await service.reader.get(pubkey)
      if (stored === null) throw new AccountServerError(ErrorCode.NotFound, `no account ${pubkey} is stored`)
      const form = await c.req.parseBody()
      if (String(form.confirm ?? '').trim() !== confirmationOf({ name: stored.name, key: pubkey })) {
        return c.redirect(`/ui/accounts/${pubkey}?done=not-deleted`, 303)
      }
      await service.delete(pubkey, { kind: 'http', detail: 'console' })
      logger.info({ account: pubkey, name: stored.name, jti: stored.jti, source: 'console' }, 'account deleted')
      return c.redirect(`/ui/accounts/${pubkey}?done=deleted`, 303)
    } catch (err) {
      return fail(c, err)
    }
  })

  app.get('/ui/fleet', async (c) => {
    const drifted = await Promise.all(
      (fleet?.drifted() ?? []).map(async (d) => ({ ...d, name: (await service.reader.get(d.pubkey))?.name ?? '' })),
    )
    return page(c, <FleetPage servers={fleet ? fleet.servers() : null} drifted={drifted} now={service.now()} admin={isAdmin(c)} />)
  })

  app.get('/ui/checks', async (c) => page(c, <ChecksPage findings={await overview.allFindings()} admin={isAdmin(c)} />))

  app.get('/ui/sign-in', (c) => page(c, <SignInPage admin={isAdmin(c)} failed={false} available={auth.configured} />))

  app.post('/ui/sign-in', async (c) => {
    if (crossSite(c)) return fail(c, new AccountServerError(ErrorCode.Forbidden, 'sign in from the console itself'))
    const token = String((await c.req.parseBody()).token ?? '').trim()
    if (!auth.acceptsToken(token)) return page(c, <SignInPage admin={false} failed available={auth.configured} />, 401)
    const secure = new URL(c.req.url).protocol === 'https:'
    setCookie(c, SESSION_COOKIE, token, { path: '/ui', httpOnly: true, sameSite: 'Strict', secure })
    return c.redirect('/ui/', 303)
  })

  app.post('/ui/sign-out', (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: '/ui' })
    return c.redirect('/ui/', 303)
  })

  return app
}
