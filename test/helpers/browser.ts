/**
 * A real headless Chromium (Debian's `chromium`, driven by playwright-core): one browser per
 * test file, a fresh profile, nothing that phones home (the test network is closed).
 * @module
 */
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core'
import { afterAll } from 'vitest'

export const CHROMIUM = '/usr/bin/chromium'

const SCREENSHOTS = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots')

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

let launched: Promise<Browser> | undefined

/** The test file's browser, launched on first use and closed after the file. */
export function browser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (.ci/run does)`)
  // Playwright gives each launch a fresh --user-data-dir of its own, removed on close.
  launched ??= chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS })
  return launched
}

afterAll(async () => {
  const running = launched
  launched = undefined
  await (await running)?.close()
})

/** A page in a context of its own (cookies, headers), closed with the context. */
export async function openPage(options: BrowserContextOptions = {}): Promise<Page> {
  const context = await (await browser()).newContext({ viewport: { width: 1280, height: 800 }, ...options })
  return context.newPage()
}

/**
 * With `SCREENSHOTS=1`, saves the whole page as `docs/screenshots/<name>.png` (committed, shown
 * in the README). Otherwise does nothing: a full-page PNG costs seconds on a busy machine, and
 * the keys and relative times in them change on every run.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.SCREENSHOTS !== '1') return
  await mkdir(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true, animations: 'disabled' })
}
