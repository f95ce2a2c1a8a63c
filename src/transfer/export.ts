/**
 * Exports the store: to a directory a nats-server `resolver: {type: full}` (flat) or another
 * account server (`--shard`) can use as is, or to a nats-server configuration with every JWT
 * preloaded for `resolver: MEMORY` (what `nsc generate config --mem-resolver` writes).
 * @module
 */
import { ConfigError } from '../errors.js'
import type { OperatorTrust } from '../jwt/trust.js'
import type { AccountService } from '../accounts/service.js'
import { directoryStore } from '../store/drivers/directory.js'
import type { StoredAccount } from '../jwt/types.js'
import type { PutOutcome } from '../store/types.js'
import { decidePut } from '../store/utils/newest-wins.js'

export type ExportLine = { outcome: PutOutcome | 'skipped'; pubkey: string; detail: string }

export type ExportSummary = Record<ExportLine['outcome'], number>

export type ExportOptions = {
  dryRun?: boolean
  onLine?: (line: ExportLine) => void
}

/** Accounts worth exporting: expired ones are reported and left out (nats-server refuses them). */
async function* exportable(service: AccountService, options: ExportOptions): AsyncGenerator<StoredAccount> {
  const nowSeconds = service.now() / 1000
  for await (const account of service.reader.list()) {
    if (account.exp > 0 && account.exp < nowSeconds) {
      options.onLine?.({ outcome: 'skipped', pubkey: account.pubkey, detail: `expired at ${new Date(account.exp * 1000).toISOString()}` })
      continue
    }
    yield account
  }
}

/** Counts each line by outcome and passes it on. */
function counter(options: ExportOptions): { summary: ExportSummary; count: (line: ExportLine) => void } {
  const summary: ExportSummary = { stored: 0, unchanged: 0, stale: 0, deleted: 0, skipped: 0 }
  return {
    summary,
    count: (line) => {
      summary[line.outcome]++
      options.onLine?.(line)
    },
  }
}

/** One line for both kinds of export, so scripts read them alike. */
export function formatExportSummary(summary: ExportSummary, dryRun: boolean): string {
  return `${summary.stored} exported, ${summary.unchanged} unchanged, ${summary.stale} stale (newer in the target), ${summary.deleted} deleted in the target, ${summary.skipped} skipped${dryRun ? ' (dry run, nothing written)' : ''}`
}

/** Writes every unexpired account into a directory store, newest wins there too. */
export async function exportToDirectory(
  service: AccountService,
  target: { dir: string; shard: boolean },
  options: ExportOptions = {},
): Promise<ExportSummary> {
  const { summary, count } = counter(options)
  const store = await directoryStore(target)
  try {
    for await (const account of exportable(service, { onLine: count })) {
      const outcome = options.dryRun
        ? decidePut(await store.get(account.pubkey), account, await store.deleted(account.pubkey))
        : (await store.put(account, { kind: 'import' })).outcome
      count({ outcome, pubkey: account.pubkey, detail: account.jti })
    }
  } finally {
    await store.close()
  }
  return summary
}

/**
 * A nats-server configuration fragment: the operator JWT, its system account and a
 * `resolver_preload` with every unexpired account.
 * @throws ConfigError when the system account is not in the store (nats-server would not start)
 */
export async function memoryResolverConfig(
  service: AccountService,
  trust: OperatorTrust,
  options: ExportOptions & { systemAccount?: string } = {},
): Promise<{ text: string; summary: ExportSummary }> {
  const { summary, count } = counter(options)
  const systemAccount = options.systemAccount ?? trust.systemAccount
  if (systemAccount === '') {
    throw new ConfigError(`operator ${trust.name} names no system account: pass --system-account <key>`)
  }
  const entries: string[] = []
  let systemName: string | null = null
  for await (const account of exportable(service, { onLine: count })) {
    if (account.pubkey === systemAccount) systemName = account.name
    entries.push(`  # Account ${JSON.stringify(account.name)}\n  ${account.pubkey}: ${JSON.stringify(account.jwt)}\n`)
    count({ outcome: 'stored', pubkey: account.pubkey, detail: account.jti })
  }
  if (systemName === null) {
    throw new ConfigError(`the system account ${systemAccount} is not in the store (or has expired): nats-server cannot start without it`)
  }
  const text = [
    `# Operator named ${trust.name}`,
    `operator: ${JSON.stringify(trust.source.trim())}`,
    '',
    `# System Account named ${systemName}`,
    `system_account: ${systemAccount}`,
    '',
    'resolver: MEMORY',
    '',
    'resolver_preload: {',
    entries.join('\n'),
    '}',
    '',
  ].join('\n')
  return { text, summary }
}
