/**
 * The fleet scan against one real nats-server 2.9 (JetStream, no cluster), and what it does
 * with replies that are not what nats-server sends: a system-account user answering the
 * census subjects with junk, with a made-up server and with entries that are not account keys.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { defaultConfig } from '../../src/config/types.js'
import { scanFleetOnce } from '../../src/fleet/once.js'
import { scanFleet } from '../../src/fleet/scan.js'
import { freePort } from '../helpers/ports.js'
import { memoryStore } from '../../src/store/drivers/memory.js'
import { loadFixtureSet, memoryResolverConfig, natsServerOperatorConfig } from '../helpers/fixtures.js'
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js'
import { tempDir } from '../helpers/tmp.js'

const set = loadFixtureSet('standard')
const entry = (name: string) => set.manifest.fixtures.find((f) => f.name === name)!
const A1 = entry('A1').pubkey!
const FAKE_ID = `N${'F'.repeat(55)}`
const SILENT_ID = `N${'S'.repeat(55)}`

let nats: NatsServer
let nc: NatsConnection
const cleanups: (() => Promise<unknown>)[] = []
beforeAll(async () => {
  const jetstream = join(await tempDir(), 'js')
  nats = await startNatsServer({
    config: `server_name: J\n${natsServerOperatorConfig(set)}${memoryResolverConfig(set)}jetstream { store_dir: "${jetstream}", max_mem: 1M, max_file: 1M }\n`,
  })
  cleanups.push(() => nats.stop())
  nc = await client(set.credsPath('SYS'))
  // A user of A1: the server holds A1 now.
  await client(set.credsPath('A1'))
})
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

async function client(creds: string): Promise<NatsConnection> {
  const connection = await connect({ servers: nats.url, authenticator: credsAuthenticator(await readFile(creds)), reconnect: false })
  cleanups.push(() => connection.close())
  return connection
}

async function storeWithA1() {
  const store = memoryStore()
  const jwt = set.jwt(entry('A1')).trim()
  await store.put({ ...readStoredMeta(jwt), jwt }, { kind: 'import', detail: 'test' })
  return store
}

describe('scanFleet', () => {
  it('names a standalone JetStream server (no cluster) and the version of A1 it runs', async () => {
    const { view, result } = await scanFleet(nc, await storeWithA1())
    expect(view.servers()).toEqual([
      { name: 'J', id: expect.stringMatching(/^N[A-Z2-7]{55}$/), version: '2.9.10', cluster: null, jetstream: true, lastSeen: expect.any(Number) },
    ])
    expect(view.account(A1)).toEqual([
      { server: 'J', serverId: view.servers()[0]!.id, jti: readStoredMeta(set.jwt(entry('A1'))).jti, drifted: false, ahead: false },
    ])
    // SYS and A1 are held (`$G` is not an account key): one list, then A1 (SYS is not stored, nothing to compare).
    expect(result).toMatchObject({ servers: 1, accountsInUse: 2, requests: 2, unanswered: 0, drifted: 0 })
  })

  it('ignores junk answers, and counts a server that never answers its own subject as unanswered', async () => {
    const forger = await client(set.credsPath('SYS'))
    forger.subscribe('$SYS.REQ.SERVER.PING', {
      callback: (_, msg) => {
        msg.respond('not json')
        msg.respond('{"server":{}}')
        msg.respond('[1,2]')
        msg.respond(JSON.stringify({ server: { id: 'NX.>', name: 'wildcard' } }))
        msg.respond(JSON.stringify({ server: { id: FAKE_ID, ver: 42 } }))
        msg.respond(JSON.stringify({ server: { id: SILENT_ID, name: 'silent' } }))
      },
    })
    // The made-up server answers its own subject: a list with junk in it, and a junk jti.
    forger.subscribe(`$SYS.REQ.SERVER.${FAKE_ID}.ACCOUNTZ`, {
      callback: (_, msg) => {
        const asked = msg.json<{ account?: string }>()
        if (asked.account === undefined) msg.respond(JSON.stringify({ data: { accounts: ['$G', 'not-a-key', 42, null, A1] } }))
        else msg.respond(JSON.stringify({ data: { account_detail: { decoded_jwt: { jti: 42 } } } }))
      },
    })
    await forger.flush()
    const { view, result } = await scanFleet(nc, await storeWithA1(), { timeoutMs: 1000 })
    expect(view.servers().map((s) => [s.name, s.version])).toEqual([
      ['J', '2.9.10'],
      [FAKE_ID, ''],
      ['silent', ''],
    ])
    // Lists from J, the made-up server and (unanswered) the silent one; A1 asked of J and of the made-up one.
    expect(result).toMatchObject({ servers: 3, accountsInUse: 2, requests: 5, unanswered: 1, drifted: 0 })
    expect(view.account(A1).map((s) => [s.server, s.jti === null])).toEqual([
      ['J', false],
      [FAKE_ID, true],
      ['silent', true],
    ])
    await forger.close()
  })
})

describe('scanFleetOnce (nats-accounts check)', () => {
  const natsConfig = (servers: string[], credentials: string) => ({ ...defaultConfig().nats, servers, credentials, connectTimeoutMs: 2000 })

  it('connects with -nats and -creds, scans, and disconnects', async () => {
    const { view, result } = await scanFleetOnce(natsConfig([nats.url], set.credsPath('SYS')), await storeWithA1())
    expect(view.servers().map((s) => s.name)).toEqual(['J'])
    expect(result.drifted).toBe(0)
  })

  it('names the fix when the user is not in the system account, or NATS cannot be reached', async () => {
    await expect(scanFleetOnce(natsConfig([nats.url], set.credsPath('A1')), memoryStore())).rejects.toMatchObject({
      code: 'ERR_CONFIG',
      message: expect.stringMatching(/answered \$SYS.REQ.SERVER.PING, which nats-server answers to users of the system account only; give -creds/),
    })
    const closed = `nats://127.0.0.1:${await freePort()}`
    await expect(scanFleetOnce(natsConfig([closed], set.credsPath('SYS')), memoryStore())).rejects.toThrow(
      new RegExp(`^cannot connect to NATS ${closed}: .+; check -nats, -creds and nats.tls$`),
    )
  })
})
