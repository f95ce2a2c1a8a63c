/**
 * Proves the nats-server harness and the JWT fixtures against the real server (2.9.10 on Debian):
 * every accepted account's user connects, unknown and strict-violating users are refused.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { encodeUser } from '@nats-io/jwt'
import { createUser, fromSeed } from '@nats-io/nkeys'
import {
  AuthorizationError,
  connect,
  credsAuthenticator,
  jwtAuthenticator,
  nuid,
} from '@nats-io/transport-node'
import type { Authenticator, NatsConnection } from '@nats-io/transport-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  FIXTURE_SET_NAMES,
  loadFixtureSet,
  memoryResolverConfig,
  natsServerOperatorConfig,
} from './fixtures.js'
import type { FixtureEntry, FixtureSet } from './fixtures.js'
import { startNatsServer } from './nats-server.js'
import type { NatsServer } from './nats-server.js'

// No reconnects: a refused or vanished server must fail the connect, not retry in the background.
function connectTo(server: NatsServer, authenticator?: Authenticator): Promise<NatsConnection> {
  return connect({ servers: server.url, authenticator, reconnect: false, timeout: 2_000 })
}

async function credsOf(set: FixtureSet, account: string): Promise<Authenticator> {
  return credsAuthenticator(await readFile(set.credsPath(account)))
}

/** Connects, answers its own request, closes: the user works end to end. */
async function roundTrip(server: NatsServer, authenticator?: Authenticator): Promise<void> {
  const nc = await connectTo(server, authenticator)
  try {
    const subject = `harness.${nuid.next()}`
    nc.subscribe(subject, {
      callback: (_err, msg) => {
        msg.respond(`pong:${msg.string()}`)
      },
    })
    const reply = await nc.request(subject, 'ping', { timeout: 1_000 })
    expect(reply.string()).toBe('pong:ping')
  } finally {
    await nc.close()
  }
}

function entryNamed(set: FixtureSet, name: string): FixtureEntry {
  const entry = set.manifest.fixtures.find((e) => e.name === name)
  if (!entry) throw new Error(`no fixture ${name} in the ${set.name} set`)
  return entry
}

function seedOf(set: FixtureSet, label: string): Promise<string> {
  return readFile(`${set.dir}/seeds/${label}.nk`, 'utf8').then((s) => s.trim())
}

/** A fresh user of `account`, signed by the key whose seed is `seeds/<signer>.nk`. */
async function mintUser(set: FixtureSet, account: FixtureEntry, signer: string) {
  const user = createUser()
  const issuer = fromSeed(new TextEncoder().encode(await seedOf(set, signer)))
  // A user signed by a signing key names the account it belongs to.
  const viaSigningKey = issuer.getPublicKey() !== account.pubkey
  const claims = viaSigningKey ? { issuer_account: account.pubkey } : {}
  const jwt = await encodeUser('minted', user, issuer, claims)
  return jwtAuthenticator(jwt, user.getSeed())
}

