/**
 * An in-process app for HTTP tests: real service, real (memory or directory) store, silent logs.
 */
import { pino } from 'pino'
import { buildApp } from '../../src/app.js'
import { parseOperator, type OperatorTrust } from '../../src/jwt/trust.js'
import { AccountService } from '../../src/accounts/service.js'
import { memoryStore } from '../../src/store/drivers/memory.js'
import type { JwtStore } from '../../src/store/types.js'
import { loadFixtureSet, type FixtureSetName } from './fixtures.js'

export const silentLogger = pino({ level: 'silent' })

export type TestApp = ReturnType<typeof buildApp> & { service: AccountService; store: JwtStore }

export function trustOf(set: FixtureSetName): OperatorTrust {
  const fixtures = loadFixtureSet(set)
  return parseOperator(fixtures.operatorJwt, fixtures.operatorPath)
}

export function buildTestApp(
  options: { trust?: OperatorTrust | null; store?: JwtStore; now?: () => number; maxPack?: number; maxBodyBytes?: number } = {},
): TestApp {
  const store = options.store ?? memoryStore()
  const trust = options.trust === undefined ? trustOf('standard') : options.trust
  const service = new AccountService({ store, trust, now: options.now })
  const app = buildApp({
    service,
    logger: silentLogger,
    maxPack: options.maxPack,
    maxBodyBytes: options.maxBodyBytes,
  })
  return Object.assign(app, { service, store })
}

/** POSTs a JWT the way nsc push does. */
export function post(app: TestApp, pubkey: string, jwt: string, path = `/jwt/v1/accounts/${pubkey}`) {
  return app.request(path, {
    method: 'POST',
    body: jwt,
    headers: { 'Content-Type': 'application/jwt' },
  })
}
