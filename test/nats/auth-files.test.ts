/**
 * The credential files of a NATS connection, read from real files: every kind mistake is
 * refused at start-up with its cause and fix, files others can read are warned about, a
 * replaced file is read again at the next connect, and a failed read keeps the last good one.
 */
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { defaultConfig, type NatsAuthConfig } from '../../src/config/types.js'
import { ConfigError } from '../../src/errors.js'
import { createLogger } from '../../src/log/logger.js'
import { NatsAuth, redactedNatsConfig } from '../../src/nats/auth.js'
import { makePki } from '../helpers/certs.js'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { formatCreds, mintUser, newKey, signerFromSeed } from '../helpers/mint.js'
import { tempDir } from '../helpers/tmp.js'

const set = loadFixtureSet('standard')
const seedFile = (name: string) => join(set.dir, 'seeds', `${name}.nk`)
const NAMES = { creds: '-creds (nats.creds)', nkey: '--nkey (nats.nkey)', prefix: 'nats', fix: 'THE FIX' }

function auth(settings: Partial<NatsAuthConfig>, servers = ['nats://127.0.0.1:1']): { auth: NatsAuth; logs: () => string } {
  let output = ''
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => (output += line) } })
  const config = { ...defaultConfig().nats, ...settings }
  return { auth: new NatsAuth(servers, config, logger, NAMES), logs: () => output }
}

function refusal(settings: Partial<NatsAuthConfig>, servers?: string[]): string {
  try {
    auth(settings, servers)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as Error).message
  }
  throw new Error('accepted')
}

async function file(text: string, mode = 0o600): Promise<string> {
  const path = join(await tempDir(), 'secret')
  await writeFile(path, text, { mode })
  await chmod(path, mode)
  return path
}

