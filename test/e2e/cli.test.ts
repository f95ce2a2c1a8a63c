/** The built CLI as a process: flags, exit codes, start-up log, graceful stop. */
import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { runCli, startServer } from '../helpers/cli.js'
import { waitFor } from '../helpers/wait.js'
import { tempDir } from '../helpers/tmp.js'

const standard = loadFixtureSet('standard')

describe('nats-accounts CLI', () => {
  it('prints usage for -h (exit 0) and the version for --version', async () => {
    const help = runCli(['-h'])
    expect(await help.exited).toBe(0)
    expect(help.logs()).toContain('Usage:\n  nats-accounts [serve] [options]')
    const version = runCli(['--version'])
    expect(await version.exited).toBe(0)
    expect(version.logs()).toMatch(/^nats-accounts \d+\.\d+\.\d+\n$/)
  })

  it('exits 2 with one line on an unknown flag', async () => {
    const run = runCli(['-memory', '512'])
    expect(await run.exited).toBe(2)
    expect(run.logs()).toBe('unknown flag -memory; see --help\n')
  })

  it.each([
    [['-nsc', '/x'], 'support for direct access of the nsc folder has been removed'],
    [['-ro'], 'support for read only directory access with file system updates has been removed'],
    [['-operator', '/nonexistent/op.jwt'], 'cannot read operator JWT /nonexistent/op.jwt: ENOENT'],
  ])('exits 1 for %j', async (args, message) => {
    const dir = await tempDir()
    const run = runCli([...args, '-dir', dir])
    expect(await run.exited).toBe(1)
    expect(run.logs()).toContain(message)
  })

  // A flag value that cannot be parsed is a usage error (exit 2), with the Go server's words.
  it.each([
    [['-hp', '127.0.0.1'], 'error parsing hostport: address 127.0.0.1: missing port in address\n'],
    [['-hp', '127.0.0.1:blam'], 'error parsing hostport: address 127.0.0.1:blam: invalid port "blam"\n'],
  ])('exits 2 for %j', async (args, message) => {
    const run = runCli([...args, '-dir', await tempDir()])
    expect(await run.exited).toBe(2)
    expect(run.logs()).toBe(message)
  })

  it('prints the nsc migration hint with -nsc', async () => {
    const run = runCli(['-nsc', '/x'])
    expect(await run.exited).toBe(1)
    expect(run.logs()).toContain('synchronize using: nsc push --all --account-jwt-server-url <account-server-host-port>/jwt/v1')
  })

  it('exits 1 when the port is taken', async () => {
    const first = await startServer(['-dir', await tempDir()])
    const port = new URL(first.base).port
    const second = runCli(['-hp', `127.0.0.1:${port}`, '-dir', await tempDir()])
    expect(await second.exited).toBe(1)
    expect(second.logs()).toContain(`cannot listen on 127.0.0.1:${port}`)
    expect(await first.stop()).toBe(0)
  })

  it('ends its start-up log with the resolver line and serves', async () => {
    const dir = await tempDir()
    const server = await startServer(['-dir', dir, '-operator', standard.operatorPath])
    const lines = server.logs().trimEnd().split('\n')
    expect(lines.at(-1)).toMatch(/\[INF\]   resolver: URL\(http:\/\/127\.0\.0\.1:\d+\/jwt\/v1\/accounts\/\)$/)
    expect(server.logs()).toContain(`Operator: ${standard.operatorKey}`)
    const probe = await fetch(server.resolverUrl)
    expect(probe.status).toBe(200)
    expect(await server.stop('SIGINT')).toBe(0)
    expect(server.logs()).toContain('closed JWT store')
  })

  it('traces every request with -V once it is answered: method, path, status, bytes, ms', async () => {
    const server = await startServer(['-dir', await tempDir(), '-operator', standard.operatorPath, '-V'])
    const [posted, missing] = standard.accepted
    const account = `/jwt/v1/accounts/${posted!.pubkey}`
    const requests: [string, string, RequestInit?][] = [
      ['POST', account, { method: 'POST', body: standard.jwt(posted!) }],
      ['GET', account],
      ['HEAD', account, { method: 'HEAD' }],
      ['GET', `/jwt/v1/accounts/${missing!.pubkey}`],
      ['GET', `${account}?check=1`],
      ['GET', '/healthz'],
      ['GET', '/jwt/v1/pack'],
    ]
    const expected: RegExp[] = []
    for (const [method, path, init] of requests) {
      const res = await fetch(server.base + path, init)
      const bytes = method === 'HEAD' ? 0 : Buffer.byteLength(await res.text())
      const escaped = path.replace(/[?.]/g, '\\$&')
      expected.push(new RegExp(`\\[TRC\\] request method=${method} path=${escaped} status=${res.status} bytes=${bytes} ms=[\\d.]+$`, 'gm'))
    }
    const traced = () => server.logs().split('\n').filter((line) => line.includes('[TRC]'))
    await waitFor(() => traced().length >= requests.length, { message: 'a trace line per request' })
    for (const line of expected) expect(server.logs().match(line), String(line)).toHaveLength(1)
    expect(traced()).toHaveLength(requests.length)

    // A client that goes away mid-body: the line says the request was cut off, with no status.
    const cut = request(server.resolverUrl + posted!.pubkey, { method: 'POST', headers: { 'Content-Length': '1000', Expect: '100-continue' } })
    cut.on('error', () => undefined)
    cut.on('continue', () => {
      cut.write('x'.repeat(100))
      cut.destroy()
    })
    cut.flushHeaders()
    await waitFor(() => traced().length > requests.length, { message: 'the trace line of the cut-off request' })
    expect(traced().at(-1)).toMatch(new RegExp(`\\[TRC\\] request method=POST path=${account} bytes=0 ms=[\\d.]+ aborted=true$`))
    await server.stop()
  })

  it('names the account (its name and key) in the push log line', async () => {
    const server = await startServer(['-dir', await tempDir(), '-operator', standard.operatorPath])
    const entry = standard.accepted.find((e) => e.name === 'A1')!
    expect((await fetch(server.resolverUrl + entry.pubkey, { method: 'POST', body: standard.jwt(entry) })).status).toBe(200)
    await server.stop()
    expect(server.logs()).toMatch(new RegExp(`\\[INF\\] account JWT push account=${entry.pubkey} name=A1 client=\\S+ jti=\\S+ verdict=stored\n`))
  })

  it('prints the start-up banner and configuration warnings once with --workers 2', async () => {
    const dir = await tempDir()
    const conf = join(dir, 'nas.conf')
    await writeFile(conf, 'colour: true\n')
    const server = await startServer(['-c', conf, '--sqlite', join(dir, 'a.db'), '-operator', standard.operatorPath, '--workers', '2'])
    await waitFor(() => server.logs().includes('all 2 workers are serving'), { timeoutMs: 15_000, message: 'both workers serving' })
    const once = [
      ':1: colour: unknown key, ignored',
      'starting nats-accounts, version',
      'server time is',
      `Operator: ${standard.operatorKey}`,
      'using the SQLite store',
      'NATS is not configured',
      'http listening on port',
      'nats-accounts is running',
      'configure the nats-server with:',
      'resolver: URL(',
    ]
    for (const text of once) expect(server.logs().split(text).length - 1, text).toBe(1)
    expect(await server.stop()).toBe(0)
    expect(server.logs()).toContain('closed JWT store worker=2')
  })

  it('traces nothing without -V', async () => {
    const server = await startServer(['-dir', await tempDir()])
    expect((await fetch(`${server.base}/healthz`)).status).toBe(200)
    expect((await fetch(server.resolverUrl + standard.accepted[0]!.pubkey)).status).toBe(404)
    await server.stop()
    expect(server.logs()).not.toContain('[TRC]')
  })

  it('says at start-up and on every POST why it cannot accept pushes without an operator', async () => {
    const server = await startServer(['-dir', await tempDir()])
    expect(server.logs()).toContain('No Operator is configured - You will NOT be able to push jwt to this account server')
    const entry = standard.accepted[0]!
    const res = await fetch(`${server.base}/jwt/v1/accounts/${entry.pubkey}`, { method: 'POST', body: standard.jwt(entry) })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('no operator is configured')
    await server.stop()
  })

  it('lets an in-flight request finish on SIGTERM, then exits 0', async () => {
    const dir = await tempDir()
    const server = await startServer(['-dir', dir, '-operator', standard.operatorPath, '-V'])
    const entry = standard.accepted.find((e) => e.name === 'A1')!
    const jwt = standard.jwt(entry)
    const url = new URL(`/jwt/v1/accounts/${entry.pubkey}`, server.base)
    const status = new Promise<number>((resolve, reject) => {
      // The 100 Continue says the server has the request in hand before it has the body.
      const headers = { 'Content-Length': String(jwt.length), Expect: '100-continue' }
      const req = request(url, { method: 'POST', headers }, (res) => {
        res.resume()
        resolve(res.statusCode!)
      })
      req.on('error', reject)
      req.on('continue', () => {
        req.write(jwt.slice(0, 100))
        // Signal while the server is handling the request, then send the rest of the body.
        server.child.kill('SIGTERM')
        waitFor(() => server.logs().includes('received SIGTERM'), { message: 'the signal' }).then(() => req.end(jwt.slice(100)), reject)
      })
      req.flushHeaders()
    })
    expect(await status).toBe(200)
    expect(await server.exited).toBe(0)
    expect(await readdir(dir)).toEqual([`${entry.pubkey}.jwt`])
  })
})
