/**
 * The cost of a fleet scan. Part 1, a real nats-server holding N accounts (one user connected
 * per account; 1 in 10 stored in a newer version, so drifted): a cold scan at full speed and at
 * the default budget, then a warm one. Part 2, what the scan keeps for 100,000 accounts on 50
 * servers (the snapshot's memory) and what listing such a fleet weighs (50 lists of 100,000
 * keys, answered by stand-ins on a real nats-server). `npm run bench:fleet -- [N]`.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { accountsHeld } from '../../src/fleet/requests.js'
import { DEFAULT_SCAN_OPTIONS, FleetScanner } from '../../src/fleet/scan.js'
import { FleetSnapshot } from '../../src/fleet/snapshot.js'
import { memoryStore } from '../../src/store/drivers/memory.js'
import { formatCreds, mintAccount, mintOperator, mintUser, newKey } from '../../test/helpers/mint.js'
import { startNatsServer } from '../../test/helpers/nats-server.js'
import { randomAccountKey, tempDir } from './lib.js'

const count = Number(process.argv[2] ?? 500)
const dir = await tempDir()
const operator = newKey('operator')
const sys = newKey('account')
const accounts = Array.from({ length: count }, () => newKey('account'))
const iat = Math.floor(Date.now() / 1000) - 60
const operatorFile = join(dir, 'operator.jwt')
await writeFile(operatorFile, mintOperator(operator, { name: 'BENCH', nats: { system_account: sys.publicKey } }))
const running = new Map([sys, ...accounts].map((a) => [a.publicKey, mintAccount(a.publicKey, operator, { iat })]))
const preload = [...running].map(([key, jwt]) => `  ${key}: "${jwt}"`).join('\n')
const nats = await startNatsServer({
  config: `operator: ${JSON.stringify(operatorFile)}\nsystem_account: ${sys.publicKey}\nresolver: MEMORY\nresolver_preload: {\n${preload}\n}\nmax_connections: ${count + 100}\nmax_payload: 8388608\n`,
})
const creds = (account: ReturnType<typeof newKey>) => {
  const user = newKey('user')
  return credsAuthenticator(new TextEncoder().encode(formatCreds(mintUser(user.publicKey, account), user.seed!)))
}
const users: NatsConnection[] = []
for (const account of accounts) users.push(await connect({ servers: nats.url, authenticator: creds(account), reconnect: false }))
const nc = await connect({ servers: nats.url, authenticator: creds(sys), reconnect: false })

const store = memoryStore()
for (const [i, account] of accounts.entries()) {
  const jwt = i % 10 === 0 ? mintAccount(account.publicKey, operator, { iat: iat + 1 }) : running.get(account.publicKey)!
  await store.put({ ...readStoredMeta(jwt), jwt }, { kind: 'import', detail: 'bench' })
}

const row = (label: string, r: { requests: number; ms: number; drifted: number }, bytes: number) =>
  console.log(`${label.padEnd(34)} ${String(r.requests).padStart(6)} requests ${String(r.ms).padStart(7)} ms  ${(r.requests / (r.ms / 1000)).toFixed(0).padStart(6)} req/s  ${(bytes / Math.max(r.requests, 1)).toFixed(0).padStart(5)} B/request  drifted ${r.drifted}`)
console.log(`# one nats-server 2.9.10, ${count} accounts in use (+ SYS), loopback, this machine shared and loaded`)
for (const [label, options] of [
  ['cold scan, no budget', { ratePerSecond: 1_000_000 }],
  [`cold scan, default budget (${DEFAULT_SCAN_OPTIONS.ratePerSecond}/s)`, {}],
] as const) {
  const scanner = new FleetScanner(store, options)
  const before = nc.stats().inBytes
  const result = await scanner.scan(nc)
  row(label, result, nc.stats().inBytes - before)
  if (label.startsWith('cold scan, default')) {
    const warmBefore = nc.stats().inBytes
    const warm = await scanner.scan(nc)
    row('warm scan (pairs in sync skipped)', warm, nc.stats().inBytes - warmBefore)
  }
}
for (const user of users) await user.close()

// Part 2: the snapshot of 100,000 accounts on 50 servers, every server running every account.
const ACCOUNTS = 100_000
const SERVERS = 50
const keys = Array.from({ length: ACCOUNTS }, randomAccountKey)
const ids = Array.from({ length: SERVERS }, (_, i) => `N${String(i).padStart(55, 'S')}`)
const collect = () => [1, 2, 3].forEach(() => global.gc?.())
collect()
const heapBefore = process.memoryUsage().heapUsed
const snapshot = new FleetSnapshot()
for (const key of keys) snapshot.record(key, { stored: { jti: key.slice(0, 43), iat }, current: [...ids], other: null, checkedAt: Date.now() })
collect()
// Named after the measurement, so the snapshot is still alive when the heap is read.
console.log(`# snapshot of ${snapshot.accountsInUse} accounts x ${SERVERS} servers, all in sync: ${((process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024).toFixed(0)} MiB of heap`)

// One census of that fleet: 50 stand-ins each list the 100,000 keys.
const list = JSON.stringify(keys)
const standIns: NatsConnection[] = []
for (const id of ids) {
  const standIn = await connect({ servers: nats.url, authenticator: creds(sys), reconnect: false, timeout: 20_000 })
  const reply = `{"server":{"id":"${id}"},"data":{"accounts":${list}}}`
  standIn.subscribe(`$SYS.REQ.SERVER.${id}.ACCOUNTZ`, { callback: (_, msg) => void msg.respond(reply) })
  await standIn.flush()
  standIns.push(standIn)
}
const censusBefore = nc.stats().inBytes
const started = performance.now()
let listed = 0
for (const id of ids) listed += (await accountsHeld(nc, id, 60_000))?.length ?? 0
console.log(`# account lists of ${SERVERS} stand-in servers x ${ACCOUNTS} accounts (${listed} keys), one server at a time: ${((nc.stats().inBytes - censusBefore) / 1024 / 1024).toFixed(0)} MiB received in ${Math.round(performance.now() - started)} ms`)
for (const standIn of standIns) await standIn.close()
await nc.close()
await nats.stop()
