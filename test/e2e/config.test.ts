/** The built CLI with configuration files, the environment, -dump, SIGHUP and JSON logs. */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli, startServer, type RunningServer } from '../helpers/cli.js'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { mintAccount, mintOperator, newKey } from '../helpers/mint.js'
import { waitFor } from '../helpers/wait.js'
import { tempDir } from '../helpers/tmp.js'

const set = loadFixtureSet('standard')
const servers: RunningServer[] = []
afterAll(async () => {
  for (const server of servers) await server.stop()
})

async function start(args: string[], env?: NodeJS.ProcessEnv) {
  const server = await startServer(args, { env })
  servers.push(server)
  return server
}

describe('configuration file', () => {
  it('starts from a Go server config file, flags winning, and -dump shows the effect', async () => {
    const dir = await tempDir()
    const file = join(dir, 'nas.conf')
    await writeFile(file, `
operatorjwtpath: ${JSON.stringify(set.operatorPath)}
http { host: "nats.io", port: 80, ReadTimeout: 2000 }
store { dir: ${JSON.stringify(join(dir, 'jwt'))}, shard: true }
logging { debug: true }
`)
    const server = await start(['-c', file, '-dump'])
    expect(server.logs()).toContain(`Operator: ${set.operatorKey}`)
    expect(server.logs()).toContain(`using the directory store at ${join(dir, 'jwt')} (sharded)`)
    const dump = /effective configuration:\n([\s\S]*?\n})/.exec(server.logs())![1]!
    expect(JSON.parse(dump)).toMatchObject({
      http: { host: '127.0.0.1', readTimeoutMs: 2000 },
      store: { type: 'directory', shard: true },
      logging: { level: 'debug' },
    })
    const entry = set.accepted[0]!
    expect((await fetch(`${server.base}/jwt/v1/accounts/${entry.pubkey}`, { method: 'POST', body: set.jwt(entry) })).status).toBe(200)
  })

  it('exits 1 naming file and line for a bad value', async () => {
    const file = join(await tempDir(), 'bad.conf')
    await writeFile(file, '# settings\nhttp {\n  port: "ninety"\n}\n')
    const run = runCli(['-c', file])
    expect(await run.exited).toBe(1)
    expect(run.logs()).toContain(`${file}:3: http.port: expected an integer, got "ninety"`)
  })

  it('exits 1 for a missing file', async () => {
    const run = runCli(['-c', '/nonexistent/nas.conf'])
    expect(await run.exited).toBe(1)
    expect(run.logs()).toContain('error reading configuration file: /nonexistent/nas.conf')
  })

  it('takes the operator JWT inline from the environment (no volume needed)', async () => {
    const server = await start(['--sqlite', join(await tempDir(), 'a.db')], {
      NATS_ACCOUNTS_OPERATOR: set.operatorJwt.trim(),
      NATS_ACCOUNTS_SYSTEM_ACCOUNT_JWT: set.sysJwt.trim(),
    })
    expect(server.logs()).toContain('loading operator from the inline JWT')
    expect(server.logs()).toContain(`System Account: ${set.systemAccount}`)
    expect(await (await fetch(`${server.base}/jwt/v1/accounts/${set.systemAccount}`)).text()).toBe(set.sysJwt.trim())
  })

  it('writes JSON lines with --log-format json', async () => {
    const server = await start(['--sqlite', join(await tempDir(), 'a.db'), '--log-format', 'json'])
    const lines = server.logs().trim().split('\n').map((line) => JSON.parse(line) as { msg: string; level: string })
    expect(lines.at(-1)!.msg).toMatch(/^ {2}resolver: URL\(/)
    expect(lines.at(-1)!.level).toBe('info')
    expect(lines.every((line) => ['trace', 'debug', 'info', 'warn', 'error'].includes(line.level))).toBe(true)
  })
})

describe('SIGHUP', () => {
  it('reloads the operator (a new signing key works at once) without dropping requests', async () => {
    const dir = await tempDir()
    const operator = newKey('operator')
    const signingKey = newKey('operator')
    const operatorFile = join(dir, 'operator.jwt')
    const conf = join(dir, 'nas.conf')
    await writeFile(operatorFile, mintOperator(operator, { name: 'OP' }))
    await writeFile(conf, `operator: ${JSON.stringify(operatorFile)}\nstore { sqlite: ${JSON.stringify(join(dir, 'a.db'))} }\n`)
    const server = await start(['-c', conf])
    const account = newKey('account').publicKey
    const jwt = mintAccount(account, signingKey)
    const post = () => fetch(`${server.base}/jwt/v1/accounts/${account}`, { method: 'POST', body: jwt })
    expect((await post()).status).toBe(400)

    let stop = false
    const statuses: number[] = []
    const load = (async () => {
      while (!stop) statuses.push((await fetch(`${server.base}/jwt/v1/accounts/`)).status)
    })()
    await writeFile(operatorFile, mintOperator(operator, { name: 'OP', nats: { signing_keys: [signingKey.publicKey] } }))
    server.child.kill('SIGHUP')
    await waitFor(() => server.logs().includes('configuration reloaded'), { message: 'the reload' })
    expect((await post()).status).toBe(200)

    await writeFile(conf, 'http { port: "broken" }\n')
    server.child.kill('SIGHUP')
    await waitFor(() => server.logs().includes('reload failed, keeping the running configuration'), { message: 'the refused reload' })
    stop = true
    await load
    expect(statuses.length).toBeGreaterThan(10)
    expect(statuses.every((s) => s === 200)).toBe(true)
    expect((await fetch(`${server.base}/jwt/v1/accounts/${account}`)).status).toBe(200)
    expect(server.child.exitCode).toBeNull()
  })
})
