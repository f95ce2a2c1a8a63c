/**
 * `nats-accounts check [--json]`: the cross-account checks on a store, as the server runs them,
 * for CI and cron. Exit 1 when a finding is an error.
 * @module
 */
import { access } from 'node:fs/promises'
import { CheckIndex, type Finding } from '../checks/index.js'
import type { ServerConfig } from '../config/types.js'
import { ConfigError } from '../errors.js'
import { loadOperator } from '../jwt/trust.js'
import type { StoredAccount } from '../jwt/types.js'
import { describeStore, openStore } from '../store/index.js'
import type { StoreConfig } from '../store/types.js'
import type { Io } from './transfer.js'

/** A store that is not there is a mistake in the flags, not an empty store to create. */
async function assertStoreExists(store: StoreConfig): Promise<void> {
  const path = store.type === 'sqlite' ? store.file : store.dir
  try {
    await access(path)
  } catch {
    throw new ConfigError(`there is no ${describeStore(store)}: name the server's store (-dir, --shard, --sqlite, or its configuration with -c)`)
  }
}

const RANK = { error: 0, warning: 1 } as const

function byImportance(a: Finding, b: Finding): number {
  return RANK[a.severity] - RANK[b.severity] || a.code.localeCompare(b.code) || a.account.localeCompare(b.account)
}

export async function runCheck(config: ServerConfig, options: { json: boolean }, io: Io): Promise<number> {
  const trust = config.operator === '' ? null : await loadOperator(config.operator)
  await assertStoreExists(config.store)
  const store = await openStore(config.store)
  const accounts: StoredAccount[] = []
  try {
    for await (const account of store.list()) accounts.push(account)
  } finally {
    await store.close()
  }
  const index = new CheckIndex()
  index.load(accounts)
  const context = {
    nowSeconds: Math.floor(Date.now() / 1000),
    expiringWithinSeconds: config.checks.expiringWithinMs / 1000,
    trust,
    servers: [],
  }
  const findings = [...index.all(context)].sort(byImportance)
  const errors = findings.filter((f) => f.severity === 'error').length
  const warnings = findings.length - errors
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ accounts: accounts.length, errors, warnings, findings }, null, 2)}\n`)
  } else {
    if (trust === null) io.stderr.write('no operator given (-operator): the issuer check is skipped\n')
    for (const f of findings) io.stdout.write(`${f.severity.padEnd(8)} ${f.code.padEnd(28)} ${f.message}\n`)
    io.stdout.write(`${findings.length} finding${findings.length === 1 ? '' : 's'} in ${accounts.length} accounts of the ${describeStore(config.store)}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`)
  }
  return errors > 0 ? 1 : 0
}
