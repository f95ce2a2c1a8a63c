/**
 * Durable pushes with the built CLI: 16 keep-alive clients POST new accounts, the server is
 * killed -9 in the middle, and after a restart every acknowledged JWT is served. For the
 * directory store, the files the journal still covered (never fsynced: what a power cut may
 * lose) are removed before the restart, so they come back from the journal's replay alone.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseSegment } from '../../src/store/utils/journal.js'
import { startServer, type RunningServer } from '../helpers/cli.js'
import { mintAccount, mintOperator, newKey } from '../helpers/mint.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const CLIENTS = 16
const operator = newKey('operator')
const servers: RunningServer[] = []
afterAll(async () => {
  for (const server of servers) await server.stop('SIGKILL')
})

async function journaledKeys(dir: string): Promise<Set<string>> {
  const keys = new Set<string>()
  for (const name of await readdir(dir)) {
    if (!name.startsWith('.nats-accounts-journal.')) continue
    for (const { pubkey } of parseSegment(await readFile(join(dir, name), 'latin1')).records) keys.add(pubkey)
  }
  return keys
}

describe.each([
  { store: 'sqlite', args: (root: string) => ['--sqlite', join(root, 'accounts.db')] },
  { store: 'directory', args: (root: string) => ['-dir', join(root, 'jwt'), '--shard'] },
])('POSTs to the $store store when the server is killed -9', ({ store, args }) => {
  it('serves every acknowledged JWT after a restart', async () => {
    const root = await tempDir()
    const operatorFile = join(root, 'operator.jwt')
    await writeFile(operatorFile, mintOperator(operator))
    const serverArgs = [...args(root), '-operator', operatorFile]
    const server = await startServer(serverArgs)
    servers.push(server)

    const acked = new Map<string, string>()
    let killed = false
    const client = async () => {
      while (!killed) {
        const pubkey = newKey('account').publicKey
        const jwt = mintAccount(pubkey, operator)
        // A POST that gets no answer (the kill, a reset keep-alive connection) is not acknowledged.
        const res = await fetch(`${server.base}/jwt/v1/accounts/${pubkey}`, { method: 'POST', body: jwt }).catch(() => null)
        if (res === null) continue
        if (res.status === 200 || res.status === 202) acked.set(pubkey, jwt)
        else throw new Error(`POST answered ${res.status}: ${await res.text()}`)
      }
    }
    const clients = Array.from({ length: CLIENTS }, client)
    await waitFor(() => acked.size >= 400, { timeoutMs: 60_000, message: '400 acknowledged POSTs' })
    killed = true
    server.child.kill('SIGKILL')
    await server.exited
    await Promise.all(clients)

    if (store === 'directory') {
      const dir = join(root, 'jwt')
      const lost = [...(await journaledKeys(dir))].filter((pubkey) => acked.has(pubkey))
      expect(lost.length).toBeGreaterThan(0)
      for (const pubkey of lost) await rm(join(dir, pubkey.slice(-2), `${pubkey}.jwt`))
    }

    const restarted = await startServer(serverArgs)
    servers.push(restarted)
    for (const [pubkey, jwt] of acked) {
      const res = await fetch(`${restarted.base}/jwt/v1/accounts/${pubkey}`)
      expect(res.status, pubkey).toBe(200)
      expect(await res.text()).toBe(jwt)
    }
    if (store === 'directory') expect(await journaledKeys(join(root, 'jwt'))).toEqual(new Set())
  }, 180_000)
})
