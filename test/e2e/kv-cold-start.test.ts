/**
 * Cold start of a self-hosted topology: one operator-mode nats-server 2.9 JetStream cluster (3
 * nodes) holds the KV bucket AND resolves its accounts from nats-accounts over
 * `resolver: URL(...)`, so the account that holds the bucket must be served before the bucket
 * can be read. Two instances keep a local snapshot of the bucket (--kv-snapshot); after
 * everything is killed, the instances start first (the cluster is down), serve the accounts
 * from their snapshots, the cluster starts and resolves its accounts from them, and the
 * instances catch up with the bucket by themselves.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, credsAuthenticator } from '@nats-io/transport-node'
import { afterAll, expect, it } from 'vitest'
import { STALE_WARNING } from '../../src/http/account-response.js'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { instancePorts, startInstances, type InstanceFleet } from '../helpers/instances.js'
import { formatCreds, mintAccount, mintOperator, mintUser, newKey, UNLIMITED, type Signer } from '../helpers/mint.js'
import { startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const BUCKET = 'accounts_selfhosted'
/** JetStream for the account that holds the bucket (nats-server enables it from these limits). */
const JETSTREAM_LIMITS = { ...UNLIMITED, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 }

let cluster: NatsCluster | undefined
let fleet: InstanceFleet | undefined
afterAll(async () => {
  await fleet?.stop()
  await cluster?.stop()
})

async function writeCreds(dir: string, name: string, account: Signer): Promise<string> {
  const user = newKey('user')
  const file = join(dir, `${name}.creds`)
  await writeFile(file, formatCreds(mintUser(user.publicKey, account), user.seed!))
  return file
}

async function status(url: string): Promise<number> {
  return (await fetch(url, { signal: AbortSignal.timeout(10_000) })).status
}

it('cold start of a cluster that resolves the account holding the bucket from the instances', async () => {
  const dir = await tempDir()
  const operator = newKey('operator')
  const sys = newKey('account')
  const kvAccount = newKey('account')
  const app = newKey('account')
  const operatorFile = join(dir, 'op.jwt')
  await writeFile(operatorFile, mintOperator(operator, { nats: { system_account: sys.publicKey } }))
  const jwts = {
    sys: mintAccount(sys.publicKey, operator, { name: 'SYS' }),
    kv: mintAccount(kvAccount.publicKey, operator, { name: 'KV', nats: { limits: JETSTREAM_LIMITS } }),
    app: mintAccount(app.publicKey, operator, { name: 'APP' }),
  }
  const kvCreds = await writeCreds(dir, 'kv', kvAccount)
  const sysCreds = await writeCreds(dir, 'sys', sys)
  const appCreds = await writeCreds(dir, 'app', app)
  const trust = `operator: ${JSON.stringify(operatorFile)}\nsystem_account: ${sys.publicKey}\n`

  // First boot: nothing to resolve from yet, so the cluster preloads the two accounts it needs.
  cluster = await startNatsCluster({
    config: `${trust}resolver: MEMORY\nresolver_preload: {\n  ${sys.publicKey}: ${jwts.sys}\n  ${kvAccount.publicKey}: ${jwts.kv}\n}\n`,
  })
  await cluster.waitHealthy()
  const ports = await instancePorts(2)
  const args = (i: number) => [
    '--kv', BUCKET, '--kv-servers', cluster!.urls.join(','), '--kv-creds', kvCreds, '--kv-replicas', '3',
    '--kv-snapshot', join(dir, `snapshot-${i}`),
    '-operator', operatorFile, '-nats', cluster!.urls.join(','), '-creds', sysCreds,
  ]
  // The system account JWT comes from the configuration, stored at every start (when it can be).
  fleet = await startInstances(2, args, { ports, timeoutMs: 60_000, env: { NATS_ACCOUNTS_SYSTEM_ACCOUNT_JWT: jwts.sys } })
  for (const jwt of [jwts.kv, jwts.app]) {
    const res = await fetch(`${fleet.bases[0]}/jwt/v1/accounts/${readStoredMeta(jwt).pubkey}`, { method: 'POST', body: jwt })
    expect(res.status).toBeLessThan(300)
  }
  const kvUrl = (i: number) => `${fleet!.bases[i]}/jwt/v1/accounts/${kvAccount.publicKey}`
  for (const i of [0, 1]) await waitFor(async () => (await status(kvUrl(i))) === 200, { timeoutMs: 15_000, message: `instance ${i} serving KV` })
  // Killed without a chance to write it: the snapshots must already hold the accounts.
  const snapshotHolds = async (i: number) => {
    const text = await readFile(join(dir, `snapshot-${i}`), 'utf8').catch(() => '')
    return [sys, kvAccount, app].every((key) => text.includes(key.publicKey))
  }
  for (const i of [0, 1]) await waitFor(() => snapshotHolds(i), { timeoutMs: 120_000, intervalMs: 250, message: `snapshot ${i} written` })

  // Everything killed; from now on the cluster resolves its accounts from the instances.
  await Promise.all([fleet.kill(0), fleet.kill(1), cluster.killAll()])
  cluster.reconfigure((i) => `${trust}resolver: URL(${fleet!.bases[i % 2]}/jwt/v1/accounts/)\n`)

  // The instances first (nats-server refuses to start while its URL resolver does not answer):
  // with the cluster down they serve the accounts from their snapshots, marked stale, not ready.
  await Promise.all([fleet.restart(0), fleet.restart(1)])
  for (const i of [0, 1]) {
    const res = await fetch(kvUrl(i))
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(jwts.kv)
    expect(res.headers.get('warning')).toBe(STALE_WARNING)
    expect(await status(`${fleet.bases[i]}/readyz`)).toBe(503)
  }

  // The cluster resolves the KV account from the instances, recovers the bucket; the instances
  // connect, catch up and become ready, without a restart.
  await cluster.restartAll()
  await cluster.waitHealthy(120_000)
  for (const i of [0, 1]) {
    await waitFor(async () => (await status(`${fleet!.bases[i]}/readyz`)) === 200, { timeoutMs: 120_000, intervalMs: 250, message: `instance ${i} ready` })
  }
  const next = mintAccount(app.publicKey, operator, { name: 'APP2', iat: Math.floor(Date.now() / 1000) + 1 })
  expect((await fetch(`${fleet.bases[1]}/jwt/v1/accounts/${app.publicKey}`, { method: 'POST', body: next })).status).toBeLessThan(300)
  await waitFor(async () => (await (await fetch(`${fleet!.bases[0]}/jwt/v1/accounts/${app.publicKey}`)).text()) === next, { timeoutMs: 15_000, message: 'the new APP served by the other instance' })
  expect((await fetch(kvUrl(0))).headers.get('warning')).toBeNull()
  // A user of an account served by the instances connects to the cluster.
  const nc = await connect({ servers: cluster.urls, authenticator: credsAuthenticator(await readFile(appCreds)), reconnect: false, timeout: 10_000 })
  await nc.flush()
  await nc.close()
}, 420_000)
