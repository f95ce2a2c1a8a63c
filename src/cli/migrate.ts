/**
 * `nats-accounts import <source>` and `nats-accounts export <target>`.
 * @module
 */
import type { ServerConfig, StoreConfig } from '../config/types.js'
import { ConfigError } from '../errors.js'
import { loadOperator } from '../jwt/trust.js'
import { exportToDirectory, memoryResolverConfig, type ExportLine } from '../migrate/export.js'
import { formatSummary, importItems, type ImportLine } from '../migrate/import.js'
import { readSource } from '../migrate/sources.js'
import { AccountService } from '../service/accounts.js'
import { isShardedLayout } from '../store/drivers/directory.js'
import { overlayStore } from '../store/drivers/overlay.js'
import { describeStore, openStore } from '../store/index.js'
import { writeFileAtomic } from '../store/utils/atomic-write.js'
import { UsageError, type CliFlags } from './args.js'

export type Io = {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
}

function line(outcome: string, pubkey: string | undefined, where: string, detail?: string): string {
  return `${outcome.padEnd(9)} ${pubkey ?? '-'.padEnd(56)} ${where}${detail ? `: ${detail}` : ''}\n`
}

async function withService<T>(
  config: ServerConfig,
  store: StoreConfig,
  options: { trusted: boolean; dryRun?: boolean },
  run: (service: AccountService) => Promise<T>,
): Promise<T> {
  if (options.trusted && config.operator === '') {
    throw new ConfigError('this command needs -operator <operator JWT file>: every JWT is checked as a POST would be')
  }
  const trust = config.operator === '' ? null : await loadOperator(config.operator)
  const opened = await openStore(store)
  const service = new AccountService({ store: options.dryRun ? overlayStore(opened) : opened, trust, clockSkewSeconds: config.clockSkewMs / 1000 })
  try {
    return await run(service)
  } finally {
    service.close()
    await service.store.close()
  }
}

export async function runImport(source: string, config: ServerConfig, flags: CliFlags, io: Io): Promise<number> {
  io.stderr.write(`importing ${source} into the ${describeStore(config.store)}${flags.dryRun ? ' (dry run)' : ''}\n`)
  const summary = await withService(config, config.store, { trusted: true, dryRun: flags.dryRun }, (service) =>
    importItems(readSource(source, config.replicationTimeoutMs), service, {
      source,
      onLine: (l: ImportLine) => io.stdout.write(line(l.outcome, l.pubkey, l.origin, l.outcome === 'stored' || l.outcome === 'unchanged' ? undefined : l.detail)),
    }),
  )
  io.stdout.write(`${formatSummary(summary, flags.dryRun)}\n`)
  return summary.rejected > 0 ? 1 : 0
}

export async function runExport(target: string, config: ServerConfig, flags: CliFlags, io: Io): Promise<number> {
  const format = flags.format ?? (target === '-' || target.endsWith('.conf') ? 'config' : 'dir')
  if (format !== 'dir' && format !== 'config') throw new UsageError(`--format is dir or config, not "${format}"`)
  const store: StoreConfig =
    config.store.type === 'directory' ? { ...config.store, shard: await isShardedLayout(config.store.dir) } : config.store
  const print = (l: ExportLine) => {
    // With the config on stdout, the per-account lines go to stderr.
    const out = target === '-' ? io.stderr : io.stdout
    out.write(line(l.outcome === 'stored' ? (format === 'dir' ? 'exported' : 'included') : l.outcome, l.pubkey, target === '-' ? 'stdout' : target, l.outcome === 'skipped' ? l.detail : undefined))
  }
  return withService(config, store, { trusted: format === 'config' }, async (service) => {
    if (format === 'dir') {
      const summary = await exportToDirectory(service, { dir: target, shard: flags.shard }, { dryRun: flags.dryRun, onLine: print })
      io.stdout.write(`${summary.stored} exported, ${summary.unchanged} unchanged, ${summary.stale} stale (newer in the target), ${summary.deleted} deleted in the target, ${summary.skipped} skipped${flags.dryRun ? ' (dry run, nothing written)' : ''}\n`)
      return 0
    }
    const text = await memoryResolverConfig(service, service.trust!, { systemAccount: flags.systemAccount, onLine: print })
    if (flags.dryRun) io.stderr.write(`dry run: ${target} not written\n`)
    else if (target === '-') io.stdout.write(text)
    else {
      await writeFileAtomic(target, text)
      io.stderr.write(`wrote ${target}\n`)
    }
    return 0
  })
}
