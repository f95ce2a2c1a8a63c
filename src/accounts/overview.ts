/**
 * Every account at a glance, for the JSON API and the web console: an in-memory index of what
 * the list shows (built from the store at start-up, kept current by the service's change
 * events), the cross-account findings, and one account in full. The shapes returned here are
 * the API's JSON (snake_case, times in ISO 8601 UTC).
 * @module
 */
import { AccountServerError, ErrorCode } from '../errors.js'
import { CheckIndex, factsOf, type AccountFacts, type CheckContext, type Finding, type FindingCode } from '../checks/index.js'
import { decodeJwt } from '../jwt/decode.js'
import type { StoredAccount } from '../jwt/types.js'
import type { Logger } from '../log/logger.js'
import type { HistoryEntry, PutSource } from '../store/types.js'
import type { AccountChange, AccountOnServer, FleetView } from './ports.js'
import type { AccountService } from './service.js'

export type AccountStatus = 'active' | 'expired' | 'deleted'
export const ACCOUNT_STATUSES: readonly AccountStatus[] = ['active', 'expired', 'deleted']

/** Who signed the account JWT, seen from the configured operator. */
export type IssuerKind = 'operator' | 'signing_key' | 'untrusted'

export type LastChange = { at: string; event: HistoryEntry['event']; source: HistoryEntry['source']; source_detail: string }

export type AccountSummary = {
  key: string
  name: string
  issuer: string
  /** null without an operator. */
  issuer_kind: IssuerKind | null
  iat: number
  /** 0: never expires. */
  exp: number
  jti: string
  status: AccountStatus
  /** null when unknown (a store without history, and no change seen since start-up). */
  last_change: LastChange | null
  findings: number
  /** nats-servers running an older version than the stored one (0 without NATS). */
  drifted: number
}

export type HistoryItem = {
  event: HistoryEntry['event']
  jti: string
  iat: number
  exp: number
  issuer: string
  received_at: string
  source: HistoryEntry['source']
  source_detail: string
  notification: string
}

export type AccountDetail = AccountSummary & {
  /** The decoded claims of the stored JWT (of the deleted one, for a deleted account). */
  claims: Record<string, unknown>
  jwt: string
  /** null: the store keeps no history (directory store). */
  history: HistoryItem[] | null
  finding_list: Finding[]
  /** null: NATS is not configured. */
  fleet: AccountOnServer[] | null
}

export type ListQuery = {
  /** Substring of the name (any case) or of the key. */
  q?: string
  status?: AccountStatus
  /** The last key of the previous page. */
  cursor?: string
  limit: number
}

export type AccountPage = { accounts: AccountSummary[]; total: number; next_cursor: string | null }

export type OverviewOptions = {
  service: AccountService
  fleet?: FleetView
  logger?: Logger
  /** `account-expiring` window. @default 7 days */
  expiringWithinSeconds?: number
}

export const DEFAULT_EXPIRING_WITHIN_S = 7 * 24 * 3600

/** Longest the start-up read of the store holds the event loop at once. */
const LOAD_SLICE_MS = 10

const byKey = (a: AccountFacts, b: AccountFacts) => (a.pubkey < b.pubkey ? -1 : 1)

/** The smallest index in `rows` (sorted by key) whose key is greater than `key`. */
function after(rows: readonly AccountFacts[], key: string): number {
  let [lo, hi] = [0, rows.length]
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (rows[mid]!.pubkey <= key) lo = mid + 1
    else hi = mid
  }
  return lo
}

const iso = (ms: number) => new Date(ms).toISOString()

function historyItem(h: HistoryEntry): HistoryItem {
  return {
    event: h.event,
    jti: h.jti,
    iat: h.iat,
    exp: h.exp,
    issuer: h.issuer,
    received_at: iso(h.receivedAt),
    source: h.source,
    source_detail: h.source === 'http' ? '' : h.sourceDetail,
    notification: h.notification,
  }
}

export class AccountOverview {
  readonly #service: AccountService
  readonly #fleet: FleetView | undefined
  readonly #logger: Logger | undefined
  readonly #expiringWithinSeconds: number
  #index = new CheckIndex()
  /**
   * Every listed account (stored, and deleted since start-up or asked for), in key order (the
   * cursor order) once `#sortedRows` ran: the facts the check index holds, or held for an
   * account deleted since. A query scans this array. Nothing else is kept per account (at
   * 100,000 accounts, every byte per account is 100 kB).
   */
  #rows: AccountFacts[] = []
  /** Rows were appended since the last sort. */
  #unsorted = false
  /** Listed accounts that are deleted, with the facts they are listed with. */
  readonly #deleted = new Map<string, AccountFacts>()
  /** Changes seen since start-up, for stores without history. */
  readonly #changes = new Map<string, LastChange>()
  /** Changes that arrive while the store is being read: applied once it is. */
  #pending: Set<string> | null = new Set()
  #ready: Promise<void> | null = null
  readonly #unsubscribe: () => void

