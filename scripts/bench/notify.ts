/**
 * POST to "applied by nats-server": re-issues one account N times through the built CLI
 * (-nats/-creds) serving a real nats-server (URL resolver) that has the account loaded, and
 * reads when nats-server applied each JWT from its own `update_time`
 * ($SYS.REQ.ACCOUNT.<key>.INFO). `npm run bench:notify -- [count]`.
 */
import { spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, credsAuthenticator } from '@nats-io/transport-node'
import { formatCreds, mintAccount, mintOperator, mintUser, newKey, UNLIMITED } from '../../test/helpers/mint.js'
import { startNatsServer } from '../../test/helpers/nats-server.js'
import { waitFor } from '../../test/helpers/wait.js'
import { freePort } from '../../test/helpers/ports.js'
import { tempDir } from './lib.js'

const count = Number(process.argv[2] ?? 200)
const CLI = new URL('../../../dist/cli.js', import.meta.url).pathname
const dir = await tempDir()
const operator = newKey('operator')
const sys = newKey('account')
const app = newKey('account')
const operatorFile = join(dir, 'operator.jwt')
await writeFile(operatorFile, mintOperator(operator, { name: 'BENCH', nats: { system_account: sys.publicKey } }))
const credsFor = async (account: ReturnType<typeof newKey>, name: string) => {
  const user = newKey('user')
  const file = join(dir, `${name}.creds`)
  await writeFile(file, formatCreds(mintUser(user.publicKey, account), user.seed!))
  return file
}
const sysCreds = await credsFor(sys, 'sys')
const appCreds = await credsFor(app, 'app')

const port = await freePort()
const server = spawn(process.execPath, [CLI, '-hp', '127.0.0.1:0', '--sqlite', join(dir, 'a.db'), '-operator', operatorFile, '-nats', `nats://127.0.0.1:${port}`, '-creds', sysCreds], { stdio: ['ignore', 'ignore', 'pipe'] })
let log = ''
server.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()))
const resolver = (await waitFor(() => /resolver: URL\((\S+)\)/.exec(log), { timeoutMs: 10_000 }))[1]!
for (const account of [sys, app]) {
  await fetch(`${resolver}${account.publicKey}`, { method: 'POST', body: mintAccount(account.publicKey, operator) })
}
const nats = await startNatsServer({ config: `operator: ${JSON.stringify(operatorFile)}\nsystem_account: ${sys.publicKey}\nresolver: URL(${resolver})\n`, port })
await waitFor(() => log.includes('connected to NATS for account notifications'), { timeoutMs: 10_000 })
const user = await connect({ servers: nats.url, authenticator: credsAuthenticator(new TextEncoder().encode(await readFile(appCreds, 'utf8'))) })
const observer = await connect({ servers: nats.url, authenticator: credsAuthenticator(new TextEncoder().encode(await readFile(sysCreds, 'utf8'))) })

const applied: number[] = []
const answered: number[] = []
for (let i = 0; i < count; i++) {
  const jwt = mintAccount(app.publicKey, operator, { nats: { limits: UNLIMITED, tags: [`round-${i}`] } })
  const started = Date.now()
  const res = await fetch(`${resolver}${app.publicKey}`, { method: 'POST', body: jwt })
  answered.push(Date.now() - started)
  if (res.status !== 200) throw new Error(`POST ${i}: ${res.status} ${await res.text()}`)
  const info = await waitFor(async () => {
    const reply = JSON.parse((await observer.request(`$SYS.REQ.ACCOUNT.${app.publicKey}.INFO`, '', { timeout: 1000 })).string())
    return reply.data?.jwt === jwt ? (reply.data as { update_time: string }) : null
  }, { timeoutMs: 5000, intervalMs: 1, message: `round ${i} to be applied` })
  applied.push(Date.parse(info.update_time) - started)
}

const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!
console.log(`\n${count} re-issues of one loaded account (ms)\n`)
console.log('| measure | median | p99 | max |')
console.log('| --- | --- | --- | --- |')
console.log(`| POST sent → applied by nats-server (its update_time) | ${quantile(applied, 0.5)} | ${quantile(applied, 0.99)} | ${Math.max(...applied)} |`)
console.log(`| POST sent → 200 answered (replies gathered) | ${quantile(answered, 0.5)} | ${quantile(answered, 0.99)} | ${Math.max(...answered)} |`)
await user.close()
await observer.close()
server.kill('SIGTERM')
await nats.stop()
