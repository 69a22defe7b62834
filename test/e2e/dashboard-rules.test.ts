/**
 * The rules editor in a real Chromium against a real cloud, gateway and simulated cold
 * room: by keyboard, create a threshold rule with a mistake the cloud refuses (a negative
 * hold time), see the problem under that field, fix it, save it, find it in the list and
 * in the cloud's desired config; then try it against the room's real telemetry and see
 * the chart with the stretch where it would have fired (the room starts at 6 °C, the rule
 * says above 5).
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { activateByKeyboard, dashboardDir, focusByTab, haveChromium, launchBrowser, logIn, retype, screenshots, unlabelledFields } from './browser-harness.js'
import { DEMO, getJson, login, startStack, waitFor, type Stack } from './stack.js'

const GATEWAY = DEMO.gateway.id
const RULE_ID = 'camara-sobre-5'

interface RulesView {
  version: number
  source: string
  rules: { id: string; when: Record<string, unknown>; alarm?: Record<string, unknown> }[]
}

describe.skipIf(!haveChromium)('rules editor in a real browser', () => {
  let stack: Stack
  let browser: Browser
  let token: string

  beforeAll(async () => {
    stack = await startStack({ dashboardDir: dashboardDir(), startTempC: 6, intervalMs: 500 })
    token = await login(stack.cloudUrl)
    // The rules are editable once the gateway has connected and reported the config it runs.
    await waitFor(
      () => fetch(`${stack.cloudUrl}/api/gateways/${GATEWAY}/rules`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.ok),
      20_000,
      "the gateway's reported config",
    )
    browser = await launchBrowser()
  })

  afterAll(async () => {
    await browser?.close()
    await stack?.stop()
  })

  it('creates a rule by keyboard through a validation error, saves it, and dry-runs it on the chart', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } })
    await logIn(page, stack.cloudUrl)

    await page.goto(`${stack.cloudUrl}/reglas`)
    await activateByKeyboard(page, `[data-testid=rules-gateway][data-gateway-id=${GATEWAY}]`)
    await page.waitForURL(`**/reglas/${GATEWAY}`)
    await page.waitForSelector('[data-testid=rule-item][data-rule-id=camara-alta]')
    expect(await page.textContent('[data-testid=rule-item][data-rule-id=camara-alta] [data-testid=rule-summary]')).toContain('temperature_c mayor que 5')

    // New rule: the form opens with the id focused and a threshold ready to fill.
    await activateByKeyboard(page, '[data-testid=rule-new]')
    await page.waitForSelector('[data-testid=rule-editor]')
    await focusByTab(page, '#rule-field-id')
    await page.keyboard.type(RULE_ID)
    await focusByTab(page, '#rule-field-when-forSeconds')
    await retype(page, '-5')
    await focusByTab(page, '#rule-field-alarm-message')
    await page.keyboard.type('Cámara sobre 5 °C (prueba)')
    await focusByTab(page, '[data-testid=rule-save]')
    await page.keyboard.press('Enter')

    // The cloud refuses the negative hold time; the problem shows under that very field.
    const error = page.locator('#rule-field-when-forSeconds-error')
    await error.waitFor()
    expect((await error.textContent())?.trim()).not.toBe('')
    expect(await page.getAttribute('#rule-field-when-forSeconds', 'aria-invalid')).toBe('true')
    expect(await page.getAttribute('#rule-field-when-forSeconds', 'aria-describedby')).toContain('rule-field-when-forSeconds-error')
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id)).toBe(
      'rule-field-when-forSeconds',
    )
    expect(await unlabelledFields(page)).toEqual([])
    await screenshots(page, 'rules-editor-invalid')

    // Fixed (focus is still on the field), saved, listed.
    await retype(page, '0')
    await focusByTab(page, '[data-testid=rule-save]')
    await page.keyboard.press('Enter')
    await page.waitForSelector(`[data-testid=rule-item][data-rule-id=${RULE_ID}]`)
    expect(await page.textContent('[data-testid=rules-notice]')).toContain(RULE_ID)
    expect(await page.getAttribute('[data-testid=rules-version]', 'data-version')).toBe('1')
    expect(await unlabelledFields(page)).toEqual([])
    await screenshots(page, 'rules')

    // The cloud's desired config holds it, as typed.
    const desired = await getJson<RulesView>(`${stack.cloudUrl}/api/gateways/${GATEWAY}/rules`, token)
    expect(desired).toMatchObject({ version: 1, source: 'desired' })
    expect(desired.rules.find((r) => r.id === RULE_ID)).toMatchObject({
      when: { kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', above: 5, forSeconds: 0 },
      alarm: { message: 'Cámara sobre 5 °C (prueba)' },
    })

    // The gateway loads the pushed version and reports it; the page notices on its own.
    await expect.poll(() => page.getAttribute('[data-testid=rules-applied]', 'data-state'), { timeout: 25_000 }).toBe('applied')

    // Dry run over the last hour of the room's real telemetry, once some of it is in the cloud.
    await waitFor(
      async () =>
        (
          await getJson<{ items: unknown[] }>(
            `${stack.cloudUrl}/api/sites/${DEMO.site.id}/series?deviceId=camara-1&metric=temperature_c&from=${Date.now() - 3_600_000}`,
            token,
          )
        ).items.length > 3,
      30_000,
      'telemetry in the cloud',
    )
    await activateByKeyboard(page, `[data-testid=rule-item][data-rule-id=${RULE_ID}] [data-testid=rule-edit]`)
    await page.waitForSelector('[data-testid=dry-run]')
    await page.selectOption('[data-testid=dry-run-range]', 'lastHour')
    await activateByKeyboard(page, '[data-testid=dry-run-submit]')
    const result = page.locator('[data-testid=dry-run-result]')
    await result.waitFor({ timeout: 30_000 })
    expect(Number(await page.getAttribute('[data-testid=dry-run-chart]', 'data-points'))).toBeGreaterThan(0)
    expect(Number(await result.getAttribute('data-firings'))).toBeGreaterThan(0)
    expect(Number(await page.getAttribute('[data-testid=dry-run-chart]', 'data-bands'))).toBeGreaterThan(0)
    expect(await page.locator('[data-testid=dry-run-firing]').count()).toBeGreaterThan(0)
    expect(await unlabelledFields(page)).toEqual([])
    await screenshots(page, 'rules-editor')
    await page.close()
  })
})
