/**
 * Update notifications: for every accepted change, one publish on the legacy subject
 * `$SYS.ACCOUNT.<pubkey>.CLAIMS.UPDATE` (what the Go server sent) and one request on
 * `$SYS.REQ.ACCOUNT.<pubkey>.CLAIMS.UPDATE`, whose replies (one per nats-server: URL, full and
 * cache resolvers all answer it) are gathered for a short, bounded window. A change that cannot
 * be sent is kept and sent again when NATS is back (only the newest JWT of each account).
 * @module
 */
import type { NatsConnection } from '@nats-io/transport-node'
import type { Notifier as NotifierPort, NotifyReport } from '../accounts/ports.js'
import type { Logger } from '../log/logger.js'
import type { StoredAccount } from '../jwt/types.js'
import type { NatsLink } from './link.js'

/** Bounds the known servers, however many ids answer. */
const MAX_KNOWN_SERVERS = 1024

type Envelope = {
  server?: { name?: string; id?: string }
  data?: { message?: string }
  error?: { description?: string }
}

export type NotifierOptions = {
  windowMs: number
  stallMs: number
}

export class Notifier implements NotifierPort {
  readonly #link: NatsLink
  readonly #logger: Logger
  readonly #options: NotifierOptions
  readonly #pending = new Map<string, StoredAccount>()
  /**
   * The servers that answer (PING replies at connect, replies to notifications), by id: once
   * all of them have replied, gathering stops instead of waiting for the stall to pass. Only
   * answers count, so that forged STATSZ events cannot make it wait for servers that do not
   * exist; a server that misses a gathering is dropped until it answers again.
   */
  readonly #servers = new Set<string>()

  constructor(link: NatsLink, logger: Logger, options: NotifierOptions) {
    this.#link = link
    this.#logger = logger
    this.#options = options
    link.listen({ connected: (nc) => void this.#census(nc).then(() => this.#flush()) })
  }

  async #census(nc: NatsConnection): Promise<void> {
    const answered = new Set<string>()
    try {
      const replies = await nc.requestMany('$SYS.REQ.SERVER.PING', '', { strategy: 'stall', stall: 200, maxWait: 1000 })
      for await (const reply of replies) {
        const id = serverIdOf(reply.string())
        if (id !== undefined) answered.add(id)
      }
    } catch {
      // No server answered: gathering falls back to the stall window.
    }
    this.#servers.clear()
    for (const id of answered) this.#remember(id)
    this.#logger.debug(`${this.#servers.size} nats-servers known for update notifications`)
  }

  #remember(id: string): void {
    if (this.#servers.size < MAX_KNOWN_SERVERS) this.#servers.add(id)
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
      const report: NotifyReport = { sent: true, updated: 0, skipped: 0, failed: [], firstAppliedMs: null, summary: '', allAnswered: false }
      const waitingFor = new Set(this.#servers)
      const answered: string[] = []
      for await (const reply of replies) {
        const id = tally(report, reply.string(), performance.now() - started)
        if (id !== undefined) {
          answered.push(id)
          waitingFor.delete(id)
        }
        if (this.#servers.size > 0 && waitingFor.size === 0) {
          report.allAnswered = true
          break
        }
      }
      for (const id of waitingFor) this.#servers.delete(id)
      for (const id of answered) this.#remember(id)
      report.summary = summarize(report)
      return report
    } catch (err) {
      // Every nats-server answers update requests from the system account: "no responders"
      // means a user of another account (the link names it), so the change is kept too.
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

function idOf(envelope: Envelope): string | undefined {
  const id = envelope.server?.id
  return typeof id === 'string' && id !== '' ? id : undefined
}

function serverIdOf(body: string): string | undefined {
  try {
    return idOf(JSON.parse(body) as Envelope)
  } catch {
    return undefined
  }
}

/** Counts one reply; returns the id of the server that sent it. */
function tally(report: NotifyReport, body: string, elapsedMs: number): string | undefined {
  let envelope: Envelope
  try {
    envelope = JSON.parse(body) as Envelope
  } catch {
    report.failed.push(`unreadable reply: ${body.slice(0, 80)}`)
    return undefined
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
  return idOf(envelope)
}

function summarize(report: NotifyReport): string {
  const answered = report.updated + report.skipped + report.failed.length
  if (answered === 0) return 'notification sent; no nats-server answered'
  const parts = [`${report.updated} updated`, `${report.skipped} skipped (account not in use)`]
  if (report.failed.length > 0) parts.push(`${report.failed.length} failed: ${report.failed.join('; ')}`)
  return `notified ${answered} nats-server${answered === 1 ? '' : 's'}: ${parts.join(', ')}`
}