describe('start-up: a file of the wrong kind is refused, naming it, the cause and the fix', () => {
  it('a missing or unreadable file', async () => {
    const missing = join(await tempDir(), 'sys.creds')
    expect(refusal({ credentials: missing })).toBe(`cannot read NATS credentials file ${missing}: ENOENT, it does not exist; THE FIX`)
    const dir = await tempDir()
    expect(refusal({ nkey: dir })).toBe(`cannot read NKey seed file ${dir}: EISDIR, it is a directory; THE FIX`)
    expect(refusal({ tokenFile: missing })).toBe(`cannot read NATS token file ${missing}: ENOENT, it does not exist; THE FIX`)
  })

  it('a seed where creds are expected, creds where a seed is expected', async () => {
    const seed = seedFile('SYS-user')
    expect(refusal({ credentials: seed })).toBe(
      `NATS credentials file ${seed} is an NKey seed file, not a .creds file (it holds no user JWT): give it as an NKey seed (--nkey, nats.nkey) instead; THE FIX`,
    )
    const creds = set.credsPath('SYS')
    expect(refusal({ nkey: creds })).toBe(`NKey seed file ${creds} is a .creds file (a user JWT and its seed), not a seed file: give it as credentials (-creds, nats.creds) instead; THE FIX`)
    expect(refusal({ credentials: set.operatorPath })).toBe(`NATS credentials file ${set.operatorPath} is not a .creds file: it does not hold a user JWT and its nkey seed; THE FIX`)
  })

  it('an account or operator seed where a user seed is expected, never printing the seed', async () => {
    const accountSeed = (await readFile(seedFile('SYS'), 'utf8')).trim()
    const account = signerFromSeed(accountSeed).publicKey
    const message = refusal({ nkey: seedFile('SYS') })
    expect(message).toBe(`NKey seed file ${seedFile('SYS')} holds an account seed (SA…, public key ${account}) where a user seed (SU…) is expected: NATS clients connect as users; THE FIX`)
    expect(refusal({ nkey: seedFile('operator') })).toMatch(/holds an operator seed \(SO…, public key O[A-Z2-7]{55}\) where a user seed/)
    // A creds file whose seed is an account's (hand-made, or pasted wrongly).
    const user = newKey('user')
    const creds = await file(formatCreds(mintUser(user.publicKey, signerFromSeed(accountSeed)), accountSeed))
    const credsMessage = refusal({ credentials: creds })
    expect(credsMessage).toContain(`NATS credentials file ${creds} holds an account seed (SA…`)
    expect(`${message}${credsMessage}`).not.toContain(accountSeed)
  })

  it('a public key where the seed is expected, a seed of another user than the JWT, an empty token file', async () => {
    const user = signerFromSeed(await readFile(seedFile('SYS-user'), 'utf8'))
    const publicOnly = await file(`${user.publicKey}\n`)
    expect(refusal({ nkey: publicOnly })).toBe(`NKey seed file ${publicOnly} holds the public key ${user.publicKey}, not its seed (S…): the seed signs the server's challenge; THE FIX`)
    const other = newKey('user')
    const mixed = await file(formatCreds(mintUser(user.publicKey, signerFromSeed(await readFile(seedFile('SYS'), 'utf8'))), other.seed!))
    expect(refusal({ credentials: mixed })).toBe(`NATS credentials file ${mixed} is damaged: its seed is the one of user ${other.publicKey}, its JWT is for ${user.publicKey}; THE FIX`)
    const empty = await file('\n')
    expect(refusal({ tokenFile: empty })).toBe(`NATS token file ${empty} is empty; THE FIX`)
  })

  it('TLS files: a certificate without key, a key that is not the certificate\'s, a file that is not PEM', async () => {
    const pki = await makePki()
    expect(refusal({ tls: { cert: pki.clientCert, key: '', ca: '' } })).toBe(`the TLS client certificate ${pki.clientCert} has no key file: give its private key too; THE FIX`)
    expect(refusal({ tls: { cert: pki.clientCert, key: pki.serverKey, ca: pki.ca } })).toBe(`TLS client key ${pki.serverKey} is not the key of the certificate ${pki.clientCert}; THE FIX`)
    expect(refusal({ tls: { cert: pki.clientKey, key: pki.clientKey, ca: '' } })).toBe(`TLS client certificate ${pki.clientKey} is not a PEM certificate; THE FIX`)
    expect(refusal({ tls: { cert: '', key: '', ca: seedFile('SYS-user') } })).toBe(`TLS CA file ${seedFile('SYS-user')} is not a PEM certificate; THE FIX`)
    expect(() => auth({ tls: { cert: pki.clientCert, key: pki.clientKey, ca: pki.ca } })).not.toThrow()
  })

  it('two identities for one connection', async () => {
    expect(refusal({ credentials: set.credsPath('SYS'), nkey: seedFile('SYS-user') })).toBe('-creds (nats.creds) and --nkey (nats.nkey) are two ways to authenticate one NATS connection: choose one')
    expect(refusal({ token: 't' }, ['nats://u:p@127.0.0.1:1'])).toBe('nats.token and the user and password in the NATS URL are two ways to authenticate one NATS connection: choose one')
    expect(refusal({ user: 'u' })).toBe('the NATS user "u" needs its password: set nats.password or nats.password_file')
    expect(refusal({ password: 'p' })).toBe('a NATS password needs its user: set nats.user too')
  })
})

describe('files others can read', () => {
  it('warns, as ssh does, for a group- or world-readable credentials file, and starts', async () => {
    const creds = await file(await readFile(set.credsPath('SYS'), 'utf8'), 0o644)
    const { logs } = auth({ credentials: creds })
    expect(logs()).toContain(`[WRN] NATS credentials file ${creds} can be read by every user (mode 0644): anyone who reads it can connect as this NATS user; run chmod 600 ${creds}`)
    const seed = await file(await readFile(seedFile('SYS-user'), 'utf8'), 0o640)
    expect(auth({ nkey: seed }).logs()).toContain(`[WRN] NKey seed file ${seed} can be read by its group (mode 0640)`)
    const quiet = await file(await readFile(seedFile('SYS-user'), 'utf8'), 0o600)
    expect(auth({ nkey: quiet }).logs()).not.toContain('[WRN]')
  })
})

