import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { openKvStore } from '../../src/nats/kv-connection.js'
import type { NatsServer } from '../helpers/nats-server.js'
import { kvConfig, startJetStream } from '../helpers/kv.js'
import { tempDir } from '../helpers/tmp.js'
import { testJwtStore } from './contract.js'

let server: NatsServer
beforeAll(async () => {
  server = await startJetStream()
})
afterAll(async () => {
  await server.stop()
})

testJwtStore({
  name: 'kv',
  persistent: true,
  crashTarget: async () => {
    const config = kvConfig(server)
    const location = join(await tempDir(), 'kv-store.json')
    await writeFile(location, JSON.stringify(config))
    return { driver: 'kv', location, open: () => openKvStore(config) }
  },
  open: async () => {
    const config = kvConfig(server)
    const store = await openKvStore(config)
    return {
      store,
      reopen: async () => {
        await store.close()
        return openKvStore(config)
      },
    }
  },
})
