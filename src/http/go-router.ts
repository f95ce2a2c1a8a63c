/**
 * What the Go server's router (httprouter) and CORS layer (rs/cors) did around every handler,
 * so clients see the same answers: CORS headers and preflights, 405 with `Allow`, automatic
 * OPTIONS, redirects for a trailing slash or wrong letter case, and the plain-text 404.
 * Deliberate differences: HEAD is answered wherever GET is (the Go server said 405); a path
 * with control characters that would redirect gets 400 (Go escaped them into `Location`); and
 * CORS grants (Access-Control-Allow-Origin) only on routes marked `cors` (the account reads and
 * pushes), where rs/cors granted every origin on every path, pack and metrics included.
 * @module
 */
import type { MiddlewareHandler } from 'hono'
import { addCors, CORS_METHODS } from './account-response.js'
import { TEXT_HEADERS } from './status.js'

export type RouteSpec = {
  /** Canonical path; a trailing `:param` segment matches one non-empty segment. */
  path: string
  methods: readonly string[]
  /** Browsers of any origin may call it (never with credentials). */
  cors?: boolean
}

type Match = { spec: RouteSpec; canonical: string }

/**
 * The table, derived from what the app registered (Hono's `app.routes`: middleware entries have
 * the method `ALL`), so a route exists once, where its handler is.
 */
export function routeTable(registered: readonly { path: string; method: string }[], corsPaths: readonly string[]): RouteSpec[] {
  const methods = new Map<string, Set<string>>()
  for (const { path, method } of registered) {
    if (method === 'ALL') continue
    const known = methods.get(path) ?? new Set()
    methods.set(path, known.add(method))
  }
  return [...methods].map(([path, known]) => ({ path, methods: [...known], cors: corsPaths.includes(path) }))
}

/**
 * What the fast path serves of a route with one trailing `:param`: the exact path (no query, no
 * run of slashes, fixed segments in their case) with a plain alphanumeric parameter, which the
 * router would give the same handler unchanged (nothing to decode).
 * @returns the parameter, or null when the router must see the request
 */
export function plainParamMatcher(pattern: string): (url: string) => string | null {
  const prefix = pattern.slice(0, pattern.lastIndexOf('/') + 1)
  return (url) => {
    if (!url.startsWith(prefix)) return null
    const param = url.slice(prefix.length)
    return PLAIN_PARAM.test(param) ? param : null
  }
}

const PLAIN_PARAM = /^[A-Za-z0-9]+$/

/**
 * Finds the route for a path, exactly or ignoring the letter case of fixed segments (for the
 * redirect). `:name` segments match one non-empty segment and keep their case.
 */
function matchRoute(routes: readonly RouteSpec[], path: string, ignoreCase: boolean): Match | null {
  const segments = path.split('/')
  for (const spec of routes) {
    const pattern = spec.path.split('/')
    if (pattern.length !== segments.length) continue
    const canonical: string[] = []
    const ok = pattern.every((part, i) => {
      const actual = segments[i]!
      if (part.startsWith(':')) {
        canonical.push(actual)
        return actual !== ''
      }
      canonical.push(part)
      return ignoreCase ? part.toLowerCase() === actual.toLowerCase() : part === actual
    })
    if (ok) return { spec, canonical: canonical.join('/') }
  }
  return null
}

function allowHeader(spec: RouteSpec): string {
  const methods = new Set(spec.methods)
  if (methods.has('GET')) methods.add('HEAD')
  methods.add('OPTIONS')
  return [...methods].sort().join(', ')
}

function plain(status: number, body: string | null, extra?: Record<string, string>): Response {
  return new Response(body, { status, headers: { ...TEXT_HEADERS, ...extra } })
}

