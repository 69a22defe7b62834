/**
 * CRM settings (issue 8) in a real Chromium against a real cloud, by keyboard, as the demo
 * shop's org_admin: a pipeline stage renamed in Configuración and found under its new name
 * in the pipeline; a scoring rule ("has an email", 10 points) added and the scores
 * recomputed, a contact with an email (made through the API) scoring those 10 more points;
 * a new segment by city previewed (the contact shows), saved and listed.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { activateByKeyboard, dashboardDir, DESKTOP, focusByTab, haveChromium, launchBrowser, logIn, rawI18nKeys, retype, screenshots, unlabelledFields } from './browser-harness.js'
import { login, startStack, type Stack } from './stack.js'

/** Message keys shown as they are: a missing or misnamed translation. */

/** Tab to `selector` from the view's heading (for targets above the focus). */
async function tabFromTop(page: Page, selector: string, maxTabs = 150) {
  await page.evaluate(() => {
    type Heading = { setAttribute(n: string, v: string): void; removeAttribute(n: string): void; focus(): void }
    const h1 = (globalThis as unknown as { document: { querySelector(s: string): Heading | null } }).document.querySelector('[data-testid=crm] h1')
    h1?.setAttribute('tabindex', '-1')
    h1?.focus()
    h1?.removeAttribute('tabindex')
  })
  await focusByTab(page, selector, maxTabs)
}

describe.skipIf(!haveChromium)('CRM settings in a real browser', () => {
  let stack: Stack
  let browser: Browser
  let context: BrowserContext
  let token: string

  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${stack.cloudUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    })
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`)
    return (await res.json()) as T
  }

  beforeAll(async () => {
    stack = await startStack({ dashboardDir: dashboardDir(), intervalMs: 1000 })
    token = await login(stack.cloudUrl)
    browser = await launchBrowser()
    context = await browser.newContext({ viewport: DESKTOP })
  })

  afterAll(async () => {
    await context?.close()
    await browser?.close()
    await stack?.stop()
  })

  it('renames a stage, adds a scoring rule and recomputes, previews and saves a segment', async () => {
    const contact = await api<{ id: string; score: number }>('POST', '/api/crm/contacts', {
      kind: 'customer',
      name: 'Carla Médanos',
      email: 'carla@medanos.example',
      city: 'Villa Gesell',
    })
    const before = (await api<{ score: number }>('GET', `/api/crm/contacts/${contact.id}`)).score

    const page = await context.newPage()
    await logIn(page, stack.cloudUrl)
    await page.goto(`${stack.cloudUrl}/clientes?seccion=configuracion`)
    await page.waitForSelector('[data-testid=crm-stage-row]')
    await page.waitForSelector('[data-testid=crm-rule-form]')
    expect(await unlabelledFields(page)).toEqual([])

    // ----- rename the first stage -----
    const stageId = (await page.locator('[data-testid=crm-stage-row]').first().getAttribute('data-stage-id'))!
    const stageName = `[data-testid=crm-stage-row][data-stage-id="${stageId}"] [data-testid=crm-stage-name]`
    await tabFromTop(page, stageName)
    await retype(page, 'Primer contacto')
    await page.keyboard.press('Enter')
    await expect.poll(() => page.textContent('[data-testid=crm-stages-status]'), { timeout: 10_000 }).toContain('Primer contacto')

    // ----- a scoring rule: has an email, 10 points -----
    await tabFromTop(page, '[data-testid=crm-rule-name]')
    await page.keyboard.type('Deja su email')
    await focusByTab(page, '[data-testid=crm-rule-points-input]')
    await page.keyboard.type('10')
    await focusByTab(page, '[data-testid=crm-rule-type]')
    await page.selectOption('[data-testid=crm-rule-type]', 'has_email')
    expect(await unlabelledFields(page)).toEqual([])
    await activateByKeyboard(page, '[data-testid=crm-rule-save]')
    const rule = page.locator('[data-testid=crm-rule]', { hasText: 'Deja su email' })
    await rule.waitFor({ timeout: 10_000 })
    expect(await rule.locator('[data-testid=crm-rule-points]').textContent()).toContain('10')

    await tabFromTop(page, '[data-testid=crm-rules-recompute]')
    await page.keyboard.press('Enter')
    await expect.poll(() => page.textContent('[data-testid=crm-rules-status]'), { timeout: 10_000 }).toContain('Puntajes recalculados')
    expect(await rawI18nKeys(page, ['crm'])).toEqual([])
    await screenshots(page, 'crm-settings')
    expect((await api<{ score: number }>('GET', `/api/crm/contacts/${contact.id}`)).score).toBe(before + 10)

    // ----- the pipeline shows the stage under its new name -----
    await tabFromTop(page, '[data-testid=crm-section-pipeline]')
    await page.keyboard.press('Enter')
    await page.waitForURL('**/clientes?seccion=negocios')
    const column = page.locator(`[data-testid=crm-stage][data-stage-id="${stageId}"]`)
    await column.waitFor({ timeout: 10_000 })
    expect(await column.getAttribute('data-stage-name')).toBe('Primer contacto')
    expect(await column.locator('h3').textContent()).toContain('Primer contacto')
    expect(await unlabelledFields(page)).toEqual([])

    // ----- a new segment by city: preview, save, listed -----
    await tabFromTop(page, '[data-testid=crm-section-segments]')
    await page.keyboard.press('Enter')
    await page.waitForURL('**/clientes?seccion=segmentos')
    await page.waitForSelector('[data-testid=crm-segment-form]')
    expect(await unlabelledFields(page)).toEqual([])
    await tabFromTop(page, '[data-testid=crm-segment-name]')
    await page.keyboard.type('Costa atlántica')
    await focusByTab(page, '[data-testid=crm-segment-cities]')
    await page.keyboard.type('Villa Gesell')
    await activateByKeyboard(page, '[data-testid=crm-segment-preview]')
    const previewed = page.locator('[data-testid=crm-segment-preview-contact]', { hasText: 'Carla Médanos' })
    await previewed.waitFor({ timeout: 10_000 })
    expect(await page.locator('[data-testid=crm-segment-preview-contact]').count()).toBe(1)
    await screenshots(page, 'crm-segment-preview')
    await activateByKeyboard(page, '[data-testid=crm-segment-save]')
    const listed = page.locator('[data-testid=crm-segment]', { hasText: 'Costa atlántica' })
    await listed.waitFor({ timeout: 10_000 })
    expect(await page.textContent('[data-testid=crm-segments-status]')).toContain('Costa atlántica')
    expect(await rawI18nKeys(page, ['crm'])).toEqual([])
    expect(await unlabelledFields(page)).toEqual([])
    await screenshots(page, 'crm-segments-saved')
    const segments = await api<{ items: { name: string; definition: { cities?: string[] } }[] }>('GET', '/api/crm/segments')
    expect(segments.items.find((s) => s.name === 'Costa atlántica')?.definition.cities).toEqual(['Villa Gesell'])
  }, 60_000)
})
