/**
 * The running server's fleet view: a scan each time NATS connects (so a store changed while
 * nats-accounts was down shows up as drift after start-up) and every `intervalMs`; the
 * holders of an account asked again after each of its notifications; servers' STATSZ events
 * keep `lastSeen` fresh and their SHUTDOWN events remove them. With `autoResync`, drifted
 * accounts are notified again after each scan; otherwise drift is only reported. Scans run one
 * at a time; re-checks do not wait for a scan (they share its request budget).
 * @module
 */
import type { NatsConnection } from '@nats-io/transport-node'
import type { FleetView, Notifier, NotifyReport, StoreReader } from '../accounts/ports.js'
import type { StoredAccount } from '../jwt/types.js'
import type { Logger } from '../log/logger.js'
import type { NatsLink } from '../nats/link.js'
import { serverOfEvent } from './requests.js'
import { FleetScanner, type ScanOptions, type ScanResult } from './scan.js'

export type FleetMonitorOptions = {
  /** Time between scans; 0 scans only when NATS (re)connects. */
  intervalMs: number
  /** Notify drifted accounts again after each scan. */
  autoResync: boolean
  scan?: Partial<ScanOptions>
}

/** At most this many drifted accounts are named in one log line. */
const NAMED_IN_LOG = 10

export class FleetMonitor implements FleetView {
  readonly #link: NatsLink
  readonly #store: Pick<StoreReader, 'get'>
  readonly #logger: Logger
  readonly #options: FleetMonitorOptions
  readonly #scanner: FleetScanner
  readonly #timer: NodeJS.Timeout | undefined
  #queue: Promise<void> = Promise.resolve()
  #scanQueued = false
  #closed = false
  #resync: ((account: StoredAccount) => Promise<NotifyReport>) | undefined
  #lastScan: ScanResult | null = null

  constructor(link: NatsLink, store: Pick<StoreReader, 'get'>, logger: Logger, options: FleetMonitorOptions) {
    this.#link = link
    this.#store = store
    this.#logger = logger
    this.#options = options
    this.#scanner = new FleetScanner(store, options.scan)
    link.listen({ ready: (nc) => this.#subscribe(nc), connected: () => this.scanSoon() })
    if (options.intervalMs > 0) this.#timer = setInterval(() => this.scanSoon(), options.intervalMs).unref()
  }

  servers() {
    return this.#scanner.snapshot.servers()
  }

  account(pubkey: string) {
    return this.#scanner.snapshot.account(pubkey)
  }

  drifted() {
    return this.#scanner.snapshot.drifted()
  }

  /** What the last completed scan did (null before the first). */
  get lastScan(): ScanResult | null {
    return this.#lastScan
  }

  /** How drifted accounts are notified again (with `autoResync`). */
  resyncWith(send: (account: StoredAccount) => Promise<NotifyReport>): void {
    this.#resync = send
  }

  /** The notifier, with the account's holders asked again after each notification that went out. */
  watch(notifier: Notifier): Notifier {
    return {
      notify: async (account) => {
        const report = await notifier.notify(account)
        if (report.sent) void this.#recheck(account.pubkey)
        return report
      },
    }
  }

  /** Queues a scan, unless one is already waiting. */
  scanSoon(): void {
    if (this.#scanQueued) return
    this.#scanQueued = true
    this.#queue = this.#queue.then(async () => {
      this.#scanQueued = false
      const nc = this.#link.connection
      if (nc === null || this.#closed) return
      try {
        const result = await this.#scanner.scan(nc)
        this.#lastScan = result
        this.#report(result)
        if (this.#options.autoResync && this.#resync) await this.#resyncDrifted()
      } catch (err) {
        this.#logger.warn(`fleet scan failed: ${(err as Error).message}; the next scan tries again`)
      }
    })
  }

  /** Resolves once the scans queued so far are done. */
  settled(): Promise<void> {
    return this.#queue
  }

  async #recheck(pubkey: string): Promise<void> {
    const nc = this.#link.connection
    if (nc === null || this.#closed) return
    try {
      await this.#scanner.recheck(nc, pubkey)
    } catch (err) {
      this.#logger.warn({ account: pubkey }, `fleet re-check failed: ${(err as Error).message}; the next scan tries again`)
    }
  }

  #report(result: ScanResult): void {
    const drifted = this.drifted()
    const summary = `fleet scan: ${result.servers} nats-servers, ${result.accountsInUse} accounts in use, ${result.requests} account requests (${result.unanswered} unanswered) in ${result.ms} ms`
    if (drifted.length === 0) {
      this.#logger.debug(`${summary}, no drift`)
      return
    }
    const named = drifted.slice(0, NAMED_IN_LOG).map((d) => `${d.pubkey} on ${d.servers.join(', ')}`)
    const more = drifted.length > NAMED_IN_LOG ? ` and ${drifted.length - NAMED_IN_LOG} more` : ''
    const fix = this.#options.autoResync ? 'notifying them again' : 'notify them again (or start with --auto-resync)'
    this.#logger.warn(`${summary}; ${drifted.length} accounts run an older version than stored: ${named.join('; ')}${more}; ${fix}`)
  }

  async #resyncDrifted(): Promise<void> {
    for (const { pubkey } of this.drifted()) {
      const stored = await this.#store.get(pubkey)
      if (stored !== null && !this.#closed) await this.#resync!(stored)
    }
  }

  #subscribe(nc: NatsConnection): void {
    nc.subscribe('$SYS.SERVER.*.STATSZ', {
      callback: (_, msg) => {
        const server = serverOfEvent(msg.string())
        if (server !== null) this.#scanner.snapshot.seen(server)
      },
    })
    nc.subscribe('$SYS.SERVER.*.SHUTDOWN', {
      callback: (_, msg) => this.#scanner.snapshot.gone(msg.subject.split('.')[2]!),
    })
  }

  close(): void {
    this.#closed = true
    clearInterval(this.#timer)
  }
}
