/**
 * Admin by client certificate: with mTLS (`http.tls.ca`), a client whose certificate subject is in
 * `--admin-cert-subjects` may delete; another certificate is refused (403) and nothing changes.
 */
import { readFileSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { canonicalSubject } from '../../src/http/admin-auth.js'
import { makePki, type Pki } from '../helpers/certs.js'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { mintAccount, newKey, operatorSigningKey } from '../helpers/mint.js'
import { startAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'

const set = loadFixtureSet('standard')
const signer = operatorSigningKey(set.dir)
let pki: Pki

beforeAll(async () => {
  pki = await makePki()
})

function https(url: string, method: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca: [readFileSync(pki.ca)], cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode!, text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function serverWith(subjects: string[]) {
  const dir = await tempDir()
  const server = await startAccountServer({
    operator: set.operatorPath,
    store: { type: 'sqlite', file: join(dir, 'accounts.db') },
    http: { host: '127.0.0.1', port: 0, maxBodyBytes: 1024 * 1024, readTimeoutMs: 5000, tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca } },
    api: { auth: false, adminTokenFile: '', adminCertSubjects: subjects },
  })
  const base = server.base.replace('http:', 'https:').replace('127.0.0.1', 'localhost')
  const key = newKey('account').publicKey
  expect((await https(`${base}/jwt/v1/accounts/${key}`, 'POST', mintAccount(key, signer))).status).toBe(200)
  return { server, base, key }
}

describe('admin by client certificate', () => {
  it('a listed subject may delete', async () => {
    const { server, base, key } = await serverWith(['CN=nats-server'])
    try {
      const res = await https(`${base}/api/v1/accounts/${key}`, 'DELETE')
      expect(res.status).toBe(200)
      expect(JSON.parse(res.text)).toEqual({ deleted: 1, accounts: [key], kept: [] })
      expect((await https(`${base}/jwt/v1/accounts/${key}`, 'GET')).status).toBe(404)
    } finally {
      await server.stop()
    }
  })

  it('another subject is refused with 403, and the account stays', async () => {
    const { server, base, key } = await serverWith(['CN=ops,O=Example'])
    try {
      const res = await https(`${base}/api/v1/accounts/${key}`, 'DELETE')
      expect(res.status).toBe(403)
      expect(JSON.parse(res.text).error).toEqual({ code: 'ERR_FORBIDDEN', message: 'the client certificate subject CN=nats-server is not an admin subject (--admin-cert-subjects)' })
      expect((await https(`${base}/jwt/v1/accounts/${key}`, 'GET')).status).toBe(200)
    } finally {
      await server.stop()
    }
  })

  it('reads subjects in RFC 4514 and OpenSSL forms alike', () => {
    expect(canonicalSubject('CN=ops, O=Example')).toBe('CN=ops,O=Example')
    expect(canonicalSubject('/O=Example/CN=ops')).toBe('CN=ops,O=Example')
    expect(canonicalSubject('cn=ops,o=Example')).toBe('CN=ops,O=Example')
  })
})
