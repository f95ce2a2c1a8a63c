/**
 * Update notifications: for every accepted change, one publish on the legacy subject
 * `$SYS.ACCOUNT.<pubkey>.CLAIMS.UPDATE` (what the Go server sent) and one request on
 * `$SYS.REQ.ACCOUNT.<pubkey>.CLAIMS.UPDATE`, whose replies (one per nats-server: URL, full and
 * cache resolvers all answer it) are gathered for a short, bounded window. A change that cannot
 * be sent is kept and sent again when NATS is back (only the newest JWT of each account).
 * @module
 */
import type { NatsConnection } from '@nats-io/transport-node'
import type { Logger } from '../log/logger.js'
import type { StoredAccount } from '../store/types.js'
import type { NatsLink } from './link.js'

export type NotifyReport = {
  /** False when NATS was down: the notification waits for the next connection. */
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
}

type Envelope = {
  server?: { name?: string }
  data?: { message?: string }
  error?: { description?: string }
}

export type NotifierOptions = {
  windowMs: number
  stallMs: number
}

export class Notifier {
  readonly #link: NatsLink
  readonly #logger: Logger
  readonly #options: NotifierOptions
  readonly #pending = new Map<string, StoredAccount>()
  /**
   * The nats-servers of the system (ids from PING replies and STATSZ/SHUTDOWN events): once all
   * of them have replied, gathering stops instead of waiting for the stall to pass.
   */
  readonly #servers = new Set<string>()

  constructor(link: NatsLink, logger: Logger, options: NotifierOptions) {
    this.#link = link
    this.#logger = logger
    this.#options = options
    link.listen({
      ready: (nc) => {
        const serverId = (subject: string) => subject.split('.')[2]!
        nc.subscribe('$SYS.SERVER.*.STATSZ', {
          callback: (_, msg) => void this.#servers.add(serverId(msg.subject)),
        })
        nc.subscribe('$SYS.SERVER.*.SHUTDOWN', {
          callback: (_, msg) => void this.#servers.delete(serverId(msg.subject)),
        })
      },
      connected: (nc) => void this.#census(nc).then(() => this.#flush()),
    })
  }

  async #census(nc: NatsConnection): Promise<void> {
    try {
      const replies = await nc.requestMany('$SYS.REQ.SERVER.PING', '', { strategy: 'stall', stall: 200, maxWait: 1000 })
      for await (const reply of replies) {
        const id = (JSON.parse(reply.string()) as Envelope & { server?: { id?: string } }).server?.id
        if (id) this.#servers.add(id)
      }
    } catch {
      // No server answered: gathering falls back to the stall window.
    }
    this.#logger.debug(`${this.#servers.size} nats-servers known for update notifications`)
  }

  /** Sends the notification for `account` now, or keeps it for when NATS is back. */
  async notify(account: StoredAccount): Promise<NotifyReport> {
    const nc = this.#link.connection
    if (nc === null) return this.#keep(account, 'NATS is not connected')
    const { identityProblem } = this.#link
    if (identityProblem !== null) return notSent(`stored, but the update notification was not sent: ${identityProblem}`)
    const { pubkey, jwt } = account
    // A newer change supersedes a waiting one: never send the older JWT after this one.
    const waiting = this.#pending.get(pubkey)
    if (waiting !== undefined && waiting.iat <= account.iat) this.#pending.delete(pubkey)
    const started = performance.now()
    try {
      nc.publish(`$SYS.ACCOUNT.${pubkey}.CLAIMS.UPDATE`, jwt)
      const replies = await nc.requestMany(`$SYS.REQ.ACCOUNT.${pubkey}.CLAIMS.UPDATE`, jwt, {
        strategy: 'stall',
        stall: this.#options.stallMs,
        maxWait: this.#options.windowMs,
      })
      const report: NotifyReport = { sent: true, updated: 0, skipped: 0, failed: [], firstAppliedMs: null, summary: '' }
      let answered = 0
      for await (const reply of replies) {
        tally(report, reply.string(), performance.now() - started)
        if (++answered >= this.#servers.size && this.#servers.size > 0) break
      }
      report.summary = summarize(report)
      return report
    } catch (err) {
      if ((err as { isNoResponders?: () => boolean }).isNoResponders?.()) {
        // Published, but no nats-server is listening: nothing to wait for, nothing to retry.
        return { sent: true, updated: 0, skipped: 0, failed: [], firstAppliedMs: null, summary: 'notification sent; no nats-server answered' }
      }
      return this.#keep(account, (err as Error).message)
    }
  }

  #keep(account: StoredAccount, why: string): NotifyReport {
    const waiting = this.#pending.get(account.pubkey)
    if (waiting === undefined || waiting.iat <= account.iat) this.#pending.set(account.pubkey, account)
    return notSent(`stored, but the update notification was not sent (${why}): it is sent again when NATS is back`)
  }

  async #flush(): Promise<void> {
    for (const account of [...this.#pending.values()]) {
      if (this.#pending.get(account.pubkey) !== account) continue
      const report = await this.notify(account)
      if (!report.sent) return
      this.#logger.info({ account: account.pubkey, jti: account.jti }, `delayed update notification: ${report.summary}`)
    }
  }

  /** Changes still waiting for NATS. */
  get pending(): number {
    return this.#pending.size
  }
}

function notSent(summary: string): NotifyReport {
  return { sent: false, updated: 0, skipped: 0, failed: [], firstAppliedMs: null, summary }
}

function tally(report: NotifyReport, body: string, elapsedMs: number): void {
  let envelope: Envelope
  try {
    envelope = JSON.parse(body) as Envelope
  } catch {
    report.failed.push(`unreadable reply: ${body.slice(0, 80)}`)
    return
  }
  const server = envelope.server?.name ?? 'unknown server'
  if (envelope.error) {
    report.failed.push(`${server}: ${envelope.error.description ?? 'error'}`)
  } else if (/skipped/.test(envelope.data?.message ?? '')) {
    report.skipped++
  } else {
    report.updated++
    report.firstAppliedMs ??= Math.round(elapsedMs)
  }
}

function summarize(report: NotifyReport): string {
  const answered = report.updated + report.skipped + report.failed.length
  if (answered === 0) return 'notification sent; no nats-server answered'
  const parts = [`${report.updated} updated`, `${report.skipped} skipped (account not in use)`]
  if (report.failed.length > 0) parts.push(`${report.failed.length} failed: ${report.failed.join('; ')}`)
  return `notified ${answered} nats-server${answered === 1 ? '' : 's'}: ${parts.join(', ')}`
}
