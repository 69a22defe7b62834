/**
 * What every real-browser test of the dashboard shares: Debian's Chromium through
 * playwright-core, the dashboard built once by global-setup.ts, logging in, screenshots at
 * phone and desktop widths, and the accessibility checks issue 7 asks for (every action
 * reachable by keyboard, every form field labelled).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Download, type Page, type Response } from 'playwright-core'
import { inject } from 'vitest'
import { DEMO } from './stack.js'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const haveChromium = existsSync(CHROMIUM)
if (!haveChromium && process.env.CI === 'true') {
  throw new Error(`CI=true but no Chromium at ${CHROMIUM}: .ci/run installs Debian's chromium`)
}

export const PHONE = { width: 390, height: 844 } as const
export const DESKTOP = { width: 1440, height: 900 } as const

/** Git ignores it (.gitignore); CI keeps it as the run's artifacts. */
export const SCREENSHOT_DIR = join(process.cwd(), 'test-artifacts', 'screenshots')

/** The dashboard build of this run (global-setup.ts). */
export function dashboardDir(): string {
  const dir = inject('dashboardDir')
  if (!dir) throw new Error('no dashboard build: global-setup.ts builds it only where Chromium exists')
  return dir
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
}

export interface Credentials {
  email: string
  password: string
}

/** Logs in through the form, by keyboard only: Tab to each field, Enter to send. */
export async function logIn(page: Page, cloudUrl: string, who: Credentials = DEMO.user): Promise<void> {
  await page.goto(cloudUrl)
  await focusByTab(page, '[data-testid=login-email]')
  await page.keyboard.type(who.email)
  await focusByTab(page, '[data-testid=login-password]')
  await page.keyboard.type(who.password)
  await page.keyboard.press('Enter')
  await page.waitForURL((url) => !url.pathname.startsWith('/login'))
}

/**
 * Presses Tab until the element matching `selector` has the focus, and fails when it never
 * gets it: the proof that a keyboard user can reach it. Starts from the current focus.
 */
export async function focusByTab(page: Page, selector: string, maxTabs = 80): Promise<void> {
  for (let i = 0; i <= maxTabs; i++) {
    const focused = await page.evaluate((sel) => {
      const doc = (globalThis as unknown as { document: { activeElement: { matches(s: string): boolean } | null } }).document
      return doc.activeElement?.matches(sel) ?? false
    }, selector)
    if (focused) return
    await page.keyboard.press('Tab')
  }
  throw new Error(`${selector} never got the focus in ${maxTabs} presses of Tab`)
}

/** Reaches an action by Tab and activates it with Enter, as a keyboard user would. */
export async function activateByKeyboard(page: Page, selector: string, maxTabs = 80): Promise<void> {
  await focusByTab(page, selector, maxTabs)
  await page.keyboard.press('Enter')
}

/**
 * Form fields without an accessible name (no <label for>, no wrapping label, no
 * aria-label or aria-labelledby), described by tag, type, name and test id. Empty = all
 * labelled. Runs in the page.
 */
export function unlabelledFields(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type El = {
      tagName: string
      id: string
      type?: string
      name?: string
      labels?: ArrayLike<unknown> | null
      getAttribute(name: string): string | null
      closest(selector: string): unknown
    }
    const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<El> } }).document
    const fields = Array.from(doc.querySelectorAll('input:not([type=hidden]), select, textarea'))
    return fields
      .filter((el) => {
        if ((el.labels?.length ?? 0) > 0) return false
        if (el.getAttribute('aria-label')?.trim()) return false
        if (el.getAttribute('aria-labelledby')) return false
        return true
      })
      .map((el) => `${el.tagName.toLowerCase()}[type=${el.type ?? ''}][name=${el.name ?? ''}][data-testid=${el.getAttribute('data-testid') ?? ''}]`)
  })
}

/**
 * Saves the page at phone and desktop widths as `<name>-phone.png` and `<name>-desktop.png`
 * (full page), then puts the viewport back.
 */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  const before = page.viewportSize()
  for (const [label, size] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
    await page.setViewportSize(size)
    // Charts and layouts settle after a resize.
    await page.waitForTimeout(300)
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${label}.png`), fullPage: true })
  }
  if (before) await page.setViewportSize(before)
}

/** Replaces the focused field's text, as a keyboard user would: select all, delete, type. */
export async function retype(page: Page, text: string): Promise<void> {
  await page.keyboard.press('ControlOrMeta+A')
  await page.keyboard.press('Backspace')
  await page.keyboard.type(text)
}

/** i18n keys of these namespaces shown raw on the page: a message missing from the catalog. */
export async function rawI18nKeys(page: Page, namespaces: readonly string[]): Promise<string[]> {
  const pattern = new RegExp(`\\b(${namespaces.join('|')})\\.[a-zA-Z_]+\\.[\\w.]+`, 'g')
  return (await page.locator('body').innerText()).match(pattern) ?? []
}

/**
 * Downloads by keyboard. With `urlPart`, the answer whose URL holds it comes too, with its
 * headers as the cloud sent them.
 */
export async function downloadByKeyboard(page: Page, selector: string): Promise<{ download: Download; bytes: Buffer }>
export async function downloadByKeyboard(page: Page, selector: string, urlPart: string): Promise<{ download: Download; bytes: Buffer; response: Response }>
export async function downloadByKeyboard(page: Page, selector: string, urlPart?: string): Promise<{ download: Download; bytes: Buffer; response?: Response }> {
  const [download, response] = await Promise.all([
    page.waitForEvent('download', { timeout: 30_000 }),
    urlPart === undefined ? Promise.resolve(undefined) : page.waitForResponse((r) => r.url().includes(urlPart), { timeout: 30_000 }),
    activateByKeyboard(page, selector),
  ])
  return { download, bytes: readFileSync(await download.path()), ...(response ? { response } : {}) }
}
