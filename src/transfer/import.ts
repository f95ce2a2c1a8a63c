/**
 * Imports account JWTs into the store through the same checks as a POST and the newest-wins
 * rule, reporting one line per JWT.
 * @module
 */
import { AccountServerError, describeError } from '../errors.js'
import { decodeJwt } from '../jwt/decode.js'
import { isStale } from '../accounts/refusals.js'
import type { AccountService } from '../accounts/service.js'
import type { SourceItem } from './sources.js'

export type ImportOutcome = 'stored' | 'unchanged' | 'stale' | 'rejected' | 'skipped'

export type ImportLine = {
  outcome: ImportOutcome
  origin: string
  /** The account, when one could be named. */
  pubkey?: string
  detail?: string
}

export type ImportSummary = Record<ImportOutcome, number>

export type ImportOptions = {
  /** Where the JWTs come from, kept in the store's history. */
  source: string
  onLine?: (line: ImportLine) => void
}

export async function importItems(
  items: AsyncIterable<SourceItem> | Iterable<SourceItem>,
  service: AccountService,
  options: ImportOptions,
): Promise<ImportSummary> {
  const summary: ImportSummary = { stored: 0, unchanged: 0, stale: 0, rejected: 0, skipped: 0 }
  for await (const item of items) {
    const line = await importOne(item, service, options)
    summary[line.outcome]++
    options.onLine?.(line)
  }
  return summary
}

async function importOne(item: SourceItem, service: AccountService, options: ImportOptions): Promise<ImportLine> {
  const { origin } = item
  if ('skipped' in item) return { outcome: 'skipped', origin, detail: item.skipped }
  // An nsc store holds operator and user JWTs beside the accounts: those are not errors.
  if (item.key === undefined) {
    const kind = kindOf(item.jwt)
    if (kind !== undefined && kind !== 'account') return { outcome: 'skipped', origin, detail: `${kind} JWT` }
  }
  try {
    const result = await service.push(item.jwt, {
      expectedKey: item.key,
      source: { kind: 'import', detail: options.source },
    })
    return { outcome: result.outcome, origin, pubkey: result.current.pubkey, detail: result.current.jti }
  } catch (err) {
    if (!(err instanceof AccountServerError)) throw err
    const outcome = isStale(err) ? 'stale' : 'rejected'
    return { outcome, origin, pubkey: item.key, detail: describeError(err) }
  }
}

function kindOf(jwt: string): string | undefined {
  try {
    return decodeJwt(jwt).kind
  } catch {
    return undefined
  }
}

export function formatSummary(summary: ImportSummary, dryRun: boolean): string {
  const counts = (Object.keys(summary) as ImportOutcome[]).map((k) => `${summary[k]} ${k}`).join(', ')
  return dryRun ? `dry run, nothing written: ${counts}` : counts
}
