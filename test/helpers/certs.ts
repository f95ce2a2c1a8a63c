/**
 * A throw-away PKI made with openssl at test time: a CA, a server certificate for 127.0.0.1 /
 * localhost, and a client certificate, all signed by the CA.
 */
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { tempDir } from './tmp.js'

const run = promisify(execFile)

export type Pki = {
  ca: string
  serverCert: string
  serverKey: string
  clientCert: string
  clientKey: string
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir })
}

async function issue(dir: string, name: string, subject: string, extensions: string): Promise<void> {
  await openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', subject])
  await writeFile(join(dir, `${name}.ext`), extensions)
  await openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2', '-out', `${name}.pem`, '-extfile', `${name}.ext`])
}

export async function makePki(): Promise<Pki> {
  const dir = await tempDir('nats-accounts-pki-')
  await openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=nats-accounts test CA'])
  await issue(dir, 'server', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  await issue(dir, 'client', '/CN=nats-server', 'extendedKeyUsage=clientAuth\n')
  const at = (file: string) => join(dir, file)
  return {
    ca: at('ca.pem'),
    serverCert: at('server.pem'),
    serverKey: at('server-key.pem'),
    clientCert: at('client.pem'),
    clientKey: at('client-key.pem'),
  }
}
