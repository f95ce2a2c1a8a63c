/**
 * JSON API benchmark: the account list and the checks with many accounts (100,000 by default,
 * one in ten importing from another): the time to read them all at start-up, the memory the
 * index takes, and the latency of `/api/v1/` requests answered by the app.
 * `npm run bench:api -- [count]`.
 */
import { AccountOverview } from '../../src/accounts/overview.js'
import { AccountService } from '../../src/accounts/service.js'
import { buildApp } from '../../src/app.js'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { parseOperator } from '../../src/jwt/trust.js'
import type { StoredAccount } from '../../src/jwt/types.js'
import { createLogger } from '../../src/log/logger.js'
import { memoryStore } from '../../src/store/drivers/memory.js'
import { mintAccount, mintOperator, newKey } from '../../test/helpers/mint.js'
import { randomAccountKey } from './lib.js'

const count = Number(process.argv[2] ?? 100_000)
const RUNS = 21

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

async function timed(app: ReturnType<typeof buildApp>, path: string): Promise<string> {
  const times: number[] = []
  let size = 0
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now()
    const res = await app.request(path)
    size = (await res.arrayBuffer()).byteLength
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}`)
    times.push(performance.now() - started)
  }
  return `${median(times).toFixed(2)} ms (median of ${RUNS}, ${(size / 1024).toFixed(1)} KiB)`
}

async function main(): Promise<void> {
  const operator = newKey('operator')
  const trust = parseOperator(mintOperator(operator, { name: 'BENCH' }), 'bench')
  const store = memoryStore()
  const keys: string[] = []
  const iat = Math.floor(Date.now() / 1000) - 60
  for (let i = 0; i < count; i++) {
    const key = randomAccountKey()
    const nats: Record<string, unknown> =
      i % 10 === 0 && i > 0
        ? { imports: [{ account: keys[i - 1], subject: `svc.${i - 1}.>`, type: 'stream' }] }
        : { exports: [{ subject: `svc.${i}.>`, type: 'stream' }] }
    const jwt = mintAccount(key, operator, { iat, name: `acct-${i}`, nats })
    const account: StoredAccount = { ...readStoredMeta(jwt), jwt }
    await store.put(account, { kind: 'import' })
    keys.push(key)
  }
  const service = new AccountService({ store, trust })
  const logger = createLogger({ level: 'error' })
  global.gc?.()
  const heapBefore = process.memoryUsage().heapUsed
  const overview = new AccountOverview({ service, logger })
  let started = performance.now()
  await overview.ready()
  const loadMs = performance.now() - started
  global.gc?.()
  const heapAfter = process.memoryUsage().heapUsed
  const app = buildApp({ service, logger, overview })
  console.log(`accounts: ${count.toLocaleString('en-US')} (one in ten imports from another)`)
  console.log(`index built (list + checks) in ${Math.round(loadMs)} ms; heap +${((heapAfter - heapBefore) / 1024 / 1024).toFixed(1)} MiB${global.gc ? '' : ' (run with --expose-gc for an exact figure)'}`)
  console.log(`GET /api/v1/accounts (first page of 100):   ${await timed(app, '/api/v1/accounts')}`)
  console.log(`GET /api/v1/accounts?q=acct-9999 (search):  ${await timed(app, '/api/v1/accounts?q=acct-9999')}`)
  console.log(`GET /api/v1/accounts?status=expired:        ${await timed(app, '/api/v1/accounts?status=expired')}`)
  console.log(`GET /api/v1/accounts?cursor=<middle>:       ${await timed(app, `/api/v1/accounts?cursor=${[...keys].sort()[Math.floor(count / 2)]}`)}`)
  console.log(`GET /api/v1/accounts/<key>:                 ${await timed(app, `/api/v1/accounts/${keys[42]}`)}`)
  console.log(`GET /api/v1/checks:                          ${await timed(app, '/api/v1/checks')}`)
  const changes: number[] = []
  for (let i = 1; i < RUNS; i++) {
    const jwt = mintAccount(keys[i * 10 - 1]!, operator, { iat: iat + i, name: 'changed', nats: { exports: [{ subject: 'other.>', type: 'stream' }] } })
    started = performance.now()
    await service.push(jwt, { source: { kind: 'http' } })
    await overview.pushLines(keys[i * 10 - 1]!)
    changes.push(performance.now() - started)
  }
  console.log(`push of an exporter (store + incremental checks + answer lines): ${median(changes).toFixed(2)} ms (median of ${RUNS - 1})`)
  overview.close()
  service.close()
}

await main()
