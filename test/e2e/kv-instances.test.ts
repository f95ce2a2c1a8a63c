/**
 * Many nats-accounts instances (the built CLI), one JetStream KV bucket (R3 on a real 3-node
 * nats-server 2.9 cluster): a write accepted by one is served by the others, no instance serves
 * an older version after a newer one, the update notification goes out once per change in the
 * whole cluster, PACK and LOOKUP answers are right whichever instance gives them, and --workers
 * works on top. Propagation time is measured by `npm run bench`, not here.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { runCli } from '../helpers/cli.js'
import { fresh } from '../helpers/fresh-http.js'
import { mintAccount, mintOperator, newKey, type Signer } from '../helpers/mint.js'
import { KV_ACCOUNTS_CONFIG, kvServers, startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js'
import { startInstances, type InstanceFleet } from '../helpers/instances.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const BUCKET = 'accounts_instances'

let cluster: NatsCluster
let fleet: InstanceFleet
let workers: InstanceFleet
let sys: NatsConnection
let operator: Signer
let operatorFile: string
/** Every update notification seen on the cluster, as `<subject kind> <jti>`. */
const notifications: string[] = []

function kvArgs(): string[] {
  return ['--kv', BUCKET, '--kv-servers', kvServers(cluster), '--kv-replicas', '3', '-operator', operatorFile]
}

const accountUrl = (base: string, pubkey: string) => `${base}/jwt/v1/accounts/${pubkey}`

async function post(base: string, jwt: string): Promise<number> {
  return (await fresh(accountUrl(base, readStoredMeta(jwt).pubkey), jwt)).status
}

/** Polls until `base` serves exactly `jwt` for its account. */
async function servedBy(base: string, jwt: string): Promise<void> {
  const url = accountUrl(base, readStoredMeta(jwt).pubkey)
  await waitFor(async () => (await fresh(url)).text === jwt, { timeoutMs: 10_000, intervalMs: 10, message: `${base} serving the new JWT` })
}

beforeAll(async () => {
  const dir = await tempDir()
  operator = newKey('operator')
  operatorFile = join(dir, 'op.jwt')
  await writeFile(operatorFile, mintOperator(operator))
  cluster = await startNatsCluster({ config: KV_ACCOUNTS_CONFIG })
  await cluster.waitHealthy()
  const sysServers = kvServers(cluster, 'sys:sys')
  sys = await connect({ servers: cluster.urls, user: 'sys', pass: 'sys', maxReconnectAttempts: -1 })
  for (const subject of ['$SYS.ACCOUNT.*.CLAIMS.UPDATE', '$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE']) {
    sys.subscribe(subject, {
      callback: (_, msg) => void notifications.push(`${subject.startsWith('$SYS.REQ') ? 'request' : 'legacy'} ${readStoredMeta(msg.string()).jti}`),
    })
  }
  await sys.flush()
  // The first instance creates the R3 bucket; the others open it.
  const first = await startInstances(1, () => [...kvArgs(), '-nats', sysServers], { timeoutMs: 60_000 })
  const rest = await startInstances(2, () => [...kvArgs(), '-nats', sysServers], { timeoutMs: 60_000 })
  fleet = {
    instances: [...first.instances, ...rest.instances],
    bases: [...first.bases, ...rest.bases],
    kill: () => Promise.reject(new Error('not used')),
    restart: () => Promise.reject(new Error('not used')),
    stop: async () => {
      await Promise.all([first.stop(), rest.stop()])
    },
  }
  workers = await startInstances(1, () => [...kvArgs(), '--workers', '2'], { timeoutMs: 60_000 })
  await waitFor(() => workers.instances[0]!.logs().includes('all 2 workers are serving'), { timeoutMs: 30_000, message: 'both workers serving' })
}, 180_000)

afterAll(async () => {
  await fleet?.stop()
  await workers?.stop()
  await sys?.close()
  await cluster?.stop()
})

