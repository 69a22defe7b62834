/**
 * Issue 8, the leasing settings tab in a real Chromium against a real cloud: the demo user (an
 * org admin, so it holds leasing.manage) creates an index table and types two values the
 * Spanish way, sets a mall's energy tariff, and maps a space to the demo cold room as its
 * energy meter, then removes that meter. Each write is checked against the cloud's API.
 */
import { randomBytes } from 'node:crypto'
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO } from '../../cloud/src/seed.js'
import { activateByKeyboard, dashboardDir, DESKTOP, focusByTab, haveChromium, launchBrowser, logIn, rawI18nKeys, screenshots, unlabelledFields } from './browser-harness.js'
import { cloudApi, login, type Stack, startStack } from './stack.js'

/** Message keys shown as they are: a missing or misnamed translation. */

describe.skipIf(!haveChromium)('leasing settings in a real browser', () => {
  let stack: Stack
  let browser: Browser
  let context: BrowserContext

  beforeAll(async () => {
    stack = await startStack({ dashboardDir: dashboardDir(), intervalMs: 500 })
    browser = await launchBrowser()
    context = await browser.newContext({ viewport: DESKTOP })
  })

  afterAll(async () => {
    await context?.close()
    await browser?.close()
    await stack?.stop()
  })

  it('keeps index values, an energy tariff and a meter as typed in Spanish', async () => {
    const { cloudUrl } = stack
    const token = await login(cloudUrl)
    const tag = randomBytes(3).toString('hex')
    const mallName = `Paseo Norte ${tag}`
    const mall = await cloudApi<{ id: string }>(cloudUrl, token, 'POST', '/api/leasing/malls', { name: mallName, siteId: DEMO.site.id })
    expect(mall.status).toBe(201)
    const space = await cloudApi<{ id: string }>(cloudUrl, token, 'POST', '/api/leasing/spaces', {
      mallId: mall.body.id, code: `L-${tag}`, areaCentiM2: 4250, type: 'local', baseRentMinor: 10_000_000, currency: 'ARS',
    })
    expect(space.status).toBe(201)

    const page = await context.newPage()
    page.on('dialog', (d) => void d.accept())
    await logIn(page, cloudUrl)
    await page.goto(`${cloudUrl}/locales?tab=settings`)
    await page.waitForSelector('[data-testid=index-tables]')
    await page.waitForSelector('[data-testid=tariffs]')
    await page.waitForSelector('[data-testid=meters]')
    expect(await unlabelledFields(page)).toEqual([])

    // An index table, by keyboard.
    const tableName = `ICL ${tag}`
    await focusByTab(page, '[data-testid=index-table-name]')
    await page.keyboard.type(tableName)
    await page.keyboard.press('Enter')
    const tableItem = page.locator('[data-testid=index-table-item]', { hasText: tableName })
    await tableItem.waitFor()
    const tableId = (await tableItem.getAttribute('data-table-id'))!
    await activateByKeyboard(page, `[data-testid=index-table-edit][data-table-id="${tableId}"]`)
    await page.waitForSelector('[data-testid=index-values-form]')
    // Two values typed the Spanish way, with a decimal comma.
    expect(await page.locator('[data-testid=index-value-row]').count()).toBe(1)
    await page.fill('[data-testid=index-value-row] >> nth=0 >> [data-testid=index-value-date]', '2026-01-01')
    await focusByTab(page, 'fieldset[data-testid=index-value-row]:nth-of-type(1) [data-testid=index-value-value]')
    await page.keyboard.type('1,000000')
    await activateByKeyboard(page, '[data-testid=index-value-add]')
    await expect.poll(() => page.locator('[data-testid=index-value-row]').count()).toBe(2)
    await page.fill('[data-testid=index-value-row] >> nth=1 >> [data-testid=index-value-date]', '2026-02-01')
    await focusByTab(page, 'fieldset[data-testid=index-value-row]:nth-of-type(2) [data-testid=index-value-value]')
    await page.keyboard.type('1,250000')
    expect(await unlabelledFields(page)).toEqual([])
    await screenshots(page, 'leasing-settings-index')
    await activateByKeyboard(page, '[data-testid=index-values-save]')
    await expect.poll(() => page.textContent('[data-testid=index-tables-status]')).toContain(tableName)
    expect(await page.locator('[data-testid=index-values-error]').count()).toBe(0)
    const stored = await cloudApi<{ values: { date: string; value: string }[] }>(cloudUrl, token, 'GET', `/api/leasing/index-tables/${tableId}`)
    expect(stored.status).toBe(200)
    expect(stored.body.values.map((v) => [v.date, v.value.includes('.') ? v.value.replace(/0+$/, '').replace(/\.$/, '') : v.value])).toEqual([['2026-01-01', '1'], ['2026-02-01', '1.25']])

    // The mall's energy tariff: 180,50 per kWh with 21 % IVA.
    await page.selectOption('[data-testid=tariff-mall]', mall.body.id)
    await focusByTab(page, '[data-testid=tariff-price-energy]')
    await page.keyboard.press('Control+A')
    await page.keyboard.type('180,50')
    await focusByTab(page, '[data-testid=tariff-tax-energy]')
    await page.keyboard.press('Control+A')
    await page.keyboard.type('21')
    expect(await unlabelledFields(page)).toEqual([])
    await activateByKeyboard(page, '[data-testid=tariff-save-energy]')
    await expect.poll(() => page.textContent('[data-testid=tariffs-status]')).not.toBe('')
    expect(await page.locator('[data-testid=tariff-error-energy]').count()).toBe(0)
    await expect.poll(() => page.textContent('[data-testid=tariff-current-energy]')).toContain('180,50')
    const tariffs = await cloudApi<{ items: { mallId: string; kind: string; priceMinor: number; taxRateBp: number; currency: string }[] }>(
      cloudUrl, token, 'GET', `/api/leasing/tariffs?limit=100`,
    )
    expect(tariffs.status).toBe(200)
    const energy = tariffs.body.items.find((x) => x.mallId === mall.body.id && x.kind === 'energy')
    expect(energy).toMatchObject({ priceMinor: 18050, taxRateBp: 2100, currency: 'ARS' })
    await screenshots(page, 'leasing-settings-tariffs')

    // A meter: the space's energy from the demo cold room.
    await activateByKeyboard(page, '[data-testid=meter-open]')
    await page.waitForSelector('[data-testid=meter-form]')
    await page.selectOption('[data-testid=meter-space]', space.body.id)
    await page.selectOption('[data-testid=meter-site]', DEMO.site.id)
    await page.locator(`[data-testid=meter-device] option[value="${DEMO.device.id}"]`).waitFor({ state: 'attached', timeout: 10_000 })
    await page.selectOption('[data-testid=meter-device]', DEMO.device.id)
    await page.selectOption('[data-testid=meter-kind]', 'energy')
    await focusByTab(page, '[data-testid=meter-metric]')
    await page.keyboard.press('Control+A')
    await page.keyboard.type('energy_kwh')
    expect(await unlabelledFields(page)).toEqual([])
    await activateByKeyboard(page, '[data-testid=meter-create]')
    const meterItem = page.locator('[data-testid=meter-item]', { hasText: `L-${tag}` })
    await meterItem.waitFor()
    expect(await meterItem.textContent()).toContain('energy_kwh')
    const meterId = (await meterItem.getAttribute('data-meter-id'))!
    const meters = await cloudApi<{ items: { id: string; spaceId: string; deviceId: string; metric: string; kind: string }[] }>(cloudUrl, token, 'GET', '/api/leasing/meters?limit=100')
    expect(meters.body.items.find((m) => m.id === meterId)).toMatchObject({ spaceId: space.body.id, deviceId: DEMO.device.id, metric: 'energy_kwh', kind: 'energy' })
    expect(await rawI18nKeys(page, ['leasing'])).toEqual([])
    expect(await unlabelledFields(page)).toEqual([])
    await screenshots(page, 'leasing-settings-meters')

    // And removed again (the confirmation is accepted).
    await activateByKeyboard(page, `[data-testid=meter-delete][data-meter-id="${meterId}"]`)
    await expect.poll(() => page.locator(`[data-testid=meter-item][data-meter-id="${meterId}"]`).count()).toBe(0)
    const after = await cloudApi<{ items: { id: string }[] }>(cloudUrl, token, 'GET', '/api/leasing/meters?limit=100')
    expect(after.body.items.some((m) => m.id === meterId)).toBe(false)
    await page.close()
  }, 60_000)
})
