// Child process of the kill -9 contract test: puts the JWTs of a file (one per line) into a
// store, printing "acked <pubkey> <iat>" only after each put has resolved. Uses the built code.
import { readFileSync } from 'node:fs'

const [driver, location, input] = process.argv.slice(2)
const { readStoredMeta } = await import('../../dist/jwt/decode.js')
const open = {
  sqlite: async () => (await import('../../dist/store/drivers/sqlite.js')).sqliteStore({ file: location }),
  directory: async () => (await import('../../dist/store/drivers/directory.js')).directoryStore({ dir: location, shard: true }),
  'directory-journal': async () =>
    (await import('../../dist/store/drivers/directory.js')).directoryStore({ dir: location, shard: true, journal: true }),
  kv: async () => (await import('../../dist/nats/kv-connection.js')).openKvStore(JSON.parse(readFileSync(location, 'utf8'))),
}
const store = await open[driver]()
for (const jwt of readFileSync(input, 'utf8').split('\n')) {
  const account = { ...readStoredMeta(jwt), jwt }
  await store.put(account, { kind: 'import' })
  process.stdout.write(`acked ${account.pubkey} ${account.iat}\n`)
}
