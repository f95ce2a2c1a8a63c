/**
 * `nsc add account A; nsc edit account A --conns 5; nsc push -a A` within one second: the edit
 * has the same `jti` and `iat` as the first JWT and other limits. It must be stored and served,
 * with an ETag that changes, over a real socket (fast path) and through the routes.
 */
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { decodeJwt } from '../../src/jwt/decode.js'
import { SAME_JTI_WARNING } from '../../src/accounts/local-writer.js'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { newKey, operatorSigningKey } from '../helpers/mint.js'
import { sameSecondEdit } from '../helpers/nsc.js'
import { startAccountServer, type RunningAccountServer } from '../helpers/server.js'
import { tempDir } from '../helpers/tmp.js'

const set = loadFixtureSet('standard')
const servers: RunningAccountServer[] = []
afterAll(async () => {
  for (const server of servers) await server.stop()
})

const limitsOf = (jwt: string) => (decodeJwt(jwt).claims.nats as { limits: { conn: number } }).limits.conn

describe('an edit within the same second (same jti and iat, other limits)', () => {
  it.each([
    ['the fast path', (key: string) => `/jwt/v1/accounts/${key}`],
    ['the routes', (key: string) => `/jwt/v1//accounts/${key}`],
  ])('is stored and served with a new ETag through %s', async (_, pathOf) => {
    const server = await startAccountServer({
      operator: set.operatorPath,
      store: { type: 'sqlite', file: join(await tempDir(), 'a.db') },
    })
    servers.push(server)
    const signer = operatorSigningKey(set.dir)
    const account = newKey('account').publicKey
    const { added, edited } = sameSecondEdit(account, signer)
    const url = `${server.base}${pathOf(account)}`
    const push = (jwt: string) => fetch(`${server.base}/jwt/v1/accounts/${account}`, { method: 'POST', body: jwt })

    const first = await push(added)
    expect(first.status).toBe(200)
    expect(await first.text()).toBe('')
    const before = await fetch(url)
    expect(await before.text()).toBe(added)
    const oldTag = before.headers.get('ETag')!

    const second = await push(edited)
    expect(second.status).toBe(200)
    expect(await second.text()).toBe(`${SAME_JTI_WARNING}\n`)
    expect(server.logs()).toContain(`[WRN] ${SAME_JTI_WARNING} account=${account} name=A`)

    const after = await fetch(url)
    expect(after.status).toBe(200)
    const body = await after.text()
    expect(body).toBe(edited)
    expect(limitsOf(body)).toBe(5)
    const newTag = after.headers.get('ETag')!
    expect(newTag).toMatch(/^"[A-Za-z0-9_-]{22}"$/)
    expect(newTag).not.toBe(oldTag)

    const revalidated = await fetch(url, { headers: { 'If-None-Match': oldTag } })
    expect(revalidated.status).toBe(200)
    expect(await revalidated.text()).toBe(edited)
    expect((await fetch(url, { headers: { 'If-None-Match': newTag } })).status).toBe(304)

    const again = await push(edited)
    expect(again.status).toBe(200)
    expect(await again.text()).toBe('')
    const history = (await (await fetch(`${server.base}/jwt/v1/accounts/${account}/history`)).json()) as { jti: string }[]
    expect(history).toHaveLength(2)
    expect(history[0]!.jti).toBe(history[1]!.jti)
  })
})
