/**
 * `nats-accounts check` as a process, on a real directory store (the files a server wrote, or a
 * backup restored): its lines, its JSON, and its exit codes.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { mintAccount, newKey, operatorSigningKey } from '../helpers/mint.js'
import { tempDir } from '../helpers/tmp.js'

const standard = loadFixtureSet('standard')
const signer = operatorSigningKey(standard.dir)
const now = Math.floor(Date.now() / 1000)

async function storeWith(jwts: { key: string; jwt: string }[]): Promise<string> {
  const dir = await tempDir()
  for (const entry of standard.accepted) await writeFile(join(dir, `${entry.pubkey}.jwt`), standard.jwt(entry).trim())
  for (const { key, jwt } of jwts) await writeFile(join(dir, `${key}.jwt`), jwt)
  return dir
}

function account(name: string, nats: Record<string, unknown> = {}, exp?: number) {
  const key = newKey('account').publicKey
  return { key, jwt: mintAccount(key, signer, { name, nats, exp }) }
}

describe('nats-accounts check', () => {
  it('exits 0 for a clean store and says so', async () => {
    const run = runCli(['check', '-dir', await storeWith([]), '-operator', standard.operatorPath])
    expect(await run.exited).toBe(0)
    expect(run.logs()).toMatch(new RegExp(`^0 findings in ${standard.accepted.length} accounts of the directory store at \\S+: 0 errors, 0 warnings\n$`))
  })

  it('exits 1 for a broken import, with one line per finding, errors first', async () => {
    const exporter = account('orders', { exports: [{ subject: 'orders.>', type: 'stream' }] })
    const broken = account('shop', { imports: [{ account: exporter.key, subject: 'billing.>', type: 'stream' }] })
    const expiring = account('trial', {}, now + 3600)
    const dir = await storeWith([exporter, broken, expiring])
    const run = runCli(['check', '-dir', dir, '-operator', standard.operatorPath])
    expect(await run.exited).toBe(1)
    const lines = run.logs().trimEnd().split('\n')
    expect(lines[0]).toMatch(/^error {4}import-not-exported {10}account "shop" \(A\w+\) imports stream "billing\.>" from "orders" \(A\w+\), which does not export it$/)
    expect(lines[1]).toMatch(/^warning  account-expiring {13}account "trial" \(A\w+\) expires at \S+, in 1 h$/)
    expect(lines.at(-1)).toMatch(/^2 findings in 9 accounts of the directory store at .*: 1 error, 1 warning$/)
  })

  it('exits 0 when the findings are warnings; --expiring-within sets the window', async () => {
    const dir = await storeWith([account('trial', {}, now + 3 * 86_400)])
    const warned = runCli(['check', '-dir', dir, '-operator', standard.operatorPath])
    expect(await warned.exited).toBe(0)
    expect(warned.logs()).toContain('account-expiring')
    const narrow = runCli(['check', '-dir', dir, '-operator', standard.operatorPath, '--expiring-within', '2d'])
    expect(await narrow.exited).toBe(0)
    expect(narrow.logs()).toContain('0 findings')
  })

  it('--json: the findings as JSON, with codes, severities and both accounts', async () => {
    const missing = newKey('account').publicKey
    const broken = account('shop', { imports: [{ account: missing, subject: 'orders.>', type: 'stream' }] })
    const run = runCli(['check', '--json', '-dir', await storeWith([broken]), '-operator', standard.operatorPath])
    expect(await run.exited).toBe(1)
    const report = JSON.parse(run.logs())
    expect(report).toMatchObject({ accounts: 7, errors: 1, warnings: 0 })
    expect(report.findings).toEqual([
      {
        code: 'import-exporter-missing',
        severity: 'error',
        account: broken.key,
        name: 'shop',
        other: missing,
        subject: 'orders.>',
        field: 'imports',
        message: `account "shop" (${broken.key}) imports stream "orders.>" from ${missing}, which is not stored`,
      },
    ])
  })

  it('finds accounts signed by a key the operator no longer trusts', async () => {
    const retired = newKey('operator')
    const key = newKey('account').publicKey
    const run = runCli(['check', '-dir', await storeWith([{ key, jwt: mintAccount(key, retired, { name: 'old' }) }]), '-operator', standard.operatorPath])
    expect(await run.exited).toBe(1)
    expect(run.logs()).toContain(`issuer-not-trusted           account "old" (${key}) is signed by ${retired.publicKey}`)
  })

  it('exits 1 for a store that is not there, 2 for a usage error', async () => {
    const gone = join(await tempDir(), 'nothing-here')
    const missing = runCli(['check', '-dir', gone])
    expect(await missing.exited).toBe(1)
    expect(missing.logs()).toContain(`there is no directory store at ${gone}`)
    const extra = runCli(['check', 'now'])
    expect(await extra.exited).toBe(2)
    expect(extra.logs()).toBe('unexpected argument "now"; see --help\n')
    const misplaced = runCli(['--json', '-dir', gone])
    expect(await misplaced.exited).toBe(2)
    expect(misplaced.logs()).toBe('flag --json applies to check only; see --help\n')
  })
})
