/**
 * Issue 7, in a real Chromium against a real cloud, gateway and simulated cold room: the
 * cold-chain report of today (the files downloaded with the session's token, by keyboard),
 * a user created by keyboard in "Usuarios y roles", and that creation found in the audit log.
 */
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { activateByKeyboard, dashboardDir, DESKTOP, downloadByKeyboard, focusByTab, haveChromium, launchBrowser, logIn, rawI18nKeys, screenshots, unlabelledFields } from './browser-harness.js'
import { DEMO, startStack, type Stack } from './stack.js'

/** Today on the shop's clock, YYYY-MM-DD. */
const shopToday = () =>
  new Intl.DateTimeFormat('en-CA', { timeZone: DEMO.site.timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(Date.now())

/** Message keys shown as they are: a missing or misnamed translation. */

describe.skipIf(!haveChromium)('reports, users and audit in a real browser', () => {
  let stack: Stack
  let browser: Browser
  let context: BrowserContext

  beforeAll(async () => {
    stack = await startStack({ dashboardDir: dashboardDir(), intervalMs: 500 })
    browser = await launchBrowser()
    // Desktop: every section is in the side navigation, reachable by Tab.
    context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true })
  })

  afterAll(async () => {
    await context?.close()
    await browser?.close()
    await stack?.stop()
  })

  it("downloads today's cold-chain PDF and CSV, creates a viewer and finds it in the audit log, all by keyboard", async () => {
    const page = await context.newPage()
    await logIn(page, stack.cloudUrl)

    // Let the cold room report something to the cloud first.
    await expect
      .poll(
        async () => {
          const res = await page.evaluate(async (url) => {
            // Runs in the page; this project is typed without the DOM lib.
            const storage = (globalThis as unknown as { localStorage: { getItem(key: string): string | null } }).localStorage
            const raw = storage.getItem('tendero.session')
            const token = raw ? (JSON.parse(raw) as { token: string }).token : ''
            const r = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
            return r.ok ? ((await r.json()) as { items: unknown[] }).items.length : 0
          }, `/api/sites/${DEMO.site.id}/telemetry?deviceId=camara-1&limit=5`)
          return res
        },
        { timeout: 30_000 },
      )
      .toBeGreaterThan(0)

    // Reports: yesterday by default, today by the "Hoy" button.
    await activateByKeyboard(page, '[data-testid=nav-reports]')
    await page.waitForURL('**/reportes')
    await page.waitForSelector('[data-testid=report-summary]', { timeout: 20_000 })
    const today = shopToday()
    const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)
    expect(await page.inputValue('[data-testid=report-date]')).toBe(yesterday)
    await activateByKeyboard(page, '[data-testid=report-today]')
    await page.waitForSelector(`[data-testid=report-summary][data-date="${today}"]`, { timeout: 20_000 })
    const fridge = page.locator('[data-testid=report-fridge][data-device-id=camara-1]')
    await fridge.waitFor()
    expect(['incomplete', 'excursion', 'ok']).toContain(await fridge.getAttribute('data-verdict'))
    // Today is a partial day, and whatever is missing is listed, not hidden.
    expect(await page.locator('[data-testid=report-partial]').count()).toBe(1)
    expect(await fridge.locator('[data-testid=report-gap], [data-testid=report-no-gaps]').count()).toBeGreaterThan(0)
    expect(await unlabelledFields(page)).toEqual([])

    const pdf = await downloadByKeyboard(page, '[data-testid=report-download-pdf]')
    expect(pdf.download.suggestedFilename()).toMatch(new RegExp(`^cadena-frio-.*${today}\\.pdf$`))
    expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    expect(pdf.bytes.length).toBeGreaterThan(2_000)

    const csv = await downloadByKeyboard(page, '[data-testid=report-download-csv]')
    expect(csv.download.suggestedFilename()).toMatch(/\.csv$/)
    const csvText = csv.bytes.toString('utf8')
    expect(csvText.charCodeAt(0)).toBe(0xfeff)
    // Spanish UI, Spanish CSV: the ; separator and the section column.
    expect(csvText).toContain(';')
    expect(csvText.toLowerCase()).toContain('resumen')
    await expect.poll(() => page.textContent('[data-testid=report-download-status]')).toContain('.csv')
    expect(await rawI18nKeys(page, ['reports', 'users', 'audit'])).toEqual([])
    await screenshots(page, 'reports')

    // Users: create a viewer by keyboard.
    await activateByKeyboard(page, '[data-testid=nav-users]')
    await page.waitForURL('**/usuarios')
    await page.waitForSelector('[data-testid=user-list]')
    expect(await page.locator('[data-testid=role-meanings] dd').count()).toBe(5)
    await activateByKeyboard(page, '[data-testid=user-create-open]')
    // The form opens with the focus on its first field.
    await focusByTab(page, '[data-testid=user-create-name]', 0)
    // Submitting empty puts the problem on the field.
    await activateByKeyboard(page, '[data-testid=user-create-submit]')
    await expect.poll(() => page.getAttribute('[data-testid=user-create-name]', 'aria-invalid')).toBe('true')
    await focusByTab(page, '[data-testid=user-create-name]', 0)
    await page.keyboard.type('Vera Visora')
    await focusByTab(page, '[data-testid=user-create-email]')
    const email = `vera.${Date.now()}@example.com`
    await page.keyboard.type(email)
    await focusByTab(page, '[data-testid=user-create-role]')
    expect(await page.inputValue('[data-testid=user-create-role]')).toBe('viewer')
    await focusByTab(page, '[data-testid=user-create-password]')
    await page.keyboard.type('clave-inicial-segura')
    expect(await unlabelledFields(page)).toEqual([])
    await page.keyboard.press('Enter')
    const created = page.locator(`[data-testid=user-item][data-email="${email}"]`)
    await created.waitFor({ timeout: 10_000 })
    expect(await created.getAttribute('data-role')).toBe('viewer')
    const userId = await created.getAttribute('data-user-id')
    expect(userId).toBeTruthy()
    await expect.poll(() => page.textContent('[data-testid=users-status]')).toContain('Vera Visora')
    // A role changes only when saved: picking one shows the save button.
    await created.locator('[data-testid=user-role]').selectOption('technician')
    expect(await created.getAttribute('data-role')).toBe('viewer')
    await activateByKeyboard(page, `[data-testid=user-item][data-email="${email}"] [data-testid=user-role-save]`)
    await expect.poll(() => created.getAttribute('data-role')).toBe('technician')
    expect(await created.locator('[data-testid=user-role-save]').count()).toBe(0)
    expect(await unlabelledFields(page)).toEqual([])
    expect(await rawI18nKeys(page, ['reports', 'users', 'audit'])).toEqual([])
    await screenshots(page, 'users')

    // Audit: the creation is there, and opens to what was created.
    await activateByKeyboard(page, '[data-testid=nav-audit]')
    await page.waitForURL('**/auditoria')
    const entry = page.locator(`[data-testid=audit-entry][data-action="user.create"][data-target-id="${userId}"]`)
    await entry.waitFor({ timeout: 10_000 })
    expect(await unlabelledFields(page)).toEqual([])

    // The filter by action family still finds it; the export carries it too.
    await page.selectOption('[data-testid=audit-filter-action]', 'user.')
    await activateByKeyboard(page, '[data-testid=audit-apply]')
    await entry.waitFor()
    const exported = await downloadByKeyboard(page, '[data-testid=audit-export]')
    expect(exported.bytes.toString('utf8')).toContain(userId!)

    // Opened by keyboard: what was created, field by field.
    await activateByKeyboard(page, `[data-testid=audit-entry][data-action="user.create"][data-target-id="${userId}"] [data-testid=audit-entry-toggle]`)
    const diff = entry.locator('[data-testid=audit-diff]')
    await diff.waitFor()
    expect(await diff.textContent()).toContain(email)
    expect(await diff.locator('[data-kind=added]').count()).toBeGreaterThan(3)
    expect(await rawI18nKeys(page, ['reports', 'users', 'audit'])).toEqual([])
    // The role change, as a before/after of the one field that changed.
    await page.selectOption('[data-testid=audit-filter-action]', 'user.update')
    await activateByKeyboard(page, '[data-testid=audit-apply]')
    const update = page.locator(`[data-testid=audit-entry][data-action="user.update"][data-target-id="${userId}"]`)
    await update.waitFor()
    await activateByKeyboard(page, `[data-testid=audit-entry][data-action="user.update"] [data-testid=audit-entry-toggle]`)
    const roleLine = update.locator('[data-testid=audit-diff-line][data-kind=changed]')
    await roleLine.waitFor()
    expect(await roleLine.count()).toBe(1)
    expect(await roleLine.locator('del').textContent()).toBe('viewer')
    expect(await roleLine.locator('ins').textContent()).toBe('technician')
    await activateByKeyboard(page, '[data-testid=audit-clear]')
    await entry.waitFor()
    await activateByKeyboard(page, `[data-testid=audit-entry][data-action="user.create"] [data-testid=audit-entry-toggle]`)
    await diff.waitFor()
    await screenshots(page, 'audit')
  })
})
