import { connect, type NatsConnection } from '@nats-io/transport-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KvLink, type BucketEntry } from '../../src/store/drivers/kv-link.js'
import { freshBucket, startJetStream } from '../helpers/kv.js'
import type { NatsServer } from '../helpers/nats-server.js'

// A user who may read and write the bucket's stream but may not make consumers: a watch cannot
// be made, as when the JetStream meta leader is lost while the stream leader still answers.
const USERS = `authorization {
  users = [
    { user: nowatch, password: nowatch, permissions: { publish: { deny: ["$JS.API.CONSUMER.>"] } } }
  ]
}`

let server: NatsServer
let nc: NatsConnection
beforeAll(async () => {
  server = await startJetStream({ config: USERS })
  nc = await connect({ servers: server.url, user: 'nowatch', pass: 'nowatch' })
})
afterAll(async () => {
  await nc?.close()
  await server?.stop()
})

const bytes = (text: string) => new TextEncoder().encode(text)

describe('KvLink.check with a watch that cannot be made again', () => {
  it('reads the revisions the watch missed from the stream, each once, skipping overwritten ones', async () => {
    const entries: BucketEntry[] = []
    let caughtUp = 0
    const link = await KvLink.open(nc, { bucket: freshBucket(), replicas: 1, timeoutMs: 500 }, {
      entry: (entry) => entries.push(entry),
      caughtUp: () => caughtUp++,
    })
    try {
      expect(await link.write('A', bytes('a1'), 0, 'a1', 2000)).toBe(1)
      expect(await link.write('B', bytes('b1'), 0, 'b1', 2000)).toBe(2)
      expect(await link.write('A', bytes('a2'), 1, 'a2', 2000)).toBe(3)
      await link.kv.delete('B')

      // The first check only notes where the watch stands; the second finds it silent.
      expect(await link.check()).toBe(true)
      expect(entries).toEqual([])
      expect(await link.check()).toBe(false)

      expect(entries.map(({ key, revision, operation }) => [key, revision, operation])).toEqual([
        ['A', 3, 'PUT'],
        ['B', 4, 'DEL'],
      ])
      expect(new TextDecoder().decode(entries[0]!.value)).toBe('a2')
      expect(caughtUp).toBe(1)
      expect(link.delivered).toBe(4)

      expect(await link.check()).toBe(false)
      expect(entries).toHaveLength(2)
    } finally {
      link.stop()
    }
  })
})
