/**
 * The Dockerfile's HEALTHCHECK command, taken from the Dockerfile as Docker reads it and run by
 * `sh -c` with the image's environment, against the built server over real HTTP(S).
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { makePki } from '../helpers/certs.js'
import { startServer } from '../helpers/cli.js'
import { freePort } from '../helpers/ports.js'
import { tempDir } from '../helpers/tmp.js'

const DOCKERFILE = readFileSync(fileURLToPath(new URL('../../Dockerfile', import.meta.url)), 'utf8')

/** The shell form after `HEALTHCHECK [options] CMD`, continuation lines joined as Docker joins them. */
function healthCheckCommand(): string {
  const joined = DOCKERFILE.replace(/\\\n/g, '')
  const match = /^HEALTHCHECK\s.*?\sCMD\s+(.+)$/m.exec(joined)
  if (!match) throw new Error('the Dockerfile has no HEALTHCHECK ... CMD')
  return match[1]!
}

/** The image's own settings, then the container's `-e` ones; resolves the exit code. */
function runHealthCheck(env: NodeJS.ProcessEnv): Promise<number> {
  const imageEnv = { NATS_ACCOUNTS_HTTP_HOST: '0.0.0.0', NATS_ACCOUNTS_LOG_FORMAT: 'json' }
  return new Promise((resolve) => {
    execFile('sh', ['-c', healthCheckCommand()], { env: { PATH: process.env.PATH, ...imageEnv, ...env }, timeout: 10_000 }, (err) =>
      resolve(err ? Number((err as { code?: number }).code ?? 1) : 0),
    )
  })
}

describe('Dockerfile HEALTHCHECK', () => {
  it('is healthy while the server answers /healthz on the configured port, unhealthy once it stops', async () => {
    const server = await startServer(['--sqlite', join(await tempDir(), 'a.db')])
    const port = new URL(server.base).port
    try {
      expect(await runHealthCheck({ NATS_ACCOUNTS_HTTP_PORT: port })).toBe(0)
    } finally {
      await server.stop()
    }
    expect(await runHealthCheck({ NATS_ACCOUNTS_HTTP_PORT: port })).toBe(1)
  })

  it('is unhealthy when nothing serves the port it is told', async () => {
    expect(await runHealthCheck({ NATS_ACCOUNTS_HTTP_PORT: String(await freePort()) })).toBe(1)
  })

  it('asks over HTTPS when the image serves HTTPS', async () => {
    const pki = await makePki()
    const tls = { NATS_ACCOUNTS_HTTP_TLS_CERT: pki.serverCert, NATS_ACCOUNTS_HTTP_TLS_KEY: pki.serverKey }
    const server = await startServer(['--sqlite', join(await tempDir(), 'a.db')], { env: tls })
    try {
      expect(await runHealthCheck({ ...tls, NATS_ACCOUNTS_HTTP_PORT: new URL(server.base).port })).toBe(0)
    } finally {
      await server.stop()
    }
  })
})
