/** The built CLI as a process: flags, exit codes, start-up log, graceful stop. */
import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { readdir } from 'node:fs/promises'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { runCli, startServer } from '../helpers/cli.js'
import { waitFor } from '../helpers/nats-server.js'
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
    [['-hp', '127.0.0.1'], 'error parsing hostport: address 127.0.0.1: missing port in address'],
    [['-hp', '127.0.0.1:blam'], 'error parsing hostport: address 127.0.0.1:blam: invalid port "blam"'],
    [['-operator', '/nonexistent/op.jwt'], 'cannot read operator JWT /nonexistent/op.jwt: ENOENT'],
  ])('exits 1 for %j', async (args, message) => {
    const dir = await tempDir()
    const run = runCli([...args, '-dir', dir])
    expect(await run.exited).toBe(1)
    expect(run.logs()).toContain(message)
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
      const req = request(url, { method: 'POST', headers: { 'Content-Length': String(jwt.length) } }, (res) => {
        res.resume()
        resolve(res.statusCode!)
      })
      req.on('error', reject)
      req.write(jwt.slice(0, 100))
      // Signal only once the server is handling the request, then send the rest of the body.
      waitFor(() => /request received method=POST/.test(server.logs()), { message: 'the POST to arrive' })
        .then(() => {
          server.child.kill('SIGTERM')
          return waitFor(() => server.logs().includes('received SIGTERM'), { message: 'the signal' })
        })
        .then(() => req.end(jwt.slice(100)), reject)
    })
    expect(await status).toBe(200)
    expect(await server.exited).toBe(0)
    expect(await readdir(dir)).toEqual([`${entry.pubkey}.jwt`])
  })
})
