/**
 * The demo as an owner sees it, in a real Chromium: log in, watch the cold room's
 * temperature change without reloading, see the compressor switch on when the rule
 * fires, and switch the language. Needs Debian's chromium (.ci/run installs it).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO, startStack, type Stack } from './stack.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium && process.env.CI === 'true') {
  throw new Error(`CI=true but no Chromium at ${CHROMIUM}: .ci/run installs Debian's chromium`)
}

describe.skipIf(!haveChromium)('dashboard in a real browser', () => {
  let outDir: string
  let stack: Stack
  let browser: Browser

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'tendero-dashboard-'))
    execFileSync(join('node_modules', '.bin', 'vite'), ['build', 'dashboard', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'error'], {
      stdio: 'inherit',
    })
    stack = await startStack({
      dashboardDir: outDir,
      startTempC: 6,
      speed: 60,
      intervalMs: 500,
      site: (site) => {
        site.rules = site.rules.filter((r) => r.id === 'camara-alta').map((r) => ({ ...r, when: { ...r.when, forSeconds: 4 } }))
      },
    })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    })
  })

  afterAll(async () => {
    await browser?.close()
    await stack?.stop()
    rmSync(outDir, { recursive: true, force: true })
  })

  it('shows the live temperature, the compressor switching on, and speaks both languages', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } })
    await page.goto(stack.cloudUrl)
    await page.fill('[data-testid=login-password]', 'wrong-password')
    await page.fill('[data-testid=login-email]', DEMO.user.email)
    await page.click('[data-testid=login-submit]')
    await expect.poll(() => page.textContent('[data-testid=login-error]')).toMatch(/incorrect/i)

    await page.fill('[data-testid=login-password]', DEMO.user.password)
    await page.click('[data-testid=login-submit]')
    await page.waitForURL(`**/sites/${DEMO.site.id}`)
    const temperature = page.locator('[data-testid=current-temperature]')
    await expect.poll(() => temperature.textContent(), { timeout: 15_000 }).toMatch(/\d,\d °C/)

    // Nothing reloads: a marker on window survives while the value changes.
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42))
    const first = await temperature.textContent()
    await expect.poll(() => temperature.textContent(), { timeout: 15_000 }).not.toBe(first)
    await expect.poll(() => page.getAttribute('[data-testid=relay-compressor]', 'data-state'), { timeout: 30_000 }).toBe('on')
    await expect.poll(() => page.locator('[data-testid=alarm-item]').count(), { timeout: 10_000 }).toBeGreaterThan(0)
    expect(await page.evaluate(() => (globalThis as unknown as { marker: number }).marker)).toBe(42)
    expect(await page.getAttribute('[data-testid=connection-status]', 'data-connected')).toBe('true')

    await expect.poll(() => page.textContent('body')).toContain('Compresor')
    await page.click('[data-testid=lang-switch]')
    await expect.poll(() => page.textContent('body')).toContain('Compressor')
    await page.close()
  })
})
