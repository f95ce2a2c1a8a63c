/**
 * Messages between the primary process and its workers (`--workers N`). The primary owns no
 * store and serves nothing: it relays writes to the one writing worker (worker 1) and cache
 * invalidations to the others (waiting until every worker applied them), and gathers metrics.
 * @module
 */
import type { PushResult } from '../accounts/ports.js'
import type { StoredAccount } from '../jwt/types.js'
import type { PutSource } from '../store/types.js'

/** A refusal crossing processes: enough to rebuild the same error (and HTTP answer). */
export type Refusal = { code: string; message: string }

export type ToPrimary =
  | { t: 'changed'; id: number; keys: string[] | null }
  | { t: 'forgot'; seq: number }
  /** The worker listens for broadcasts: from now on it must take part in invalidations. */
  | { t: 'attached' }
  /** The worker serves HTTP. */
  | { t: 'ready' }
  /** Worker 1 stores the writes of the others from now on. */
  | { t: 'leading' }
  | { t: 'metrics'; id: number }
  | { t: 'metrics-json'; seq: number; json: unknown }
  | { t: 'commit'; id: number; account: StoredAccount; source: PutSource }
  | { t: 'committed'; id: number; result?: PushResult; refusal?: Refusal }

export type ToWorker =
  | { t: 'forget'; seq: number; keys: string[] | null }
  | { t: 'announced'; id: number }
  | { t: 'metrics'; id: number; text: string }
  | { t: 'metrics-json'; seq: number }
  | { t: 'commit'; id: number; account: StoredAccount; source: PutSource }
  | { t: 'committed'; id: number; result?: PushResult; refusal?: Refusal }
  | { t: 'stop' }

/** The worker's number (1-based) in its environment; worker 1 leads (NATS peer, -primary). */
export const WORKER_ENV = 'NATS_ACCOUNTS_WORKER'
