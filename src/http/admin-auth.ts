/**
 * Who may act as an administrator of the JSON API and the web console: the holder of the admin
 * token (`Authorization: Bearer <token>`, the content of `--admin-token-file`, surrounding
 * whitespace trimmed), or a client whose TLS certificate (mTLS) has a subject in
 * `--admin-cert-subjects`. Reads need no identity unless `--api-auth` is set.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import type { TLSSocket } from 'node:tls'
import type { Context, MiddlewareHandler } from 'hono'
import { AccountServerError, ConfigError, ErrorCode } from '../errors.js'
import type { Logger } from '../log/logger.js'

export type AdminAuthConfig = {
  /** File holding the admin token; '' for none. */
  adminTokenFile: string
  /** Client-certificate subjects (`CN=ops,O=Example` or `/O=Example/CN=ops`) that are admins. */
  adminCertSubjects: readonly string[]
  /** Reads of the API need an admin identity too. */
  auth: boolean
}

export type AdminIdentity = { kind: 'token' } | { kind: 'certificate'; subject: string }

/** An identity, or why there is none (401: none given or a wrong one; 403: one that is not an admin). */
export type Identification = { identity: AdminIdentity } | { refusal: AccountServerError }

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i

/**
 * A distinguished name as a canonical string: `type=value` pairs sorted, joined by commas, so
 * `CN=ops,O=Example`, `O=Example, CN=ops` and OpenSSL's `/O=Example/CN=ops` are one subject.
 */
export function canonicalSubject(subject: string): string {
  const text = subject.trim()
  const parts = text.startsWith('/') ? text.slice(1).split('/') : text.split(/(?<!\\),/)
  return parts
    .map((part) => {
      const eq = part.indexOf('=')
      return eq === -1 ? part.trim() : `${part.slice(0, eq).trim().toUpperCase()}=${part.slice(eq + 1).trim()}`
    })
    .filter((part) => part !== '')
    .sort()
    .join(',')
}

/** The subject of a certificate as Node reads it (repeated attributes come as arrays). */
function certificateSubject(subject: Record<string, string | string[]>): string {
  return canonicalSubject(Object.entries(subject).flatMap(([type, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${type}=${v.replace(/,/g, '\\,')}`)).join(','))
}

const digest = (text: string) => createHash('sha256').update(text).digest()

function unauthorized(message: string): AccountServerError {
  return new AccountServerError(ErrorCode.Unauthorized, message)
}

function forbidden(message: string): AccountServerError {
  return new AccountServerError(ErrorCode.Forbidden, message)
}

export class AdminAuth {
  readonly #tokenDigest: Buffer | null
  readonly #subjects: ReadonlySet<string>
  /** Reads need an admin identity too (`--api-auth`). */
  readonly readsNeedAuth: boolean

  constructor(options: { token?: string; certSubjects?: readonly string[]; readsNeedAuth?: boolean }) {
    this.#tokenDigest = options.token ? digest(options.token) : null
    this.#subjects = new Set((options.certSubjects ?? []).map(canonicalSubject))
    this.readsNeedAuth = options.readsNeedAuth ?? false
  }

  /** Whether any admin identity can exist at all. */
  get configured(): boolean {
    return this.#tokenDigest !== null || this.#subjects.size > 0
  }

  identify(c: Context): Identification {
    const header = c.req.header('Authorization')
    if (header !== undefined) {
      const token = BEARER.exec(header)?.[1]
      if (token === undefined) return { refusal: unauthorized('the Authorization header is not "Bearer <admin token>"') }
      if (this.#tokenDigest === null) return { refusal: forbidden('no admin token is configured: start the server with --admin-token-file <file>') }
      if (!timingSafeEqual(digest(token), this.#tokenDigest)) return { refusal: unauthorized('the bearer token is not the admin token') }
      return { identity: { kind: 'token' } }
    }
    const socket = (c.env as { incoming?: { socket?: Partial<TLSSocket> } } | undefined)?.incoming?.socket
    const certificate = socket?.authorized === true ? socket.getPeerCertificate?.() : undefined
    if (certificate?.subject !== undefined) {
      const subject = certificateSubject(certificate.subject as unknown as Record<string, string | string[]>)
      if (this.#subjects.has(subject)) return { identity: { kind: 'certificate', subject } }
      return { refusal: forbidden(`the client certificate subject ${subject} is not an admin subject (--admin-cert-subjects)`) }
    }
    return {
      refusal: unauthorized(
        this.configured
          ? 'an admin identity is required: Authorization: Bearer <admin token>, or a client certificate listed in --admin-cert-subjects'
          : 'admin actions are disabled: start the server with --admin-token-file <file> (or, with mTLS, --admin-cert-subjects)',
      ),
    }
  }

  /** The middleware of admin routes: no admin identity, no handler. */
  requireAdmin(): MiddlewareHandler {
    return async (c, next) => {
      const found = this.identify(c)
      if ('refusal' in found) throw found.refusal
      c.set('admin' as never, found.identity as never)
      await next()
    }
  }

  /** The middleware of read routes: passes unless `--api-auth` asks for an admin identity. */
  requireReader(): MiddlewareHandler {
    return async (c, next) => {
      if (this.readsNeedAuth) {
        const found = this.identify(c)
        if ('refusal' in found) throw found.refusal
      }
      await next()
    }
  }
}

/**
 * The admin auth of a configuration: the token file is read once, at start-up.
 * @throws ConfigError for a token file that is missing, unreadable or empty
 */
export async function loadAdminAuth(config: AdminAuthConfig, logger?: Logger): Promise<AdminAuth> {
  let token: string | undefined
  const file = config.adminTokenFile
  if (file !== '') {
    try {
      token = (await readFile(file, 'utf8')).trim()
    } catch (err) {
      throw new ConfigError(`cannot read the admin token file ${file}: ${(err as Error).message}; --admin-token-file names a file holding the token`, { cause: err })
    }
    if (token === '') throw new ConfigError(`the admin token file ${file} is empty: put a long random token in it (e.g. openssl rand -hex 32 > ${file})`)
    if (/\s/.test(token)) throw new ConfigError(`the admin token in ${file} contains whitespace: a bearer token is one word`)
    const { mode } = await stat(file)
    if ((mode & 0o077) !== 0) logger?.warn(`the admin token file ${file} can be read by other users (mode ${(mode & 0o777).toString(8)}): chmod 600 ${file}`)
  }
  const auth = new AdminAuth({ token, certSubjects: config.adminCertSubjects, readsNeedAuth: config.auth })
  if (config.auth && !auth.configured) {
    throw new ConfigError('--api-auth requires an admin identity for reads, and none is configured: add --admin-token-file <file> or --admin-cert-subjects')
  }
  return auth
}
