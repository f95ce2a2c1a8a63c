/**
 * Prometheus metrics (`GET /metrics`): requests by route and status with latencies, store
 * operations and errors, accounts stored, pushes by verdict, notifications and what the
 * nats-servers answered, and the NATS connection state.
 * @module
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { FleetView, NatsState, NotifyReport } from './accounts/ports.js'
import type { JwtStore } from './store/types.js'

export class Metrics {
  readonly registry = new Registry()
  readonly #requests = new Counter({
    name: 'nats_accounts_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  })
  readonly #latency = new Histogram({
    name: 'nats_accounts_http_request_duration_seconds',
    help: 'HTTP request latency by route and method',
    labelNames: ['route', 'method'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  })
  readonly #storeOps = new Counter({
    name: 'nats_accounts_store_operations_total',
    help: 'Store operations by kind and result',
    labelNames: ['operation', 'result'] as const,
    registers: [this.registry],
  })
  readonly #pushes = new Counter({
    name: 'nats_accounts_jwt_pushes_total',
    help: 'Account JWTs received (HTTP, NATS, imports) by verdict',
    labelNames: ['verdict'] as const,
    registers: [this.registry],
  })
  readonly #notifications = new Counter({
    name: 'nats_accounts_notifications_total',
    help: 'Update notifications: sent, or deferred until NATS is back',
    labelNames: ['result'] as const,
    registers: [this.registry],
  })
  readonly #replies = new Counter({
    name: 'nats_accounts_notification_replies_total',
    help: 'Replies of nats-servers to update notifications',
    labelNames: ['result'] as const,
    registers: [this.registry],
  })
  readonly #renotifySkipped = new Counter({
    name: 'nats_accounts_renotify_skipped_total',
    help: 'GET ?notify=true notifications skipped: the account was notified less than a second before',
    registers: [this.registry],
  })
  readonly #gatherings = new Counter({
    name: 'nats_accounts_notification_gatherings_total',
    help: 'Gatherings of replies to update notifications by how they ended: every known nats-server answered (complete), or the wait ran out (waited)',
    labelNames: ['end'] as const,
    registers: [this.registry],
  })

  readonly #packStreams = new Gauge({
    name: 'nats_accounts_pack_streams',
    help: 'GET /jwt/v1/pack responses streaming now, and waiting for their turn',
    labelNames: ['state'] as const,
    registers: [this.registry],
  })

  /** In a worker: where the metrics of all workers come from. */
  readonly #cluster: (() => Promise<string>) | undefined

  constructor(options: { store: JwtStore; nats?: NatsState; cluster?: () => Promise<string> }) {
    collectDefaultMetrics({ register: this.registry, prefix: 'nats_accounts_' })
    const { store, nats } = options
    this.#cluster = options.cluster
    new Gauge({
      name: 'nats_accounts_accounts_stored',
      help: 'Account JWTs in the store',
      registers: [this.registry],
      // Workers share the store: across them this is one number, not a sum.
      aggregator: 'max',
      async collect() {
        this.set(await store.count())
      },
    })
    const natsRegisters = nats ? [this.registry] : []
    new Gauge({
      name: 'nats_accounts_store_unreadable_entries',
      help: 'Stored entries that hold no usable JWT (corrupt or empty files), served as absent until replaced',
      registers: [this.registry],
      aggregator: 'max',
      collect() {
        this.set(store.unreadableEntries?.() ?? 0)
      },
    })
    new Gauge({
      name: 'nats_accounts_nats_connected',
      help: '1 while connected to NATS, 0 otherwise (absent without NATS)',
      registers: natsRegisters,
      aggregator: 'max',
      collect() {
        this.set(nats?.connection ? 1 : 0)
      },
    })
    new Gauge({
      name: 'nats_accounts_nats_wrong_account',
      help: '1 while the NATS user is not in the system account (see the log or /readyz), 0 otherwise',
      registers: natsRegisters,
      aggregator: 'max',
      collect() {
        this.set(nats?.identityProblem ? 1 : 0)
      },
    })
    new Counter({
      name: 'nats_accounts_nats_connect_attempts_total',
      help: 'NATS connection attempts: the first connection and every reconnect attempt',
      registers: natsRegisters,
      collect() {
        this.reset()
        this.inc(nats?.connectAttempts ?? 0)
      },
    })
  }

  /** Gauges of the fleet scan: the nats-servers seen and the drifted accounts. */
  watchFleet(fleet: FleetView): void {
    new Gauge({
      name: 'nats_accounts_fleet_servers',
      help: 'nats-servers seen through the system account by the last fleet scan and server events',
      registers: [this.registry],
      aggregator: 'max',
      collect() {
        this.set(fleet.servers().length)
      },
    })
    new Gauge({
      name: 'nats_accounts_fleet_drifted_accounts',
      help: 'Accounts that some nats-server runs in an older version than stored (drift; fixed by notifying them again)',
      registers: [this.registry],
      aggregator: 'max',
      collect() {
        this.set(fleet.drifted().length)
      },
    })
  }

  /** `nats_accounts_check_findings{code}`: `counts` is read at every scrape. */
  watchFindings(counts: () => Record<string, number>): void {
    new Gauge({
      name: 'nats_accounts_check_findings',
      help: 'Cross-account check findings by code (GET /api/v1/checks lists them)',
      labelNames: ['code'] as const,
      registers: [this.registry],
      // Workers share the store: each computes the same findings.
      aggregator: 'max',
      collect() {
        for (const [code, count] of Object.entries(counts())) this.labels(code).set(count)
      },
    })
  }

  /**
   * A recorder for one route with its label children cached: what the GET fast path uses, so a
   * request costs two increments instead of label lookups.
   */
  observer(route: string): (method: string, status: number, seconds: number) => void {
    const children = new Map<string, { count: { inc(): void }; latency: { observe(value: number): void } }>()
    return (method, status, seconds) => {
      const key = `${method} ${status}`
      let child = children.get(key)
      if (child === undefined) {
        child = { count: this.#requests.labels(route, method, String(status)), latency: this.#latency.labels(route, method) }
        children.set(key, child)
      }
      child.count.inc()
      child.latency.observe(seconds)
    }
  }

  /** The exposition text: this process's metrics, or all workers' added up. */
  text(): Promise<string> {
    return this.#cluster ? this.#cluster() : this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }

  request(route: string, method: string, status: number, seconds: number): void {
    this.#requests.labels(route, method, String(status)).inc()
    this.#latency.labels(route, method).observe(seconds)
  }

  packStreams(streaming: number, waiting: number): void {
    this.#packStreams.labels('streaming').set(streaming)
    this.#packStreams.labels('waiting').set(waiting)
  }

  storeOperation(operation: string, ok: boolean): void {
    this.#storeOps.labels(operation, ok ? 'ok' : 'error').inc()
  }

  push(verdict: string): void {
    this.#pushes.labels(verdict).inc()
  }

  renotifySkipped(): void {
    this.#renotifySkipped.inc()
  }

  notification(report: NotifyReport): void {
    this.#notifications.labels(report.sent ? 'sent' : 'deferred').inc()
    if (report.allAnswered !== undefined) this.#gatherings.labels(report.allAnswered ? 'complete' : 'waited').inc()
    if (report.updated > 0) this.#replies.labels('updated').inc(report.updated)
    if (report.skipped > 0) this.#replies.labels('skipped').inc(report.skipped)
    if (report.failed.length > 0) this.#replies.labels('failed').inc(report.failed.length)
  }
}

/** Counts every store operation and its failures, around any driver. */
export function instrumentStore(store: JwtStore, metrics: Metrics): JwtStore {
  const count = <A extends unknown[], R>(operation: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        const result = await fn(...args)
        metrics.storeOperation(operation, true)
        return result
      } catch (err) {
        metrics.storeOperation(operation, false)
        throw err
      }
    }
  // Drivers are closures over their state (no `this`), so their methods can be passed around.
  return {
    ...store,
    get: count('get', store.get),
    put: count('put', store.put),
    delete: count('delete', store.delete),
    hash: count('hash', store.hash),
  }
}
