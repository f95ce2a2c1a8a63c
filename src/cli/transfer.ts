/**
 * `nats-accounts import <source>` and `nats-accounts export <target>`.
 * @module
 */
import type { ServerConfig } from '../config/types.js'
import type { StoreConfig } from '../store/types.js'
import { ConfigError } from '../errors.js'
import { loadOperator } from '../jwt/trust.js'
import { exportToDirectory, formatExportSummary, memoryResolverConfig, type ExportLine, type ExportSummary } from '../transfer/export.js'
import { formatSummary, importItems, type ImportLine } from '../transfer/import.js'
import { readSource } from '../transfer/sources.js'
import { AccountService } from '../accounts/service.js'
import { isShardedLayout } from '../store/drivers/directory.js'
import { overlayStore } from '../store/drivers/overlay.js'
import { openConfiguredStore } from '../open-store.js'
import { describeStore } from '../store/index.js'
import { writeFileAtomic } from '../store/utils/atomic-write.js'
import type { CliFlags } from '../config/flags.js'
import type { ExportFormat } from './args.js'

export type Io = {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
}

function line(outcome: string, pubkey: string | undefined, where: string, detail?: string): string {
  return `${outcome.padEnd(12)} ${pubkey ?? '-'.padEnd(56)} ${where}${detail ? `: ${detail}` : ''}\n`
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
  const opened = await openConfiguredStore(store)
  const target = options.dryRun ? overlayStore(opened) : opened
  const service = new AccountService({ store: target, trust, clockSkewSeconds: config.clockSkewMs / 1000 })
  try {
    return await run(service)
  } finally {
    service.close()
    await target.close()
  }
}

export async function runImport(source: string, config: ServerConfig, flags: CliFlags, io: Io): Promise<number> {
  io.stderr.write(`importing ${source} into the ${describeStore(config.store)}${flags.dryRun ? ' (dry run)' : ''}\n`)
  const summary = await withService(config, config.store, { trusted: true, dryRun: flags.dryRun }, (service) =>
    importItems(readSource(source, config.replicationTimeoutMs), service, {
      source,
      onLine: (l: ImportLine) => {
        const outcome = l.outcome === 'stored' && flags.dryRun ? 'would store' : l.outcome
        io.stdout.write(line(outcome, l.pubkey, l.origin, l.outcome === 'stored' || l.outcome === 'unchanged' ? undefined : l.detail))
      },
    }),
  )
  io.stdout.write(`${formatSummary(summary, flags.dryRun)}\n`)
  return summary.rejected > 0 ? 1 : 0
}

export async function runExport(
  command: { target: string; format: ExportFormat },
  config: ServerConfig,
  flags: CliFlags,
  io: Io,
): Promise<number> {
  const { target, format } = command
  const store: StoreConfig =
    config.store.type === 'directory' ? { ...config.store, shard: await isShardedLayout(config.store.dir) } : config.store
  // With the configuration on stdout, the report goes to stderr.
  const report = target === '-' ? io.stderr : io.stdout
  const print = (l: ExportLine) => {
    const outcome = l.outcome === 'stored' ? (flags.dryRun ? 'would export' : 'exported') : l.outcome
    report.write(line(outcome, l.pubkey, target === '-' ? 'stdout' : target, l.outcome === 'skipped' ? l.detail : undefined))
  }
  return withService(config, store, { trusted: format === 'config' }, async (service) => {
    let summary: ExportSummary
    if (format === 'dir') {
      summary = await exportToDirectory(service, { dir: target, shard: flags.shard }, { dryRun: flags.dryRun, onLine: print })
    } else {
      const exported = await memoryResolverConfig(service, service.trust!, { systemAccount: flags.systemAccount, onLine: print })
      summary = exported.summary
      if (!flags.dryRun) {
        if (target === '-') io.stdout.write(exported.text)
        else await writeFileAtomic(target, exported.text)
      }
    }
    report.write(`${formatExportSummary(summary, flags.dryRun)}\n`)
    return 0
  })
}
