/**
 * HTTPS and mTLS with a real nats-server as the client (`resolver_tls`), and TLS to NATS;
 * certificates are made with openssl at test time.
 */
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { request } from 'node:https'
import { join } from 'node:path'
import { connect, credsAuthenticator } from '@nats-io/transport-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makePki, type Pki } from '../helpers/certs.js'
import { startServer, type RunningServer } from '../helpers/cli.js'
import { loadFixtureSet, natsServerOperatorConfig } from '../helpers/fixtures.js'
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js'
import { waitFor } from '../helpers/wait.js'
import { freePort } from '../helpers/ports.js'
import { tempDir } from '../helpers/tmp.js'

const set = loadFixtureSet('standard')
const a1 = set.accepted.find((e) => e.name === 'A1')!
let pki: Pki
const stops: (() => Promise<unknown>)[] = []
beforeAll(async () => {
  pki = await makePki()
})
afterAll(async () => {
  for (const stop of stops.reverse()) await stop()
})

/** An HTTPS request trusting our CA, with or without a client certificate; resolves the status. */
function httpsRequest(url: string, options: { client: boolean; body?: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: options.body === undefined ? 'GET' : 'POST',
      ca: [readFileSync(pki.ca)],
      ...(options.client ? { cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) } : {}),
    }, (res) => {
      res.resume()
      resolve(res.statusCode!)
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

function postTls(server: RunningServer, pubkey: string, jwt: string, client: boolean): Promise<number> {
  return httpsRequest(`${server.base}/jwt/v1/accounts/${pubkey}`, { client, body: jwt })
}

async function serveHttps(env: NodeJS.ProcessEnv): Promise<RunningServer> {
  const server = await startServer(['--sqlite', join(await tempDir(), 'a.db'), '-operator', set.operatorPath], {
    env: { NATS_ACCOUNTS_HTTP_TLS_CERT: pki.serverCert, NATS_ACCOUNTS_HTTP_TLS_KEY: pki.serverKey, ...env },
  })
  stops.push(() => server.stop())
  return server
}

async function natsUsing(server: RunningServer, resolverTls: string): Promise<NatsServer> {
  const nats = await startNatsServer({
    config: `${natsServerOperatorConfig(set)}resolver: URL(${server.resolverUrl})\nresolver_tls { ${resolverTls} }\n`,
  })
  stops.push(() => nats.stop())
  return nats
}

async function userConnects(nats: NatsServer): Promise<void> {
  const nc = await connect({ servers: nats.url, authenticator: credsAuthenticator(await readFile(set.credsPath('A1'))), reconnect: false })
  await nc.flush()
  await nc.close()
}

describe('HTTPS', () => {
  it('serves nats-server over HTTPS with resolver_tls trusting our CA', async () => {
    const server = await serveHttps({})
    expect(server.resolverUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/jwt\/v1\/accounts\/$/)
    expect(server.logs()).toContain('https listening on port')
    for (const entry of set.accepted) {
      const res = await postTls(server, entry.pubkey, set.jwt(entry), false)
      expect(res).toBe(200)
    }
    const nats = await natsUsing(server, `ca_file: ${JSON.stringify(pki.ca)}`)
    await userConnects(nats)
  })

  it('requires client certificates with http.tls.ca (mTLS): nats-server presents one, others fail', async () => {
    const server = await serveHttps({ NATS_ACCOUNTS_HTTP_TLS_CA: pki.ca })
    expect(server.logs()).toContain('(client certificates required)')
    await expect(httpsRequest(`${server.base}/healthz`, { client: false })).rejects.toThrow()
    expect(await httpsRequest(`${server.base}/healthz`, { client: true })).toBe(200)
    expect(await postTls(server, a1.pubkey, set.jwt(a1), true)).toBe(200)
    const sys = set.accepted.find((e) => e.name === 'SYS')!
    expect(await postTls(server, sys.pubkey, set.jwt(sys), true)).toBe(200)
    const nats = await natsUsing(
      server,
      `ca_file: ${JSON.stringify(pki.ca)}, cert_file: ${JSON.stringify(pki.clientCert)}, key_file: ${JSON.stringify(pki.clientKey)}`,
    )
    await userConnects(nats)
  })
})

describe('TLS to NATS', () => {
  it('connects to a nats-server that requires TLS and client certificates, and notifies over it', async () => {
    const port = await freePort()
    const server = await startServer(['--sqlite', join(await tempDir(), 'a.db'), '-operator', set.operatorPath, '-nats', `tls://127.0.0.1:${port}`, '-creds', set.credsPath('SYS')], {
      env: { NATS_ACCOUNTS_NATS_TLS_CA: pki.ca, NATS_ACCOUNTS_NATS_TLS_CERT: pki.clientCert, NATS_ACCOUNTS_NATS_TLS_KEY: pki.clientKey },
    })
    stops.push(() => server.stop())
    for (const name of ['SYS', 'A1']) {
      const entry = set.accepted.find((e) => e.name === name)!
      await fetch(`${server.base}/jwt/v1/accounts/${entry.pubkey}`, { method: 'POST', body: set.jwt(entry) })
    }
    const nats = await startNatsServer({
      port,
      config: `${natsServerOperatorConfig(set)}resolver: URL(${server.resolverUrl})
tls { cert_file: ${JSON.stringify(pki.serverCert)}, key_file: ${JSON.stringify(pki.serverKey)}, ca_file: ${JSON.stringify(pki.ca)}, verify: true }
`,
    })
    stops.push(() => nats.stop())
    await waitFor(() => server.logs().includes('connected to NATS at'), { timeoutMs: 10_000, message: 'a TLS connection to NATS' })
    await waitFor(() => server.logs().includes('delayed update notification'), { timeoutMs: 5000, message: 'the delayed notifications' })
  })
})
