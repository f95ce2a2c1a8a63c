/**
 * The objects kept for every account share one hidden class. In Node 20's V8 an object spread
 * followed by more properties (`{ ...meta, jwt }`) gives each object a map of its own once the
 * code is warm: ~350 bytes more per account, 90 MiB of RSS at 100,000 accounts. V8's
 * `%HaveSameMap` is the only way to see it, so the check runs the built modules in a child
 * process with `--allow-natives-syntax`.
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { mintAccount, mintOperator, newKey } from '../helpers/mint.js'
import { tempDir } from '../helpers/tmp.js'

const dist = (path: string) => pathToFileURL(join(process.cwd(), 'dist', path)).href

const CHILD = `
import { readFileSync } from 'node:fs'
const { factsOf } = await import(process.argv[2])
const { checkAccountJwt } = await import(process.argv[3])
const { parseOperator } = await import(process.argv[4])
const { operator, jwts } = JSON.parse(readFileSync(process.argv[5], 'utf8'))
const check = { trust: parseOperator(operator, 'test'), now: Math.floor(Date.now() / 1000) }
const stored = []
const facts = []
// Enough rounds for the code to be optimized: the per-object maps appear only then.
for (let round = 0; round < 20; round++) {
  for (const jwt of jwts) {
    const account = checkAccountJwt(jwt, check)
    stored.push(account)
    facts.push(factsOf(account))
  }
}
const same = (list) => list.every((o) => %HaveSameMap(o, list[0]))
console.log(JSON.stringify({ stored: same(stored), facts: same(facts) }))
`

describe('memory kept per account', () => {
  it('every checked account and every account-list entry share one hidden class, once the code is optimized', async () => {
    const dir = await tempDir()
    const operator = newKey('operator')
    const jwts = Array.from({ length: 200 }, (_, i) =>
      mintAccount(newKey('account').publicKey, operator, {
        name: i % 2 === 0 ? `acct-${i}` : `ACCOUNT ${i}`,
        exp: i % 3 === 0 ? Math.floor(Date.now() / 1000) + 3600 : undefined,
        nats: i % 5 === 0 ? { exports: [{ subject: `svc.${i}`, type: 'service' }] } : {},
      }),
    )
    const jwtFile = join(dir, 'jwts.json')
    writeFileSync(jwtFile, JSON.stringify({ operator: mintOperator(operator, { name: 'OP' }), jwts }))
    const script = join(dir, 'child.mjs')
    writeFileSync(script, CHILD)
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', script, dist('checks/facts.js'), dist('jwt/account.js'), dist('jwt/trust.js'), jwtFile], { encoding: 'utf8' })
    expect(JSON.parse(out)).toEqual({ stored: true, facts: true })
  })
})
