/**
 * Proves the instance fleet harness: instances on ports named up front, `kill -9` of one (the
 * others keep serving), a restart on the same URL that serves what was stored before the kill.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { instancePorts, startInstances, type InstanceFleet } from './instances.js'
import { mintAccount, mintOperator, newKey } from './mint.js'
import { tempDir } from './tmp.js'

let fleet: InstanceFleet | undefined
afterAll(async () => {
  await fleet?.stop()
})

it('starts instances on the given ports, kills one with SIGKILL and restarts it on the same URL', async () => {
  const dir = await tempDir()
  const operator = newKey('operator')
  await writeFile(join(dir, 'op.jwt'), mintOperator(operator))
  const ports = await instancePorts(2)
  fleet = await startInstances(2, (i) => ['--sqlite', join(dir, `${i}.db`), '-operator', join(dir, 'op.jwt')], { ports })
  expect(fleet.bases).toEqual(ports.map((port) => `http://127.0.0.1:${port}`))
  expect(fleet.instances.map((instance) => instance.base)).toEqual(fleet.bases)
  const account = newKey('account').publicKey
  const jwt = mintAccount(account, operator)
  const url = (i: number) => `${fleet!.bases[i]}/jwt/v1/accounts/${account}`
  expect((await fetch(url(0), { method: 'POST', body: jwt })).status).toBe(200)

  const killed = fleet.instances[0]!
  await fleet.kill(0)
  expect(await killed.exited).toBe('SIGKILL')
  await expect(fetch(url(0))).rejects.toThrow()
  expect((await fetch(`${fleet.bases[1]}/healthz`)).status).toBe(200)

  await fleet.restart(0)
  expect(await (await fetch(url(0))).text()).toBe(jwt)
})
