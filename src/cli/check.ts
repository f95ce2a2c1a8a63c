/**
 * `nats-accounts check [--json]`: the cross-account checks on a store, as the server runs them,
 * for CI and cron. Exit 1 when a finding is an error.
 * @module
 */
import { access } from 'node:fs/promises'
import { CheckIndex, type Finding } from '../checks/index.js'
import type { ServerConfig } from '../config/types.js'
import { ConfigError } from '../errors.js'
import { scanFleetOnce } from '../fleet/once.js'
import { loadOperator } from '../jwt/trust.js'
import type { StoredAccount } from '../jwt/types.js'
import { openConfiguredStore } from '../open-store.js'
import { describeStore } from '../store/index.js'
import type { StoreConfig } from '../store/types.js'
import type { Io } from './transfer.js'

/** A store that is not there is a mistake in the flags, not an empty store to create. */
async function assertStoreExists(store: StoreConfig): Promise<void> {
  // A bucket that is not there is found when it is opened.
  if (store.type === 'kv') return
  const path = store.type === 'sqlite' ? store.file : store.dir
  try {
    await access(path)
  } catch {
    throw new ConfigError(`there is no ${describeStore(store)}: name the server's store (-dir, --shard, --sqlite, --kv, or its configuration with -c)`)
  }
}

const RANK = { error: 0, warning: 1 } as const

function byImportance(a: Finding, b: Finding): number {
  return RANK[a.severity] - RANK[b.severity] || a.code.localeCompare(b.code) || a.account.localeCompare(b.account)
}

export async function runCheck(config: ServerConfig, options: { json: boolean }, io: Io): Promise<number> {
  const trust = config.operator === '' ? null : await loadOperator(config.operator)
  await assertStoreExists(config.store)
  const store = await openConfiguredStore(config.store)
  const accounts: StoredAccount[] = []
  try {
    for await (const account of store.list()) accounts.push(account)
  } finally {
    await store.close()
  }
  const index = new CheckIndex()
  index.load(accounts)
  const fleet = await fleetOf(config, accounts)
  const context = {
    nowSeconds: Math.floor(Date.now() / 1000),
    expiringWithinSeconds: config.checks.expiringWithinMs / 1000,
    trust,
    servers: fleet?.servers ?? [],
  }
  const findings = [...index.all(context)].sort(byImportance)
  const errors = findings.filter((f) => f.severity === 'error').length
  const warnings = findings.length - errors
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ accounts: accounts.length, errors, warnings, findings, ...(fleet ? { fleet } : {}) }, null, 2)}\n`)
  } else {
    if (trust === null) io.stderr.write('no operator given (-operator): the issuer check is skipped\n')
    for (const f of findings) io.stdout.write(`${f.severity.padEnd(8)} ${f.code.padEnd(28)} ${f.message}\n`)
    if (fleet) writeFleet(fleet, accounts, io)
    io.stdout.write(`${findings.length} finding${findings.length === 1 ? '' : 's'} in ${accounts.length} accounts of the ${describeStore(config.store)}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`)
  }
  return errors > 0 ? 1 : 0
}

type FleetReport = {
  servers: { name: string; id: string; version: string; cluster: string | null; jetstream: boolean }[]
  /** Accounts some nats-server runs in an older version than stored, with those servers. */
  drifted: { account: string; servers: string[] }[]
}

/** With -nats: the nats-servers and the drift, from one fleet scan (null without NATS). */
async function fleetOf(config: ServerConfig, accounts: StoredAccount[]): Promise<FleetReport | null> {
  if (config.nats.servers.length === 0) return null
  const byKey = new Map(accounts.map((account) => [account.pubkey, account]))
  const { view } = await scanFleetOnce(config.nats, { get: async (pubkey) => byKey.get(pubkey) ?? null }, { ratePerSecond: config.nats.fleetRate })
  return {
    servers: view.servers().map(({ name, id, version, cluster, jetstream }) => ({ name, id, version, cluster, jetstream })),
    drifted: view.drifted().map(({ pubkey, servers }) => ({ account: pubkey, servers })),
  }
}

function writeFleet(fleet: FleetReport, accounts: StoredAccount[], io: Io): void {
  const names = new Map(accounts.map((account) => [account.pubkey, account.name]))
  for (const server of fleet.servers) {
    io.stdout.write(`server   ${server.name} ${server.version}${server.cluster ? ` cluster ${server.cluster}` : ''}${server.jetstream ? ' jetstream' : ''}\n`)
  }
  for (const { account, servers } of fleet.drifted) {
    io.stdout.write(`drifted  account ${names.get(account)} (${account}) runs an older version than stored on ${servers.join(', ')}: notify it again (POST /api/v1/accounts/${account}/notify, or serve with --auto-resync)\n`)
  }
  io.stdout.write(`${fleet.servers.length} nats-server${fleet.servers.length === 1 ? '' : 's'}, ${fleet.drifted.length} drifted account${fleet.drifted.length === 1 ? '' : 's'}\n`)
}
