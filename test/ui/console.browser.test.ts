/**
 * The web console in a real headless Chromium against a real server (HTTP over a socket, SQLite
 * store). `SCREENSHOTS=1 npx vitest run test/ui/console.browser.test.ts` also saves each page
 * into docs/screenshots/ for the README.
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, push, startConsole, type RunningConsole } from '../helpers/console.js'
import { openPage, screenshot } from '../helpers/browser.js'
import { loadFixtureSet } from '../helpers/fixtures.js'
import { mintAccount, UNLIMITED } from '../helpers/mint.js'

const fixtures = loadFixtureSet('standard')
const names = (c: RunningConsole) => [...fixtures.accepted.filter((e) => e.name !== 'R-old').map((e) => [e.name, e.pubkey] as const), ['billing', c.billing] as const, ['orders', c.orders] as const]

let console_: RunningConsole
/** The read-only visitor's page, shared by the tests that only read (a new page costs seconds on a busy machine). */
let page: Page

beforeAll(async () => {
  ;[console_, page] = await Promise.all([startConsole(), openPage()])
})

afterAll(async () => {
  await console_?.close()
})

describe('web console in Chromium', () => {
  it('lists the fixture accounts by name', async () => {
    await page.goto(`${console_.base}/ui/`)
    const shown = await page.locator('tbody tr td:first-child a').allTextContents()
    expect(shown.sort()).toEqual(names(console_).map(([name]) => name).sort())
    await expect(page.title()).resolves.toBe('Accounts · nats-accounts')
    await screenshot(page, 'accounts')
  })

  it('narrows the list to the accounts whose name or key matches the search', async () => {
    await page.goto(`${console_.base}/ui/`)
    await page.getByLabel('Name or key').fill('bill')
    await page.getByRole('button', { name: 'Search' }).click()
    await page.waitForURL(/q=bill/)
    expect(await page.locator('tbody tr td:first-child a').allTextContents()).toEqual(['billing'])
    const key = console_.orders.slice(20, 30)
    await page.getByLabel('Name or key').fill(key.toLowerCase())
    await page.keyboard.press('Enter')
    await page.waitForURL(new RegExp(`q=${key.toLowerCase()}`))
    expect(await page.locator('tbody tr td:first-child a').allTextContents()).toEqual(['orders'])
  })

  it('shows an account\'s limits, and what changed in a re-issue as a diff', async () => {
    const a0 = fixtures.accepted.find((e) => e.name === 'A0')!
    const reissued = mintAccount(a0.pubkey, console_.sign, { name: 'A0', iat: a0.iat + 10, nats: { limits: { ...UNLIMITED, conn: 25 } } })
    expect((await push(console_.base, a0.pubkey, reissued)).status).toBe(200)
    await page.goto(`${console_.base}/ui/`)
    await page.getByRole('link', { name: 'A0', exact: true }).click()
    await page.waitForURL(`**/ui/accounts/${a0.pubkey}`)
    await expect(page.locator('section[aria-labelledby=limits] dt:text-is("Connections") + dd').textContent()).resolves.toBe('25')
    const diff = page.getByLabel('Changes between the two versions')
    expect(await diff.locator('.removed').allTextContents()).toContain('-       "conn": -1,')
    expect(await diff.locator('.added').allTextContents()).toContain('+       "conn": 25,')
    await screenshot(page, 'account-diff')
    await page.goto(`${console_.base}/ui/accounts/${console_.billing}`)
    await expect(page.locator('section[aria-labelledby=jetstream] tbody th').allTextContents()).resolves.toEqual(['R1', 'R3'])
    await screenshot(page, 'account')
  })

  it('shows the admin actions only to an admin, and deletes after the typed confirmation', async () => {
    const a3 = fixtures.accepted.find((e) => e.name === 'A3')!
    await page.goto(`${console_.base}/ui/accounts/${a3.pubkey}`)
    await expect(page.getByRole('heading', { name: 'Admin actions' }).count()).resolves.toBe(0)
    await expect(page.getByRole('button', { name: 'Delete account' }).count()).resolves.toBe(0)
    const refused = await fetch(`${console_.base}/ui/accounts/${a3.pubkey}/delete`, { method: 'POST', body: new URLSearchParams({ confirm: 'A3' }) })
    expect(refused.status).toBe(401)
    expect((await fetch(`${console_.base}/jwt/v1/accounts/${a3.pubkey}`)).status).toBe(200)

    const admin = await openPage({ extraHTTPHeaders: { Authorization: `Bearer ${ADMIN_TOKEN}` } })
    await admin.goto(`${console_.base}/ui/accounts/${a3.pubkey}`)
    const remove = admin.getByRole('button', { name: 'Delete account' })
    await expect(remove.isDisabled()).resolves.toBe(true)
    await admin.getByLabel('to delete this account').fill('A')
    await expect(remove.isDisabled()).resolves.toBe(true)
    await admin.getByLabel('to delete this account').fill('A3')
    await expect(remove.isEnabled()).resolves.toBe(true)
    await screenshot(admin, 'account-admin')
    await remove.click()
    await admin.waitForURL(/done=deleted/)
    await expect(admin.locator('.notice').textContent()).resolves.toContain('deleted')
    expect((await fetch(`${console_.base}/jwt/v1/accounts/${a3.pubkey}`)).status).toBe(404)
    await admin.context().close()
  })

  it('signs an admin in with the token, and out again', async () => {
    const visitor = await openPage()
    await visitor.goto(`${console_.base}/ui/sign-in`)
    await visitor.getByLabel('Admin token').fill('not-the-token')
    await visitor.getByRole('button', { name: 'Sign in' }).click()
    await expect(visitor.locator('.notice').textContent()).resolves.toContain('not the admin token')
    await visitor.getByLabel('Admin token').fill(ADMIN_TOKEN)
    await visitor.getByRole('button', { name: 'Sign in' }).click()
    await visitor.waitForURL(`${console_.base}/ui/`)
    await visitor.goto(`${console_.base}/ui/accounts/${console_.orders}`)
    await visitor.getByRole('button', { name: 'Send the update notification again' }).click()
    await visitor.waitForURL(/done=/)
    await expect(visitor.locator('.notice').textContent()).resolves.toContain('NATS is not configured')
    await visitor.goto(`${console_.base}/ui/sign-in`)
    await visitor.getByRole('button', { name: 'Sign out' }).click()
    await visitor.goto(`${console_.base}/ui/accounts/${console_.orders}`)
    await expect(visitor.getByRole('heading', { name: 'Admin actions' }).count()).resolves.toBe(0)
    await visitor.context().close()
  })

  it('shows the findings grouped by code, the fleet, and fits a phone in the dark', async () => {
    await page.goto(`${console_.base}/ui/checks`)
    const group = page.locator('section', { has: page.locator('h2', { hasText: 'import-exporter-missing' }) })
    await expect(group.getByRole('link', { name: 'orders' }).count()).resolves.toBe(1)
    await screenshot(page, 'checks')
    await page.goto(`${console_.base}/ui/fleet`)
    await expect(page.locator('.notice').textContent()).resolves.toContain('NATS is not configured')
    await screenshot(page, 'fleet')

    await page.setViewportSize({ width: 390, height: 844 })
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.goto(`${console_.base}/ui/`)
    const width = await page.evaluate<number>('document.documentElement.scrollWidth')
    expect(width).toBeLessThanOrEqual(390)
    expect(await page.evaluate<string>('getComputedStyle(document.body).backgroundColor')).toBe('rgb(13, 17, 23)')
    await screenshot(page, 'accounts-phone-dark')
  })
})