  constructor(options: OverviewOptions) {
    this.#service = options.service
    this.#fleet = options.fleet
    this.#logger = options.logger
    this.#expiringWithinSeconds = options.expiringWithinSeconds ?? DEFAULT_EXPIRING_WITHIN_S
    this.#unsubscribe = this.#service.onChange((changes) => this.#changed(changes))
  }

  /** Reads every stored account once (the first call does; later calls wait for it). */
  ready(): Promise<void> {
    this.#ready ??= this.#load()
    return this.#ready
  }

  async #load(): Promise<void> {
    let sliceStarted = performance.now()
    let read = 0
    for await (const account of this.#service.reader.list()) {
      this.#index.add(account)
      // A large store takes seconds to read: serving gets a turn of the event loop every few ms.
      if ((++read & 255) === 0 && performance.now() - sliceStarted > LOAD_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve))
        sliceStarted = performance.now()
      }
    }
    this.#index.computeFindings()
    this.#rows = [...this.#index.values()].sort(byKey)
    this.#unsorted = false
    this.#deleted.clear()
    const pending = this.#pending ?? new Set()
    this.#pending = null
    await Promise.all([...pending].map((pubkey) => this.#reread(pubkey)))
  }

  close(): void {
    this.#unsubscribe()
  }

  get size(): number {
    return this.#index.size
  }

  /** The string the list holds for this account's key, to be shared rather than copied. */
  keyOf(pubkey: string): string | undefined {
    return this.#index.get(pubkey)?.pubkey
  }

  /** What the checks compare with now: the clock, the operator, the fleet's versions. */
  context(): CheckContext {
    return {
      nowSeconds: Math.floor(this.#service.now() / 1000),
      expiringWithinSeconds: this.#expiringWithinSeconds,
      trust: this.#service.trust,
      servers: this.#fleet?.servers() ?? [],
    }
  }

  /** Starts (or joins) the read of the store without waiting for it; a failure is logged. */
  #readInBackground(): void {
    void this.ready().catch((err: unknown) => this.#logger?.error(`cannot read the store for the account list: ${(err as Error).message}`))
  }

  #changed(changes: readonly AccountChange[] | null): void {
    if (changes === null) {
      this.#ready = null
      this.#pending = new Set()
      this.#index = new CheckIndex()
      this.#readInBackground()
      return
    }
    for (const change of changes) {
      if (this.#pending !== null) {
        this.#pending.add(change.pubkey)
      } else if (change.account === undefined) {
        void this.#reread(change.pubkey).catch((err: unknown) => this.#logger?.error({ account: change.pubkey }, `cannot read a changed account: ${(err as Error).message}`))
      } else {
        this.#apply(change.pubkey, change.account, change.source)
      }
    }
  }

  async #reread(pubkey: string): Promise<void> {
    const account = await this.#service.reader.get(pubkey)
    if (account !== null || this.#index.get(pubkey) !== undefined) this.#apply(pubkey, account)
  }

  #apply(pubkey: string, account: StoredAccount | null, source?: PutSource): void {
    const previous = this.#index.get(pubkey)
    const listed = previous !== undefined || this.#deleted.has(pubkey)
    const { appeared } = this.#index.set(pubkey, account)
    const facts = this.#index.get(pubkey)
    if (facts !== undefined) {
      this.#putRow(facts, listed)
      this.#deleted.delete(pubkey)
    } else if (previous !== undefined) this.#deleted.set(pubkey, previous)
    if (source !== undefined) {
      const event = account === null ? 'deleted' : 'accepted'
      this.#changes.set(pubkey, { at: iso(this.#service.now()), event, source: source.kind, source_detail: source.kind === 'http' ? '' : (source.detail ?? '') })
    }
    for (const f of appeared) this.#logger?.warn({ account: f.account, code: f.code, other: f.other }, `check finding: ${f.message}`)
  }

  /** A listed account's row is replaced in place; a new one is appended and sorted in at the next query. */
  #putRow(facts: AccountFacts, listed: boolean): void {
    if (!listed) {
      this.#rows.push(facts)
      this.#unsorted = true
      return
    }
    const rows = this.#sortedRows()
    rows[after(rows, facts.pubkey) - 1] = facts
  }

  /**
   * The rows in key order. Inserting each pushed account at its place moved half the array per
   * push (a cost that grew with the store); sorting once before a query is far cheaper overall.
   */
  #sortedRows(): AccountFacts[] {
    if (this.#unsorted) {
      this.#rows.sort(byKey)
      this.#unsorted = false
    }
    return this.#rows
  }

  #isDeleted(facts: AccountFacts): boolean {
    return this.#deleted.size > 0 && this.#deleted.has(facts.pubkey)
  }

  #status(facts: AccountFacts, nowSeconds: number): AccountStatus {
    if (this.#isDeleted(facts)) return 'deleted'
    return facts.exp > 0 && facts.exp <= nowSeconds ? 'expired' : 'active'
  }

  #summary(facts: AccountFacts, context: CheckContext, drifted: ReadonlyMap<string, number>): AccountSummary {
    const pubkey = facts.pubkey
    const trust = context.trust
    let issuerKind: IssuerKind | null = null
    if (trust !== null) {
      if (trust.signingKeys.has(facts.issuer)) issuerKind = 'signing_key'
      else issuerKind = facts.issuer === trust.key && !trust.strict ? 'operator' : 'untrusted'
    }
    return {
      key: pubkey,
      name: facts.name,
      issuer: facts.issuer,
      issuer_kind: issuerKind,
      iat: facts.iat,
      exp: facts.exp,
      jti: facts.jti,
      status: this.#status(facts, context.nowSeconds),
      last_change: null,
      findings: this.#isDeleted(facts) ? 0 : this.#index.findings(pubkey, context).length,
      drifted: drifted.get(pubkey) ?? 0,
    }
  }

  #drifted(): Map<string, number> {
    return new Map((this.#fleet?.drifted() ?? []).map((d) => [d.pubkey, d.servers.length]))
  }

  /** Where the history is kept, the last change comes from it; otherwise from what was seen since start-up. */
  async #withLastChange(summary: AccountSummary): Promise<AccountSummary> {
    const history = await this.#history(summary.key)
    const newest = history?.[0]
    const seen = this.#changes.get(summary.key) ?? null
    if (newest === undefined) return { ...summary, last_change: history === null ? seen : null }
    return { ...summary, last_change: { at: newest.received_at, event: newest.event, source: newest.source, source_detail: newest.source_detail } }
  }

  async #history(pubkey: string): Promise<HistoryItem[] | null> {
    try {
      return (await this.#service.history(pubkey)).map(historyItem)
    } catch (err) {
      if (err instanceof AccountServerError && err.code === ErrorCode.NotImplemented) return null
      throw err
    }
  }

  /** One page of accounts in key order. */
  async list(query: ListQuery): Promise<AccountPage> {
    await this.ready()
    const context = this.context()
    const drifted = this.#drifted()
    const needle = query.q?.trim() ?? ''
    const lower = needle.toLowerCase()
    const upper = needle.toUpperCase()
    const { status, limit } = query
    const now = context.nowSeconds
    const rows = this.#sortedRows()
    const start = query.cursor ? after(rows, query.cursor) : 0
    const page: AccountFacts[] = []
    let total = 0
    let next: string | null = null
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!
      if (needle !== '' && !row.pubkey.includes(upper) && !row.name.toLowerCase().includes(lower)) continue
      if (status !== undefined && this.#status(row, now) !== status) continue
      total++
      if (i < start) continue
      if (page.length < limit) page.push(row)
      else next ??= page[page.length - 1]!.pubkey
    }
    const summaries = page.map((row) => this.#summary(row, context, drifted))
    return { accounts: await Promise.all(summaries.map((s) => this.#withLastChange(s))), total, next_cursor: next }
  }

  /** One account in full, or null when it is neither stored nor known as deleted. */
  async account(pubkey: string): Promise<AccountDetail | null> {
    await this.ready()
    const context = this.context()
    const stored = await this.#service.reader.get(pubkey)
    const account = stored ?? (await this.#service.reader.deleted(pubkey))
    if (account === null) return null
    // A deletion from before start-up: listed from now on.
    if (stored === null && !this.#deleted.has(pubkey)) {
      const facts = factsOf(account)
      this.#putRow(facts, this.#index.get(pubkey) !== undefined)
      this.#deleted.set(pubkey, facts)
    }
    const facts = this.#deleted.get(pubkey) ?? this.#index.get(pubkey) ?? factsOf(account)
    const summary = await this.#withLastChange(this.#summary(facts, context, this.#drifted()))
    const history = await this.#history(pubkey)
    return {
      ...summary,
      claims: decodeJwt(account.jwt).claims,
      jwt: account.jwt,
      history,
      finding_list: stored === null ? [] : this.findings(pubkey),
      fleet: this.#fleet === undefined ? null : this.#fleet.account(pubkey),
    }
  }

  /** Findings about this account, then those of other accounts that name it. */
  findings(pubkey: string): Finding[] {
    const context = this.context()
    return [...this.#index.findings(pubkey, context), ...this.#index.findingsNaming(pubkey, context)]
  }

  /** Every finding of the store. */
  async allFindings(): Promise<Finding[]> {
    await this.ready()
    return this.#index.all(this.context())
  }

  /** Findings by code (every code, 0 when none): the gauges. */
  counts(): Record<FindingCode, number> {
    return this.#index.counts(this.context())
  }

  /**
   * The lines a push answer adds (nsc prints them): the findings about the pushed account and
   * those naming it. None while the store is still being read: a push is never held up by the
   * list (a directory store of 100,000 accounts takes ~18 s to read, longer under load); its
   * findings are logged once the list is complete.
   */
  async pushLines(pubkey: string): Promise<string[]> {
    if (this.#pending !== null) {
      this.#readInBackground()
      return []
    }
    return this.findings(pubkey).map((f) => `${f.severity}: ${f.message} [${f.code}]`)
  }
}