describe('startNatsServer', () => {
  it('starts on a port of its own and stops idempotently', async () => {
    const server = await startNatsServer({})
    expect(server.host).toBe('127.0.0.1')
    expect(server.port).toBeGreaterThan(0)
    expect(server.port).not.toBe(4222)
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`)
    expect(server.logs()).toMatch(/Server is ready/)
    await roundTrip(server)

    await server.stop()
    await server.stop()
    expect(existsSync(server.dir)).toBe(false)
    await expect(connectTo(server)).rejects.toThrow()
  })

  it('restart() comes back on the same port with a fresh log', async () => {
    const server = await startNatsServer({})
    try {
      const { port } = server
      await server.restart?.()
      expect(server.port).toBe(port)
      expect(server.logs().match(/Server is ready/g)).toHaveLength(1)
      await roundTrip(server)
    } finally {
      await server.stop()
    }
  })

  it('a new server can take a stopped server’s port', async () => {
    const first = await startNatsServer({})
    await first.stop()
    const second = await startNatsServer({ port: first.port })
    try {
      expect(second.url).toBe(first.url)
      await roundTrip(second)
    } finally {
      await second.stop()
    }
  })

  it('rejects with the server log when the server exits early', async () => {
    const server = await startNatsServer({})
    try {
      await expect(startNatsServer({ port: server.port })).rejects.toThrow(/address already in use/)
      await expect(startNatsServer({ config: 'no_such_option: true' })).rejects.toThrow(
        /unknown field "no_such_option"/,
      )
    } finally {
      await server.stop()
    }
  })

  it('tells how to install nats-server when the binary is missing', async () => {
    const saved = process.env.NATS_SERVER_BIN
    process.env.NATS_SERVER_BIN = '/nonexistent/nats-server'
    try {
      await expect(startNatsServer({})).rejects.toThrow(/apt-get install nats-server/)
    } finally {
      if (saved === undefined) delete process.env.NATS_SERVER_BIN
      else process.env.NATS_SERVER_BIN = saved
    }
  })
})

describe.each(FIXTURE_SET_NAMES)('%s fixtures on nats-server (memory resolver)', (name) => {
  const set = loadFixtureSet(name)
  const operator = natsServerOperatorConfig(set)
  let server: NatsServer

  beforeAll(async () => {
    server = await startNatsServer({ config: operator + memoryResolverConfig(set) })
  })
  afterAll(() => server?.stop())

  it.each(set.accepted.map((e) => [e.name, e] as const))(
    'a user of %s connects and round-trips a request',
    async (account) => {
      await roundTrip(server, await credsOf(set, account))
    },
  )

  it('refuses a user of an account that is not preloaded', async () => {
    const withoutR = set.accepted.filter((e) => e.name !== 'R')
    const config = operator + memoryResolverConfig(set, withoutR)
    const partial = await startNatsServer({ config })
    try {
      const refused = connectTo(partial, await credsOf(set, 'R'))
      await expect(refused).rejects.toBeInstanceOf(AuthorizationError)
      await expect(refused).rejects.toThrow(/authorization violation/i)
      await partial.waitForLog(/authentication error/)
      await roundTrip(partial, await credsOf(set, 'A1'))
    } finally {
      await partial.stop()
    }
  })

  it('will not start unless the system account resolves', async () => {
    const withoutSys = set.accepted.filter((e) => e.pubkey !== set.systemAccount)
    const config = operator + memoryResolverConfig(set, withoutSys)
    await expect(startNatsServer({ config })).rejects.toThrow(/error resolving system account/)
  })
})

// What the strict operator's `strict_signing_key_usage` means to nats-server 2.9.10.
describe('strict_signing_key_usage on nats-server', () => {
  const set = loadFixtureSet('strict')
  const a0 = entryNamed(set, 'A0')
  const a1 = entryNamed(set, 'A1')
  let server: NatsServer

  beforeAll(async () => {
    // A0 is signed by the operator identity key; nats-server takes it into the preload quietly.
    const preload = memoryResolverConfig(set, [...set.accepted, a0])
    server = await startNatsServer({ config: natsServerOperatorConfig(set) + preload, debug: true })
  })
  afterAll(() => server?.stop())

  it('accepts a user signed by an account signing key', async () => {
    await roundTrip(server, await mintUser(set, a1, 'A1-sk'))
  })

  it('refuses a user signed by the account identity key', async () => {
    const refused = connectTo(server, await mintUser(set, a1, 'A1'))
    await expect(refused).rejects.toBeInstanceOf(AuthorizationError)
  })

  it('refuses every user of an account signed by the operator identity key', async () => {
    expect(a0).toMatchObject({ verdict: 'reject', reason: 'strict-signing-key' })
    for (const signer of ['A0-sk', 'A0']) {
      const refused = connectTo(server, await mintUser(set, a0, signer))
      await expect(refused).rejects.toBeInstanceOf(AuthorizationError)
    }
    await server.waitForLog(/Account JWT lookup error: account validation failed/)
  })
})
