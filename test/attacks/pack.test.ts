/**
 * Issue 11 item 3: concurrent `GET /jwt/v1/pack?max=-1` of every account. The pack streams as
 * clients read it (a client that does not read holds its turn, not the pack in memory), two
 * stream at once, the next ones wait their turn, and beyond the waiting line the answer is 503.
 * Resolver GETs are served meanwhile, and every body is the complete pack.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { Prefix } from '@nats-io/nkeys'
import { Codec } from '@nats-io/nkeys/lib/codec.js'
import { afterAll, describe, expect, it } from 'vitest'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { sqliteStore } from '../../src/store/drivers/sqlite.js'
import { mintAccount, newKey } from '../helpers/mint.js'
import { waitFor } from '../helpers/wait.js'
import { open, response } from '../helpers/raw-http.js'
import { startAccountServer, type RunningAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'

const ACCOUNTS = 1500
/** About 4 KB each: 6 MB of pack, far more than loopback socket buffers hold for a client that does not read. */
const PADDING = Array.from({ length: 30 }, (_, i) => `tag-${i}-${'x'.repeat(80)}`)

const servers: RunningAccountServer[] = []
afterAll(async () => {
  for (const server of servers) await server.stop()
})

/** A store file with `ACCOUNTS` accounts, and their pack as the server should send it. */
async function fillStore(): Promise<{ file: string; pack: string; someKey: string }> {
  const file = join(await tempDir(), 'a.db')
  const store = await sqliteStore({ file })
  const operator = newKey('operator')
  const lines: string[] = []
  await Promise.all(
    Array.from({ length: ACCOUNTS }, () => {
      // An account key without its seed (the operator signs): quicker than a key pair.
      const key = new TextDecoder().decode(Codec.encode(Prefix.Account, randomBytes(32)))
      const jwt = mintAccount(key, operator, { extra: { tags: PADDING } })
      lines.push(`${key}|${jwt}`)
      return store.put({ ...readStoredMeta(jwt), jwt }, { kind: 'http' })
    }),
  )
  await store.close()
  lines.sort()
  return { file, pack: lines.join('\n'), someKey: lines[0]!.slice(0, 56) }
}

let filled: ReturnType<typeof fillStore> | undefined
const filledStore = () => (filled ??= fillStore())

function gauge(metrics: string, state: string): number {
  return Number(new RegExp(`^nats_accounts_pack_streams\\{state="${state}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? NaN)
}

/** The pack streams gauge (streaming, waiting), from a running server's `/metrics`. */
async function packStreams(server: RunningAccountServer): Promise<[number, number]> {
  const text = await (await fetch(`${server.base}/metrics`)).text()
  return [gauge(text, 'streaming'), gauge(text, 'waiting')]
}

/**
 * A server on the filled store, and 10 clients that ask for every account and do not read:
 * once 2 packs stream and 8 wait, as each holds its turn for as long as it does not read.
 */
async function heldTurns() {
  const store = await filledStore()
  const server = await startAccountServer({ store: { type: 'sqlite', file: store.file } })
  servers.push(server)
  const port = Number(new URL(server.base).port)
  const clients = await Promise.all(Array.from({ length: 10 }, () => open(port)))
  for (const { socket } of clients) {
    socket.pause()
    socket.write('GET /jwt/v1/pack?max=-1 HTTP/1.1\r\nHost: x\r\n\r\n')
  }
  await waitFor(async () => (await packStreams(server)).join() === '2,8', { timeoutMs: 20_000, message: '2 packs streaming and 8 waiting' })
  return { ...store, server, clients }
}

describe('concurrent packs of every account', () => {
  it('stream two at a time, queue the next 8, refuse the rest with 503, and serve GETs meanwhile', { timeout: 60_000 }, async () => {
    const { pack, someKey, server, clients } = await heldTurns()
    expect(pack.length).toBeGreaterThan(5 * 1024 * 1024)

    const refused = await fetch(`${server.base}/jwt/v1/pack?max=-1`)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('Retry-After')).toBe('1')
    expect(await refused.text()).toBe('too many pack requests at once, retry in a second\n')
    const resolverGet = await fetch(`${server.base}/jwt/v1/accounts/${someKey}`)
    expect(resolverGet.status).toBe(200)

    // Reading: each waiting pack gets its turn, and the gauge never passes the bound.
    let most = 0
    for (const { socket } of clients) socket.resume()
    const bodies = await waitFor(async () => {
      most = Math.max(most, (await packStreams(server))[0])
      // The last chunk of a chunked body ends it: only then is a (costly) parse worth it.
      const allRead = clients.every(({ seen }) => seen.tail.endsWith('\r\n0\r\n\r\n'))
      return allRead ? clients.map(({ seen }) => response(seen.text)) : null
    }, { timeoutMs: 50_000, intervalMs: 100, message: 'every pack read' })
    expect(most).toBeLessThanOrEqual(2)
    for (const answer of bodies) {
      expect(answer?.head).toMatch(/^HTTP\/1\.1 200 /)
      expect(answer?.body === pack).toBe(true)
    }
    expect(await packStreams(server)).toEqual([0, 0])
  })

  it('gives the turns of clients that leave, streaming or waiting, to the next ones', { timeout: 40_000 }, async () => {
    const { pack, server, clients } = await heldTurns()
    for (const { socket } of clients) socket.destroy()
    await waitFor(async () => (await packStreams(server)).join() === '0,0', { timeoutMs: 20_000, message: 'every turn given back' })
    const res = await fetch(`${server.base}/jwt/v1/pack?max=-1`)
    expect(res.status).toBe(200)
    expect((await res.text()) === pack).toBe(true)
  })

  it('answers max=N with the first N lines and an empty store with an empty body', async () => {
    const { file, pack } = await filledStore()
    const server = await startAccountServer({ store: { type: 'sqlite', file } })
    servers.push(server)
    const three = await fetch(`${server.base}/jwt/v1/pack?max=3`)
    expect(await three.text()).toBe(pack.split('\n').slice(0, 3).join('\n'))
    const empty = await startAccountServer({ store: { type: 'sqlite', file: join(await tempDir(), 'e.db') } })
    servers.push(empty)
    const none = await fetch(`${empty.base}/jwt/v1/pack?max=-1`)
    expect(none.status).toBe(200)
    expect(await none.text()).toBe('')
  })
})