describe('several instances on one KV bucket', () => {
  it('a write accepted by one instance is served by every other', async () => {
    const account = newKey('account').publicKey
    const jwt = mintAccount(account, operator)
    expect(await post(fleet.bases[0]!, jwt)).toBe(200)
    // Read-your-writes: the accepting instance serves it at once, watch or no watch.
    expect((await fresh(accountUrl(fleet.bases[0]!, account))).text).toBe(jwt)
    for (const base of [...fleet.bases.slice(1), ...workers.bases]) await servedBy(base, jwt)
  })

  it('no instance serves an older version after it served a newer one', async () => {
    const account = newKey('account').publicKey
    const now = Math.floor(Date.now() / 1000)
    const versions = Array.from({ length: 15 }, (_, i) => mintAccount(account, operator, { iat: now - 100 + i }))
    const watchers = [...fleet.bases.slice(1), ...workers.bases].map(async (base) => {
      const seen: number[] = []
      const last = versions.length - 1
      await waitFor(
        async () => {
          const { status, text } = await fresh(accountUrl(base, account))
          if (status === 200) seen.push(versions.indexOf(text))
          return seen.at(-1) === last
        },
        { timeoutMs: 30_000, intervalMs: 1, message: `${base} serving the last version` },
      )
      return seen
    })
    for (const version of versions) expect(await post(fleet.bases[0]!, version)).toBe(200)
    for (const seen of await Promise.all(watchers)) {
      expect(seen).not.toContain(-1)
      for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!)
    }
  })

  it('sends the update notification once per change in the whole cluster, from the accepting instance', async () => {
    const accounts = Array.from({ length: 4 }, () => newKey('account').publicKey)
    const jwts = accounts.map((account, i) => mintAccount(account, operator, { name: `n${i}` }))
    // Each instance accepts some: every instance's watch then sees the others' changes.
    for (const [i, jwt] of jwts.entries()) expect(await post(fleet.bases[i % fleet.bases.length]!, jwt)).toBe(200)
    // A JWT arriving over NATS (an nsc push by request) is taken by one instance too.
    const overNats = mintAccount(newKey('account').publicKey, operator)
    const replies = await sys.requestMany(`$SYS.REQ.ACCOUNT.${readStoredMeta(overNats).pubkey}.CLAIMS.UPDATE`, overNats, { strategy: 'stall', stall: 500, maxWait: 5_000 })
    for await (const reply of replies) expect(reply.string()).not.toMatch(/"error"/)
    const all = [...jwts, overNats]
    // Once every instance (and worker) serves every change, every watch has delivered them.
    for (const base of [...fleet.bases, ...workers.bases]) for (const jwt of all) await servedBy(base, jwt)
    // A last change sent and seen after the others: any late duplicate would have come before it.
    const sentinel = mintAccount(newKey('account').publicKey, operator)
    expect(await post(fleet.bases[2]!, sentinel)).toBe(200)
    for (const base of [...fleet.bases, ...workers.bases]) await servedBy(base, sentinel)
    await waitFor(() => notifications.includes(`request ${readStoredMeta(sentinel).jti}`), { message: 'the last notification' })
    await sys.flush()
    for (const jwt of [...all, sentinel]) {
      const { jti } = readStoredMeta(jwt)
      expect(notifications.filter((n) => n === `legacy ${jti}`), jti).toHaveLength(1)
      // The relayed request for the NATS-borne one is the client's own, plus the instance's notification.
      const requests = jwt === overNats ? 2 : 1
      expect(notifications.filter((n) => n === `request ${jti}`), jti).toHaveLength(requests)
    }
  })

  it('PACK and LOOKUP answers carry every instance\'s latest writes, whichever instance answers', async () => {
    const account = newKey('account').publicKey
    const now = Math.floor(Date.now() / 1000)
    const older = mintAccount(account, operator, { iat: now - 10 })
    const newer = mintAccount(account, operator, { iat: now - 5 })
    expect(await post(fleet.bases[0]!, older)).toBe(200)
    expect(await post(fleet.bases[1]!, newer)).toBe(200)
    for (const base of fleet.bases) await servedBy(base, newer)
    const stored = new Set<string>()
    // PACK: one instance of the `responder` queue group answers; asked often enough, each does.
    for (let round = 0; round < 9; round++) {
      const lines: string[] = []
      const replies = await sys.requestMany('$SYS.REQ.CLAIMS.PACK', new Uint8Array(32), { strategy: 'sentinel', maxWait: 10_000 })
      for await (const reply of replies) if (reply.data.length > 0) lines.push(reply.string())
      const mine = lines.filter((line) => line.startsWith(`${account}|`))
      expect(mine).toEqual([`${account}|${newer}`])
      // One answer, not one per instance: no key twice.
      const keys = lines.map((line) => line.slice(0, line.indexOf('|')))
      expect(new Set(keys).size).toBe(keys.length)
      stored.add(String(keys.length))
    }
    expect(stored.size).toBe(1)
    // LOOKUP: every instance answers (nats-server takes the first); each answer is the newest.
    const answers: string[] = []
    const lookups = await sys.requestMany(`$SYS.REQ.ACCOUNT.${account}.CLAIMS.LOOKUP`, '', { strategy: 'stall', stall: 1_000, maxWait: 5_000 })
    for await (const reply of lookups) answers.push(reply.string())
    expect(answers.length).toBeGreaterThanOrEqual(fleet.bases.length)
    for (const answer of answers) expect(answer).toBe(newer)
  })

  it('--workers 2 on the bucket: both workers serve the other instances\' writes, and their own at once', async () => {
    const [base] = workers.bases
    const account = newKey('account').publicKey
    const now = Math.floor(Date.now() / 1000)
    const fromOther = mintAccount(account, operator, { iat: now - 50 })
    expect(await post(fleet.bases[0]!, fromOther)).toBe(200)
    await servedBy(base!, fromOther)
    for (const res of await Promise.all(Array.from({ length: 10 }, () => fresh(accountUrl(base!, account))))) expect(res.text).toBe(fromOther)
    for (let round = 1; round <= 5; round++) {
      const jwt = mintAccount(account, operator, { iat: now - 50 + round })
      expect(await post(base!, jwt)).toBe(200)
      // Whichever worker answers the next GETs serves what the POST's answer acknowledged.
      for (const res of await Promise.all(Array.from({ length: 10 }, () => fresh(accountUrl(base!, account))))) expect(res.text).toBe(jwt)
      await servedBy(fleet.bases[2]!, jwt)
    }
  })

  it('an import into the bucket by the CLI is served by every instance; none of them notifies it (none accepted it)', async () => {
    const dir = await tempDir()
    const jwt = mintAccount(newKey('account').publicKey, operator)
    await writeFile(join(dir, `${readStoredMeta(jwt).pubkey}.jwt`), jwt)
    const run = runCli(['import', dir, ...kvArgs()])
    expect(await run.exited, run.logs()).toBe(0)
    for (const base of [...fleet.bases, ...workers.bases]) await servedBy(base, jwt)
    const sentinel = mintAccount(newKey('account').publicKey, operator)
    expect(await post(fleet.bases[0]!, sentinel)).toBe(200)
    for (const base of fleet.bases) await servedBy(base, sentinel)
    await waitFor(() => notifications.includes(`request ${readStoredMeta(sentinel).jti}`), { message: 'the last notification' })
    await sys.flush()
    const { jti } = readStoredMeta(jwt)
    expect(notifications.filter((n) => n.endsWith(` ${jti}`))).toEqual([])
  })
})
