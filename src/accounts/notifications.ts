/**
 * Sending an update notification, and what follows it: the metric, the store's record of it
 * (history) and the log line.
 * @module
 */
import type { Logger } from '../log/logger.js'
import type { StoredAccount } from '../jwt/types.js'
import type { JwtStore } from '../store/types.js'
import type { Notifier, NotifyReport, ServiceMetrics } from './ports.js'

export class Notifications {
  readonly #notifier: Notifier
  readonly #store: Pick<JwtStore, 'recordNotification'>
  readonly #logger: Logger | undefined
  readonly #metrics: ServiceMetrics | undefined

  constructor(notifier: Notifier, store: Pick<JwtStore, 'recordNotification'>, options: { logger?: Logger; metrics?: ServiceMetrics } = {}) {
    this.#notifier = notifier
    this.#store = store
    this.#logger = options.logger
    this.#metrics = options.metrics
  }

  async send(account: StoredAccount, why: string): Promise<NotifyReport> {
    const report = await this.#notifier.notify(account)
    this.#metrics?.notification(report)
    await this.#store.recordNotification?.(account.pubkey, account.jti, report.summary)
    this.#logger?.info({ account: account.pubkey, jti: account.jti, reason: why }, report.summary)
    return report
  }
}
