/**
 * POSTs of JWTs nats-server could not decode, to the built CLI over HTTP: 400 with the reason,
 * nothing stored; `--clock-skew` sets how far in the future an `iat` may be.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { GO_CLAIMS_INVALID } from '../../src/http/status.js'
import { startServer, type RunningServer } from '../helpers/cli.js'
import { mintAccount, mintOperator, newKey, UNLIMITED, type Signer } from '../helpers/mint.js'
import { tempDir } from '../helpers/tmp.js'

const servers: RunningServer[] = []
afterAll(async () => {
  for (const server of servers) await server.stop()
})

function signRaw(payload: string, signer: Signer): string {
  const header = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' })).toString('base64url')
  const input = `${header}.${Buffer.from(payload).toString('base64url')}`
  return `${input}.${signer.sign(Buffer.from(input)).toString('base64url')}`
}


describe('POST of a JWT nats-server cannot decode', () => {
  it('answers 400 with the reason and stores nothing; --clock-skew bounds a future iat', async () => {
    const dir = await tempDir()
    const operator = newKey('operator')
    await writeFile(join(dir, 'op.jwt'), mintOperator(operator))
    const server = await startServer(['--sqlite', join(dir, 'a.db'), '-operator', join(dir, 'op.jwt'), '--clock-skew', '1h'])
    servers.push(server)
    const post = async (account: string, jwt: string) => {
      const res = await fetch(`${server.base}/jwt/v1/accounts/${account}`, { method: 'POST', body: jwt })
      return { status: res.status, body: await res.text() }
    }
    const stored = async (account: string) => (await fetch(`${server.base}/jwt/v1/accounts/${account}`)).status
    const now = Math.floor(Date.now() / 1000)
    const account = newKey('account').publicKey
    const payload = (iat: string, extra = '') =>
      `{"jti":"J${iat}","iat":${iat},"iss":"${operator.publicKey}","name":"A","sub":"${account}"${extra},"nats":{"limits":${JSON.stringify(UNLIMITED)},"type":"account","version":2}}`

    const exponent = await post(account, signRaw(payload('1.9e9'), operator))
    expect(exponent.status).toBe(400)
    expect(exponent.body.startsWith(GO_CLAIMS_INVALID)).toBe(true)
    // Both issues: nats-server cannot read it, and read as a number it is in 2030.
    expect(exponent.body).toContain('\t - json: cannot unmarshal number 1.9e9 into iat of type int64\n')
    expect(exponent.body).toMatch(/\t - issued in the future: iat 2030-03-17T17:46:40Z \(iat 1900000000\) is \d+ s after/)
    const subject = await post(account, signRaw(payload(String(now), `,"SUB":"${newKey('account').publicKey}"`), operator))
    expect(subject.status).toBe(400)
    expect(subject.body).toContain('\t - key "SUB" differs from "sub" only in letter case: nats-server reads it as "sub", use that spelling alone\n')
    const future = await post(account, mintAccount(account, operator, { iat: now + 7200 }))
    expect(future.status).toBe(400)
    expect(future.body).toMatch(/\t - issued in the future: iat \S+ \(iat \d+\) is \d+ s after this server's time \S+ \(iat \d+\); at most 3600 s of clock skew are accepted/)
    expect(future.body).toContain(`(iat ${now + 7200})`)
    expect(await stored(account)).toBe(404)

    const withinSkew = mintAccount(account, operator, { iat: now + 1800 })
    expect((await post(account, withinSkew)).status).toBe(200)
    expect(await (await fetch(`${server.base}/jwt/v1/accounts/${account}`)).text()).toBe(withinSkew)
  })
})
