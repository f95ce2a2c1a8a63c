/**
 * An account JWT stored from NATS (a PACK merge, a CLAIMS.UPDATE, a LOOKUP on a GET miss) gets
 * its own INF line naming the account, its name, the jti and where it came from, with a real
 * nats-server 2.9 full resolver as the other side.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, credsAuthenticator } from '@nats-io/transport-node'
import { afterAll, describe, expect, it } from 'vitest'
import { readStoredMeta } from '../../src/jwt/decode.js'
import { loadFixtureSet, natsServerOperatorConfig } from '../helpers/fixtures.js'
import { startNatsServer } from '../helpers/nats-server.js'
import { waitFor } from '../helpers/wait.js'
import { startAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'

const set = loadFixtureSet('standard')
const entry = (name: string) => set.manifest.fixtures.find((f) => f.name === name)!
const jwtOf = (name: string) => set.jwt(entry(name)).trim()
const keyOf = (name: string) => entry(name).pubkey!

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

/** The line for this account, or undefined; `$` in a subject is matched as itself. */
function storedLine(logs: string, name: string, source: string): string | undefined {
  const { jti } = readStoredMeta(jwtOf(name))
  const pattern = `[INF] account JWT stored from NATS account=${keyOf(name)} name=${name} jti=${jti} source=${source}\n`
  return logs.split(/(?<=\n)/).find((line) => line.endsWith(pattern))
}

describe('updates received over NATS', () => {
  it('log a "stored" line for a PACK merge, a CLAIMS.UPDATE and a LOOKUP', async () => {
    const dir = await tempDir()
    for (const name of ['SYS', 'A2']) await writeFile(join(dir, `${keyOf(name)}.jwt`), jwtOf(name))
    const nats = await startNatsServer({ config: `${natsServerOperatorConfig(set)}resolver: { type: full, dir: ${JSON.stringify(dir)} }\n` })
    cleanups.push(() => nats.stop())
    const server = await startAccountServer({
      operator: set.operatorPath,
      store: { type: 'sqlite', file: join(await tempDir(), 'accounts.db') },
      nats: { servers: [nats.url], credentials: set.credsPath('SYS'), reconnectWaitMs: 100 },
    })
    cleanups.push(() => server.stop())
    await waitFor(() => storedLine(server.logs(), 'A2', 'pack') && storedLine(server.logs(), 'SYS', 'pack'), {
      timeoutMs: 10_000,
      message: 'the PACK merge lines',
    })

    const nc = await connect({ servers: nats.url, authenticator: credsAuthenticator(await readFile(set.credsPath('SYS'))), reconnect: false })
    cleanups.push(() => nc.close())
    nc.publish('$SYS.REQ.CLAIMS.UPDATE', jwtOf('A3'))
    await waitFor(() => storedLine(server.logs(), 'A3', '$SYS.REQ.CLAIMS.UPDATE'), { message: 'the CLAIMS.UPDATE line' })

    // Only the full resolver holds A1: a GET miss asks it by LOOKUP and stores the answer.
    await writeFile(join(dir, `${keyOf('A1')}.jwt`), jwtOf('A1'))
    expect(storedLine(server.logs(), 'A1', 'lookup')).toBeUndefined()
    const res = await fetch(`${server.base}/jwt/v1/accounts/${keyOf('A1')}`)
    expect(await res.text()).toBe(jwtOf('A1'))
    expect(storedLine(server.logs(), 'A1', 'lookup')).toBeDefined()

  })
})
