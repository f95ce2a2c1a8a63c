/**
 * What the account service is built from: small interfaces that the transports (NATS, the
 * worker cluster) implement, so the service never knows where its process sits.
 * @module
 */
import type { StoredAccount } from '../jwt/types.js'
import type { ChangeListener, JwtStore, PutResult, PutSource } from '../store/types.js'

/** What an update notification achieved. */
export type NotifyReport = {
  /** False when not sent: NATS was down (it waits for the next connection), or the NATS user is not in the system account. */
  sent: boolean
  updated: number
  /** Servers that do not use the account yet: they will fetch it when they need it. */
  skipped: number
  /** `<server>: <error>` for servers that refused it. */
  failed: string[]
  /** Milliseconds from the request to the first server that applied it (null: none did). */
  firstAppliedMs: number | null
  /** One line for the POST answer, the log and the history. */
  summary: string
  /** Whether gathering ended because every known server answered (absent: nothing gathered). */
  allAnswered?: boolean
}

/** Tells running nats-servers about an accepted change. */
export interface Notifier {
  notify(account: StoredAccount): Promise<NotifyReport>
}

/** A push that was not refused: the JWT is stored now, or was already. */
export type PushResult = PutResult & {
  outcome: 'stored' | 'unchanged'
  /** For a stored change when NATS is configured: what the update notification achieved. */
  notification?: NotifyReport
}

/**
 * Commits a JWT that passed every check: decides newest-wins, stores, keeps this process's
 * cache right and notifies; here, or in the process that writes.
 * @throws StaleJwtError, DeletedAccountError (or the same codes from another process)
 */
export interface Writer {
  commit(account: StoredAccount, source: PutSource): Promise<PushResult>
}

/**
 * Tells the caches of the other processes what this one changed (null: anything), before a
 * write is acknowledged.
 */
export interface Invalidation {
  announce(pubkeys: string[] | null): Promise<void>
}

/** Changes to the store made by other processes (the store's `watch`), for the cache to drop. */
export type ChangeFeed = (listener: ChangeListener) => () => void

/**
 * Signs self-signed account JWTs elsewhere (the Go server's `signrequestsubject`).
 * @returns the reply: the signed JWT, or a message for the client
 * @throws AccountServerError ERR_SIGNING_UNAVAILABLE when no answer came
 */
export interface SigningService {
  sign(token: string): Promise<string>
}

/** A self-signed JWT handed to the signing service, whose reply was a message, not a JWT. */
export type PendingSignature = { outcome: 'pending'; jti: string; message: string }

/** Asked for the JWT of an account the store does not hold (a NATS LOOKUP). */
export interface Fallback {
  lookup(pubkey: string): Promise<string | null>
}

/** What readiness, PACK hashes, export and the CLI read from the store, through the service. */
export type StoreReader = Pick<JwtStore, 'name' | 'get' | 'deleted' | 'list' | 'count' | 'hash' | 'status'>

/** An account this process changed or learned was changed: what is stored now (null: deleted; absent: read it). */
export type AccountChange = { pubkey: string; account?: StoredAccount | null; source?: PutSource }

/** Told of changes (null: anything may have changed), synchronously, before a push is answered. */
export type AccountChangeListener = (changes: readonly AccountChange[] | null) => void

/** What the metrics and `/readyz` read of the NATS link (implemented by `nats/link.ts`). */
export type NatsState = {
  /** The connection while it is up, null otherwise. */
  readonly connection: object | null
  /** Connection attempts so far (first connection and reconnects). */
  readonly connectAttempts: number
  /** Why the connection cannot do its work although it is up (wrong account), or null. */
  readonly identityProblem: string | null
}

/** What the service counts (implemented by `metrics.ts`). */
export type ServiceMetrics = {
  push(verdict: PushResult['outcome'] | 'stale' | 'rejected'): void
  notification(report: NotifyReport): void
  renotifySkipped(): void
}

/** A nats-server seen through the system account. */
export type FleetServer = {
  name: string
  id: string
  version: string
  /** Cluster name, or null when the server is not in a cluster. */
  cluster: string | null
  jetstream: boolean
  /** When it last answered, in milliseconds since the epoch. */
  lastSeen: number
}

/** Which version of one account one nats-server runs. */
export type AccountOnServer = {
  server: string
  serverId: string
  /** The `jti` of the JWT the server applied (null: it does not hold the account). */
  jti: string | null
  /** The server runs another (older) version than the stored one. */
  drifted: boolean
  /**
   * The server runs a newer version than the stored one (the store was restored from an older
   * backup, or another account server wrote it): reported, never re-notified (that would downgrade it).
   */
  ahead?: boolean
}

/** What the fleet scan knows: the nats-servers and the versions they run (`fleet/`). */
export interface FleetView {
  servers(): FleetServer[]
  account(pubkey: string): AccountOnServer[]
  drifted(): { pubkey: string; servers: string[] }[]
}