describe('every connect reads the files again', () => {
  it('a replaced seed file signs the next nonce; a failed read keeps the last good seed and says why', async () => {
    const first = newKey('user')
    const second = newKey('user')
    const path = await file(`${first.seed}\n`)
    const { auth: a, logs } = auth({ nkey: path })
    expect(a.authenticate('nonce-1')).toMatchObject({ nkey: first.publicKey })
    await writeFile(`${path}.new`, `${second.seed}\n`)
    await rename(`${path}.new`, path)
    expect(a.authenticate('nonce-2')).toMatchObject({ nkey: second.publicKey })
    expect(logs()).toContain(`[INF] the NATS credentials changed on disk: connecting as the NATS user ${second.publicKey} (NKey of ${path})`)
    await rm(path)
    await mkdir(path)
    expect(a.authenticate('nonce-3')).toMatchObject({ nkey: second.publicKey })
    expect(logs()).toContain(`[WRN] cannot use the NATS credentials on disk (cannot read NKey seed file ${path}: EISDIR, it is a directory); connecting with the ones read before`)
    expect(logs()).not.toContain(first.seed)
    expect(logs()).not.toContain(second.seed)
  })

  it('the token file and the password file too; changedOnDisk tells a reload what the connection used', async () => {
    const tokenPath = await file('first-token\n')
    const { auth: t } = auth({ tokenFile: tokenPath })
    expect(t.changedOnDisk()).toBe(false)
    expect(t.authenticate()).toEqual({ auth_token: 'first-token' })
    expect(t.changedOnDisk()).toBe(false)
    await writeFile(tokenPath, 'second-token\n')
    expect(t.changedOnDisk()).toBe(true)
    expect(t.authenticate()).toEqual({ auth_token: 'second-token' })
    const passwordPath = await file('pw-1')
    const { auth: p } = auth({ user: 'sys', passwordFile: passwordPath })
    expect(p.authenticate()).toEqual({ user: 'sys', pass: 'pw-1' })
  })

  it('a renewed TLS client certificate counts as a change for a reload', async () => {
    const [pki, renewed] = [await makePki(), await makePki()]
    const { auth: a } = auth({ tls: { cert: pki.clientCert, key: pki.clientKey, ca: pki.ca } })
    a.authenticate()
    expect(a.changedOnDisk()).toBe(false)
    await writeFile(pki.clientCert, await readFile(renewed.clientCert))
    await writeFile(pki.clientKey, await readFile(renewed.clientKey))
    expect(a.changedOnDisk()).toBe(true)
    expect(a.connectOptions().tls).toEqual({ caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey })
  })

  it('user and password or token from the URL go to the client as options, not in the URL', () => {
    const { auth: a } = auth({}, ['nats://sys:s3cret@127.0.0.1:1', 'nats://127.0.0.1:2'])
    expect(a.connectOptions().servers).toEqual(['nats://127.0.0.1:1', 'nats://127.0.0.1:2'])
    expect(a.redactedServers).toBe('nats://sys:[REDACTED]@127.0.0.1:1, nats://127.0.0.1:2')
    expect(a.authenticate()).toEqual({ user: 'sys', pass: 's3cret' })
  })
})

it('-dump shows no password or token, in settings or URLs, of either connection', () => {
  const nats = { ...defaultConfig().nats, servers: ['nats://tok-in-url@h:4222'], user: 'sys', password: 'pw-value', token: '' }
  expect(JSON.stringify(redactedNatsConfig(nats))).not.toMatch(/pw-value|tok-in-url/)
  expect(redactedNatsConfig(nats)).toMatchObject({ user: 'sys', password: '[REDACTED]', token: '' })
  const kv = { type: 'kv' as const, bucket: 'b', servers: ['nats://kv:pw-in-url@h'], creds: '', token: 'kv-token', replicas: 1, tls: { cert: '', key: '', ca: '' }, snapshot: '' }
  expect(JSON.stringify(redactedNatsConfig(kv))).not.toMatch(/pw-in-url|kv-token/)
})
