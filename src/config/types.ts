/**
 * The effective server configuration: defaults < config file < environment < flags.
 * @module
 */
import { DEFAULT_CLOCK_SKEW_S } from '../jwt/account.js'
import type { LogFormat, LogLevel } from '../log/logger.js'
import type { StoreConfig } from '../store/types.js'

export type TlsFiles = {
  /** PEM certificate chain; '' for none. */
  cert: string
  /** PEM private key; '' for none. */
  key: string
  /** PEM CA bundle: for HTTP, clients must present a certificate it signed (mTLS). */
  ca: string
}

export type ServerConfig = {
  http: {
    /** Listen host; '' listens on every interface. @default 'localhost' */
    host: string
    /** Listen port; 0 picks a free one. @default 9090 */
    port: number
    /** Largest accepted POST body. @default 1 MiB */
    maxBodyBytes: number
    /**
     * Time to receive a whole request; a connection without a request head for this long (new,
     * or idle between keep-alive requests) is closed. @default 5000 ms
     */
    readTimeoutMs: number
    /** HTTPS when `cert` is set; mTLS when `ca` is set too. */
    tls: TlsFiles
  }
  store: StoreConfig
  /** Operator JWT: a file path or the JWT itself; '' means none (GETs served, pushes refused). */
  operator: string
  /** System account public key; '' takes the operator's `system_account`. */
  systemAccount: string
  /** System account JWT (file path or the JWT itself), stored at start-up; '' for none. */
  systemAccountJwt: string
  /** Default and cap of `/jwt/v1/pack?max`. @default 10000 */
  maxPack: number
  /** Account server whose pack is imported at start-up; '' for none. */
  primary: string
  /** HTTP timeout for the primary. @default 5000 ms */
  replicationTimeoutMs: number
  logging: { level: LogLevel; format: LogFormat }
  nats: NatsConfig
  /** Processes serving HTTP on the same port (node:cluster); 1 runs no primary. @default 1 */
  workers: number
  /** `listen`: a `host:port` of its own for `/metrics` (then the main port answers 404 there); '' serves it on the main port. */
  metrics: { listen: string }
  /** How far in the future a JWT's `iat` may be (clocks differ). @default 300000 ms */
  clockSkewMs: number
  api: ApiConfig
  checks: {
    /** `account-expiring` fires for accounts that expire within this. @default 7 days */
    expiringWithinMs: number
  }
}

/** The JSON API's admin identity (`http/admin-auth.ts`). */
export type ApiConfig = {
  /** Reads need an admin identity too. @default false */
  auth: boolean
  /** File holding the admin bearer token; '' for none. */
  adminTokenFile: string
  /** mTLS client-certificate subjects that are admins. */
  adminCertSubjects: string[]
}

/** Who a NATS connection connects as: one of creds, nkey, user/password, token (and/or TLS). */
export type NatsAuthConfig = {
  /** `.creds` file of a user (JWT + seed); '' for none. */
  credentials: string
  /** NKey user seed file (`SU…`); '' for none. */
  nkey: string
  /** User of a user/password login; '' for none. */
  user: string
  password: string
  /** A file holding the password (replace it to rotate); '' for none. */
  passwordFile: string
  token: string
  /** A file holding the token (replace it to rotate); '' for none. */
  tokenFile: string
  /** TLS to NATS: `ca` verifies the servers, `cert`/`key` authenticate us. */
  tls: TlsFiles
}

export type NatsConfig = NatsAuthConfig & {
  /** NATS URLs; none disables NATS. */
  servers: string[]
  /** `/readyz` fails while NATS is not connected. @default false */
  required: boolean
  /** @default 5000 ms */
  connectTimeoutMs: number
  /** Wait between connection attempts, at start and after a disconnect. @default 1000 ms */
  reconnectWaitMs: number
  /** How long update-notification replies are gathered at most. @default 500 ms */
  notifyWindowMs: number
  /** Pause after the last reply before the gathering stops early. @default 100 ms */
  notifyStallMs: number
  /** How often this server pulls a PACK from resolver peers; 0 never. @default 60000 ms */
  packIntervalMs: number
  /** Bound of the LOOKUP asked on a GET miss; 0 disables the fallback. @default 500 ms */
  lookupTimeoutMs: number
  /** Where self-signed account JWTs are sent to be signed (the Go server's `signrequestsubject`); '' for nowhere. */
  signRequestSubject: string
  /** How long the signing service may take to answer. @default 1000 ms */
  signRequestTimeoutMs: number
  /** Time between fleet scans (which JWT each nats-server runs); 0 scans only when NATS connects. @default 300000 ms */
  fleetIntervalMs: number
  /** Per-account requests per second of a fleet scan, at most. @default 100 */
  fleetRate: number
  /** Notify drifted accounts again after each fleet scan (otherwise drift is only reported). @default false */
  autoResync: boolean
}

export const DEFAULT_SQLITE_FILE = './data/accounts.db'

const NO_TLS: TlsFiles = { cert: '', key: '', ca: '' }

export function defaultConfig(): ServerConfig {
  return {
    http: { host: 'localhost', port: 9090, maxBodyBytes: 1024 * 1024, readTimeoutMs: 5000, tls: { ...NO_TLS } },
    store: { type: 'sqlite', file: DEFAULT_SQLITE_FILE },
    operator: '',
    systemAccount: '',
    systemAccountJwt: '',
    maxPack: 10_000,
    primary: '',
    replicationTimeoutMs: 5000,
    logging: { level: 'info', format: 'text' },
    workers: 1,
    metrics: { listen: '' },
    clockSkewMs: DEFAULT_CLOCK_SKEW_S * 1000,
    api: { auth: false, adminTokenFile: '', adminCertSubjects: [] },
    checks: { expiringWithinMs: 7 * 24 * 3_600_000 },
    nats: {
      servers: [],
      credentials: '',
      nkey: '',
      user: '',
      password: '',
      passwordFile: '',
      token: '',
      tokenFile: '',
      tls: { ...NO_TLS },
      required: false,
      connectTimeoutMs: 5000,
      reconnectWaitMs: 1000,
      notifyWindowMs: 500,
      notifyStallMs: 100,
      packIntervalMs: 60_000,
      lookupTimeoutMs: 500,
      signRequestSubject: '',
      signRequestTimeoutMs: 1000,
      fleetIntervalMs: 300_000,
      fleetRate: 100,
      autoResync: false,
    },
  }
}
