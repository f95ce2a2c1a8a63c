/**
 * The facts of every stored account and their cross-account findings, kept up to date one change
 * at a time: a change recomputes the changed account and the accounts that refer to it (its
 * importers, the auth-callout accounts that allow it), never the whole store.
 * @module
 */
import type { StoredAccount } from '../jwt/types.js'
import { factsOf, type AccountFacts } from './facts.js'
import { addTimedFindings, crossFindings, FINDING_CODES, type CheckContext, type Finding, type FindingCode } from './rules.js'

export { factsOf, type AccountFacts } from './facts.js'
export { FINDING_CODES, isOlderVersion, named, type CheckContext, type Finding, type FindingCode, type ServerVersion, type Severity } from './rules.js'

/** What a change did to the stored findings. */
export type FindingChanges = { appeared: Finding[]; resolved: Finding[] }

const NO_REFERENCES: ReadonlySet<string> = new Set()

function referencesOf(facts: AccountFacts): ReadonlySet<string> {
  if (facts.imports.length === 0 && facts.allowedAccounts.length === 0) return NO_REFERENCES
  const refs = new Set<string>()
  for (const i of facts.imports) refs.add(i.account)
  for (const a of facts.allowedAccounts) if (a !== '*') refs.add(a)
  refs.delete(facts.pubkey)
  return refs
}

const sameFinding = (a: Finding, b: Finding) => a.code === b.code && a.message === b.message

export class CheckIndex {
  readonly #facts = new Map<string, AccountFacts>()
  /** Cross-account findings by account; accounts without any are absent. */
  readonly #cross = new Map<string, Finding[]>()
  /** Account → the accounts whose JWTs name it. */
  readonly #referrers = new Map<string, Set<string>>()
  readonly #lookup = (pubkey: string) => this.#facts.get(pubkey)

  get size(): number {
    return this.#facts.size
  }

  get(pubkey: string): AccountFacts | undefined {
    return this.#facts.get(pubkey)
  }

  values(): IterableIterator<AccountFacts> {
    return this.#facts.values()
  }

  /** Loads accounts in bulk (start-up): the findings are computed once, after the last one. */
  load(accounts: Iterable<StoredAccount>): void {
    for (const account of accounts) this.add(account)
    this.computeFindings()
  }

  /** Adds one account of a bulk load; its findings wait for `computeFindings()`. */
  add(account: StoredAccount): void {
    this.#remember(factsOf(account))
  }

  /** Computes the findings of every account (after a bulk load). */
  computeFindings(): void {
    for (const pubkey of this.#facts.keys()) this.#recompute(pubkey)
  }

  /** Adds the stored account, or drops it (null), and recomputes what depends on it. */
  set(pubkey: string, account: StoredAccount | null): FindingChanges {
    const previous = this.#facts.get(pubkey)
    if (previous !== undefined) {
      for (const ref of referencesOf(previous)) this.#referrers.get(ref)?.delete(pubkey)
    }
    if (account === null) this.#facts.delete(pubkey)
    else this.#remember(factsOf(account))
    const affected = [pubkey, ...(this.#referrers.get(pubkey) ?? [])]
    const changes: FindingChanges = { appeared: [], resolved: [] }
    for (const key of affected) {
      const before = this.#cross.get(key) ?? []
      const after = this.#recompute(key)
      changes.appeared.push(...after.filter((f) => !before.some((b) => sameFinding(b, f))))
      changes.resolved.push(...before.filter((b) => !after.some((f) => sameFinding(b, f))))
    }
    return changes
  }

  /** Every finding about one account (none for an account not stored). */
  findings(pubkey: string, context: CheckContext): Finding[] {
    const facts = this.#facts.get(pubkey)
    if (facts === undefined) return []
    const found = [...(this.#cross.get(pubkey) ?? [])]
    addTimedFindings(facts, this.#lookup, context, found)
    return found
  }

  /** Findings that name this account as the other one (importers, callout accounts). */
  findingsNaming(pubkey: string, context: CheckContext): Finding[] {
    return [...(this.#referrers.get(pubkey) ?? [])].flatMap((key) => this.findings(key, context).filter((f) => f.other === pubkey))
  }

  /** Every finding, in the order the accounts were stored. */
  all(context: CheckContext): Finding[] {
    const found: Finding[] = []
    for (const facts of this.#facts.values()) {
      const cross = this.#cross.get(facts.pubkey)
      if (cross !== undefined) found.push(...cross)
      addTimedFindings(facts, this.#lookup, context, found)
    }
    return found
  }

  /** Findings by code, every code present (0 when none). */
  counts(context: CheckContext): Record<FindingCode, number> {
    const counts = Object.fromEntries(Object.keys(FINDING_CODES).map((code) => [code, 0])) as Record<FindingCode, number>
    for (const f of this.all(context)) counts[f.code]++
    return counts
  }

  #remember(facts: AccountFacts): void {
    this.#facts.set(facts.pubkey, facts)
    for (const ref of referencesOf(facts)) {
      const referrers = this.#referrers.get(ref) ?? new Set()
      this.#referrers.set(ref, referrers.add(facts.pubkey))
    }
  }

  #recompute(pubkey: string): Finding[] {
    const facts = this.#facts.get(pubkey)
    const found = facts === undefined ? [] : crossFindings(facts, this.#lookup)
    if (found.length === 0) this.#cross.delete(pubkey)
    else this.#cross.set(pubkey, found)
    return found
  }
}
