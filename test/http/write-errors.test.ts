/**
 * The fast path over a real socket, with a cached response whose header cannot be written (the
 * fault injected: what a `jti` ETag with a newline used to be). The response is closed and
 * logged; the process and the other requests carry on, cached and uncached alike.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { fastPath } from '../../src/http/fast-path.js'
import { CachedAccount } from '../../src/accounts/cache.js'
import { AccountService } from '../../src/accounts/service.js'
import { memoryStore } from '../../src/store/drivers/memory.js'
import { newKey } from '../helpers/mint.js'

const unwritable = new CachedAccount(0, Buffer.from('jwt'), 0, 3, '"a\nb"')

let server: Server | null = null
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve))
  server = null
})

async function serveFastPath(service: AccountService) {
  let logged = ''
  const logger = pino({ level: 'error' }, { write: (line: string) => (logged += line) })
  const fast = fastPath({ service, logger, maxBodyBytes: 1024 })
  server = createServer((req, res) => {
    if (!fast(req, res)) res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { base, logs: () => logged }
}

describe('an error while writing a response', () => {
  it.each(['cached', 'uncached'] as const)('closes that %s response only', async (kind) => {
    const bad = newKey('account').publicKey
    const service = new AccountService({ store: memoryStore(), trust: null })
    if (kind === 'cached') {
      const cached = service.cached.bind(service)
      service.cached = (pubkey) => (pubkey === bad ? unwritable : cached(pubkey))
    } else {
      const lookup = service.lookup.bind(service)
      service.lookup = (pubkey) => (pubkey === bad ? Promise.resolve(unwritable) : lookup(pubkey))
    }
    const { base, logs } = await serveFastPath(service)
    await expect(fetch(`${base}/jwt/v1/accounts/${bad}`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow('fetch failed')
    expect(logs()).toContain('cannot write a response; closing its connection')
    const missing = await fetch(`${base}/jwt/v1/accounts/${newKey('account').publicKey}`)
    expect(missing.status).toBe(404)
    expect(await missing.text()).toBe('no matching account JWT\n')
  })
})
