/**
 * The commit of the process that writes: the store's newest-wins put, then this process's
 * cache, the other processes' caches and the update notification.
 * @module
 */
import type { Logger } from '../log/logger.js'
import type { StoredAccount } from '../jwt/types.js'
import type { JwtStore, PutResult, PutSource } from '../store/types.js'
import type { AccountCache } from './cache.js'
import type { Notifications } from './notifications.js'
import type { Invalidation, PushResult, Writer } from './ports.js'
import { DeletedAccountError, StaleJwtError } from '../errors.js'

/**
 * What a stored same-second edit is told (POST answer, NATS reply, log): nats-server's full
 * resolvers `save` an update with other bytes, but their PACK sync (`saveIfNewer`) keeps a JWT
 * whose `jti` they hold, so a server that misses the update keeps the old JWT for good.
 */
export const SAME_JTI_WARNING =
  'warning: same jti as the JWT it replaces (issued within the same second): nats-server full resolvers keep a JWT whose jti they hold when they sync, so servers that miss this update never get it; re-issue it a second later (run the nsc edit again) and push again'

/** A stored change that kept the `jti` of the JWT it replaced (nsc edits within one second). */
export function isSameJtiEdit(result: PutResult): boolean {
  return result.outcome === 'stored' && result.previous !== null && result.previous.jti === result.current.jti
}

export type LocalWriterOptions = {
  store: Pick<JwtStore, 'put'>
  cache: AccountCache
  /** Other processes sharing the store (workers): told before a write is acknowledged. */
  invalidation?: Invalidation
  notifications?: Notifications
  logger?: Logger
}

export class LocalWriter implements Writer {
  readonly #options: LocalWriterOptions

  constructor(options: LocalWriterOptions) {
    this.#options = options
  }

  async commit(account: StoredAccount, source: PutSource): Promise<PushResult> {
    const { store, cache, invalidation, notifications, logger } = this.#options
    const result = await store.put(account, source)
    if (result.outcome === 'stale') throw new StaleJwtError(account, result.current)
    if (result.outcome === 'deleted') throw new DeletedAccountError(account, result.current)
    if (result.outcome === 'unchanged') return { ...result, outcome: 'unchanged' }
    if (isSameJtiEdit(result)) {
      logger?.warn({ account: account.pubkey, name: account.name, jti: account.jti, source: source.kind }, SAME_JTI_WARNING)
    }
    cache.remember(result.current)
    await invalidation?.announce([account.pubkey])
    const { kind } = source
    // Imports here are start-up ones (-primary), before NATS: servers fetch what they need.
    if (kind === 'import' || notifications === undefined) return { ...result, outcome: 'stored' }
    const notifying = notifications.send(result.current, kind)
    if (kind === 'http') return { ...result, outcome: 'stored', notification: await notifying }
    // NATS-borne changes (updates, PACK merges, lookups) must not wait for the replies.
    notifying.catch((err: unknown) => logger?.error({ account: account.pubkey }, `update notification failed: ${(err as Error).message}`))
    return { ...result, outcome: 'stored' }
  }
}