/** Go's `url.PathEscape` rules for a path (`URL.EscapedPath`): UTF-8 bytes outside them as %XX. */
function escapePath(path: string): string {
  let out = ''
  for (const byte of Buffer.from(path)) {
    const c = String.fromCharCode(byte)
    out += /[A-Za-z0-9\-_.~$&+,/:;=@]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' }

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!)
}

/** Control characters in a decoded path: no route takes them, and no header may carry them. */
const CONTROL = /[\u0000-\u001f\u007f]/

/** The Go router's redirect, to the path escaped as Go's `URL.String()` writes it. */
function redirect(method: string, canonical: string, query: string): Response {
  if (CONTROL.test(canonical)) return plain(400, 'bad request: the path contains control characters\n')
  const target = escapePath(canonical)
  const location = target + query
  if (method === 'GET' || method === 'HEAD') {
    const body = method === 'GET' ? `<a href="${escapeHtml(target)}">Moved Permanently</a>.\n\n` : null
    return new Response(body, {
      status: 301,
      headers: { Location: location, 'Content-Type': 'text/html; charset=utf-8' },
    })
  }
  return new Response(null, { status: 307, headers: { Location: location } })
}

function withCors(response: Response, origin: string | undefined, method: string, granted: boolean): Response {
  const cors = addCors([], origin, method, granted)
  for (let i = 0; i < cors.length; i += 2) response.headers.append(cors[i]!, cors[i + 1]!)
  return response
}

function preflight(origin: string | undefined, method: string, requested: string | undefined, granted: boolean) {
  const headers: Record<string, string> = {
    Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
  }
  if (granted && origin && CORS_METHODS.has(method)) {
    headers['Access-Control-Allow-Origin'] = origin
    headers['Access-Control-Allow-Methods'] = method
    if (requested) headers['Access-Control-Allow-Headers'] = requested
  }
  return new Response(null, { status: 204, headers })
}

/** Told about every answered request: the route pattern ('unmatched' when none) and status. */
export type RequestObserver = (route: string, method: string, status: number, seconds: number) => void

/** Runs before routing: answers what the Go router answered itself, decorates the rest. */
export function goRouter(routes: readonly RouteSpec[], observe?: RequestObserver): MiddlewareHandler {
  return async (c, next) => {
    const started = observe ? performance.now() : 0
    const method = c.req.method
    const done = (route: string, response: Response) => {
      observe?.(route, method, response.status, (performance.now() - started) / 1000)
      return response
    }
    const origin = c.req.header('Origin')
    const path = c.req.path
    const match = matchRoute(routes, path, false)
    const granted = match?.spec.cors === true
    if (method === 'OPTIONS') {
      const requestedMethod = c.req.header('Access-Control-Request-Method')
      if (requestedMethod) {
        const requestedHeaders = c.req.header('Access-Control-Request-Headers')
        return done('preflight', preflight(origin, requestedMethod, requestedHeaders, granted))
      }
    }
    let early: Response | null = null
    if (match === null) {
      const url = c.req.url
      const queryAt = url.indexOf('?')
      const query = queryAt === -1 ? '' : url.slice(queryAt)
      const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : null
      const fixed =
        (trimmed !== null ? matchRoute(routes, trimmed, false) : null) ??
        matchRoute(routes, path, true) ??
        (trimmed !== null ? matchRoute(routes, trimmed, true) : null)
      early = fixed ? redirect(method, fixed.canonical, query) : plain(404, '404 page not found\n')
    } else if (method === 'OPTIONS') {
      early = new Response(null, { status: 200, headers: { Allow: allowHeader(match.spec) } })
    } else if (!match.spec.methods.includes(method === 'HEAD' ? 'GET' : method)) {
      early = plain(405, method === 'HEAD' ? null : 'Method Not Allowed\n', {
        Allow: allowHeader(match.spec),
      })
    }
    if (early !== null) return done(match?.spec.path ?? 'unmatched', withCors(early, origin, method, granted))
    await next()
    done(match!.spec.path, withCors(c.res, origin, method, granted))
  }
}
