/**
 * Issue 7, the site live view and the history, in a real Chromium against a real cloud,
 * gateway and the demo shop's simulated devices (scenario carniceria-panaderia: a cold
 * room, a display fridge, an oven, the shop's energy meter and its front door). Every
 * widget kind of the shop shows a value that changes without a reload, the cold room's
 * chart carries its setpoint band; the history shows a week, then zooms in by dragging and
 * by button, each time read again at a finer resolution. An irrigation site and a medical
 * centre (occupancy and CO₂) show their widgets live too.
 */
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dashboardDir, haveChromium, launchBrowser, logIn, PHONE, screenshots, unlabelledFields } from './browser-harness.js'
import { DEMO, startStack, type Stack } from './stack.js'

describe.skipIf(!haveChromium)('site live view and history in a real browser', () => {
  let stack: Stack
  let browser: Browser
  let context: BrowserContext

  beforeAll(async () => {
    // A simulated minute per real second: each device reports every half second or so.
    stack = await startStack({ dashboardDir: dashboardDir(), scenario: 'carniceria-panaderia', speed: 60 })
    browser = await launchBrowser()
    context = await browser.newContext({ viewport: PHONE })
  })

  afterAll(async () => {
    await context?.close()
    await browser?.close()
    await stack?.stop()
  })

  const widget = (page: Page, deviceId: string) => page.locator(`[data-testid=widget][data-device-id="${deviceId}"]`)
  /** Waits for a live value in `locator`'s data-value, then for it to change. */
  async function changes(locator: Locator): Promise<void> {
    await expect.poll(() => locator.getAttribute('data-value'), { timeout: 20_000 }).toMatch(/^-?\d/)
    const first = await locator.getAttribute('data-value')
    await expect.poll(() => locator.getAttribute('data-value'), { timeout: 20_000 }).not.toBe(first)
  }

  it('shows a live widget per device kind, the cold room against its band, and the history with a range and zoom', async () => {
    const page = await context.newPage()
    await logIn(page, stack.cloudUrl)
    await page.goto(`${stack.cloudUrl}/sites/${DEMO.site.id}`)
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42))

    // One widget per device, picked by kind; the oven and the door have none declared.
    const expected = {
      'camara-carne': 'cold',
      'heladera-exhibidora': 'cold',
      'medidor-local': 'energy',
      'horno-pan': 'generic',
      'puerta-local': 'generic',
    }
    for (const [deviceId, kind] of Object.entries(expected)) {
      await expect.poll(() => widget(page, deviceId).getAttribute('data-widget'), { timeout: 20_000 }).toBe(kind)
      await expect.poll(() => widget(page, deviceId).getAttribute('data-freshness'), { timeout: 20_000 }).toBe('live')
    }

    // Live values move without a reload: both fridges, the meter's counter, the oven.
    const coldRoom = widget(page, 'camara-carne')
    await changes(coldRoom.locator('[data-testid=current-temperature]'))
    await changes(widget(page, 'heladera-exhibidora').locator('[data-testid=current-temperature]'))
    await changes(widget(page, 'medidor-local').locator('[data-testid=energy-detail][data-metric=energy_kwh]'))
    await changes(widget(page, 'horno-pan').locator('[data-testid=generic-reading][data-metric=temperature_c]'))
    await expect.poll(() => widget(page, 'puerta-local').locator('[data-testid=generic-reading][data-metric=door_open]').getAttribute('data-value')).toMatch(/^[01]$/)
    expect(await widget(page, 'medidor-local').locator('[data-testid=energy-power]').getAttribute('data-value')).toMatch(/^\d/)

    // The cold room is held to the chilled band (its kind's default): on the chart and the gauge.
    const chart = coldRoom.locator('[data-testid=temperature-chart]')
    expect(await chart.getAttribute('data-band-min')).toBe('0')
    expect(await chart.getAttribute('data-band-max')).toBe('5')
    expect(await coldRoom.locator('[data-testid=cold-band]').getAttribute('data-origin')).toBe('default')
    await expect.poll(() => coldRoom.locator('[data-testid=gauge-band]').count()).toBe(1)
    await expect.poll(() => coldRoom.locator('[data-testid=relay-compressor]').getAttribute('data-state'), { timeout: 20_000 }).toMatch(/^(on|off)$/)

    expect(await page.evaluate(() => (globalThis as unknown as { marker: number }).marker)).toBe(42)
    expect(await unlabelledFields(page)).toEqual([])
    await screenshots(page, 'site-live')

    // History: from the cold room's widget, over the week, hourly.
    await coldRoom.locator('[data-testid=widget-history]').click()
    await page.waitForURL(`**/sites/${DEMO.site.id}/historial?device=camara-carne`)
    await expect.poll(() => page.inputValue('[data-testid=history-device]')).toBe('camara-carne')
    await page.click('[data-testid=history-preset-week]')
    const shown = page.locator('[data-testid=history-shown]')
    await expect.poll(() => shown.getAttribute('data-preset')).toBe('week')
    const temperature = page.locator('[data-testid=history-chart][data-metric=temperature_c]')
    await expect.poll(() => temperature.getAttribute('data-resolution'), { timeout: 15_000 }).toBe('1h')
    await expect.poll(async () => Number(await temperature.getAttribute('data-points')), { timeout: 15_000 }).toBeGreaterThan(0)
    const span = async () => Number(await temperature.getAttribute('data-to')) - Number(await temperature.getAttribute('data-from'))
    expect(await span()).toBe(7 * 24 * 3600_000)

    // Drag over the end of the week (the readings are minutes old): under a day, per minute.
    await temperature.scrollIntoViewIfNeeded()
    const box = (await temperature.boundingBox())!
    const y = box.y + box.height / 2
    await page.mouse.move(box.x + box.width * 0.87, y)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width * 0.95, y, { steps: 5 })
    await page.mouse.move(box.x + box.width - 2, y, { steps: 5 })
    await page.mouse.up()
    await expect.poll(() => shown.getAttribute('data-preset')).toBe('custom')
    await expect.poll(span).toBeLessThan(24 * 3600_000)
    await expect.poll(() => temperature.getAttribute('data-resolution'), { timeout: 15_000 }).toBe('1m')

    // The buttons zoom on: at two hours or less the raw readings come back.
    for (let i = 0; i < 6 && (await span()) > 2 * 3600_000; i++) await page.click('[data-testid=history-zoom-in]')
    await expect.poll(() => temperature.getAttribute('data-resolution'), { timeout: 15_000 }).toBe('raw')
    await expect.poll(async () => Number(await temperature.getAttribute('data-points')), { timeout: 15_000 }).toBeGreaterThan(0)

    expect(await unlabelledFields(page)).toEqual([])
    expect(await page.evaluate(() => (globalThis as unknown as { marker: number }).marker)).toBe(42)
    await screenshots(page, 'history')
  }, 90_000)

  it('shows an irrigation site: valves, pump and soil moisture, and the weather station live', async () => {
    const riego = await startStack({ dashboardDir: dashboardDir(), scenario: 'riego', speed: 60 })
    try {
      const page = await context.newPage()
      await logIn(page, riego.cloudUrl)
      await page.goto(`${riego.cloudUrl}/sites/${DEMO.site.id}`)
      for (const deviceId of ['riego-ctrl', 'suelo-1', 'pluviometro', 'tanque', 'caudalimetro']) {
        await expect.poll(() => widget(page, deviceId).getAttribute('data-widget'), { timeout: 20_000 }).toBe('irrigation')
        await expect.poll(() => widget(page, deviceId).getAttribute('data-freshness'), { timeout: 20_000 }).toBe('live')
      }
      const controller = widget(page, 'riego-ctrl')
      await expect.poll(() => controller.locator('[data-testid=valve-valve_1]').getAttribute('data-state'), { timeout: 20_000 }).toMatch(/^(open|closed)$/)
      await expect.poll(() => controller.locator('[data-testid=valve-pump]').getAttribute('data-state')).toMatch(/^(open|closed)$/)
      const soil = widget(page, 'suelo-1').locator('[data-testid=soil-moisture]')
      await expect.poll(() => soil.getAttribute('data-value'), { timeout: 20_000 }).toMatch(/^\d/)
      // At 5 a.m. with no rain the water readings hold still; the nursery's weather moves.
      const weather = widget(page, 'clima-vivero')
      await expect.poll(() => weather.textContent(), { timeout: 20_000 }).toMatch(/\d,\d °C/)
      const before = await weather.textContent()
      await expect.poll(() => weather.textContent(), { timeout: 20_000 }).not.toBe(before)
      expect(await widget(page, 'clima-vivero').getAttribute('data-widget')).toBe('occupancy')
      expect(await unlabelledFields(page)).toEqual([])
      await screenshots(page, 'site-irrigation')
      await page.close()
    } finally {
      await riego.stop()
    }
  }, 150_000)

  it('shows a medical centre: people and CO2 in the waiting room, and the vaccine fridge', async () => {
    const medico = await startStack({ dashboardDir: dashboardDir(), scenario: 'centro-medico', speed: 60 })
    try {
      const page = await context.newPage()
      await logIn(page, medico.cloudUrl)
      await page.goto(`${medico.cloudUrl}/sites/${DEMO.site.id}`)
      await expect.poll(() => widget(page, 'sala-espera').getAttribute('data-widget'), { timeout: 20_000 }).toBe('occupancy')
      await expect.poll(() => widget(page, 'contador-sala').getAttribute('data-widget')).toBe('occupancy')
      await expect.poll(() => widget(page, 'heladera-vacunas').getAttribute('data-widget')).toBe('cold')
      await changes(widget(page, 'sala-espera').locator('[data-testid=co2-level]'))
      await expect.poll(() => widget(page, 'contador-sala').locator('[data-testid=occupancy-people]').getAttribute('data-value'), { timeout: 20_000 }).toMatch(/^\d+$/)
      await expect.poll(() => widget(page, 'heladera-vacunas').locator('[data-testid=current-temperature]').getAttribute('data-value'), { timeout: 20_000 }).toMatch(/^-?\d/)
      expect(await unlabelledFields(page)).toEqual([])
      await screenshots(page, 'site-medical')
      await page.close()
    } finally {
      await medico.stop()
    }
  }, 150_000)

  it("shows a bar: each reader's latest swipes, granted and denied, as the gateway decided them", async () => {
    const bar = await startStack({ dashboardDir: dashboardDir(), scenario: 'bar-boliche', speed: 60 })
    try {
      const page = await context.newPage()
      await logIn(page, bar.cloudUrl)
      await page.goto(`${bar.cloudUrl}/sites/${DEMO.site.id}`)
      for (const deviceId of ['lector-entrada', 'lector-vip']) {
        await expect.poll(() => widget(page, deviceId).getAttribute('data-widget'), { timeout: 20_000 }).toBe('rfid')
      }
      // The entrance opens Thursday to Saturday from 23:00 on the gateway's (real) clock, so
      // whether a good card gets in depends on the day; Lucía's blocked card never does.
      const entrance = widget(page, 'lector-entrada')
      const blocked = entrance.locator('[data-testid=rfid-read][data-allow=false][data-reason=card_blocked]')
      await expect.poll(() => blocked.count(), { timeout: 60_000 }).toBeGreaterThan(0)
      expect(await blocked.first().textContent()).toContain('Lucía Fernández')
      // The simulated reader and the site's access config agree on the door and the cards.
      expect(await entrance.locator('[data-reason=unknown_door]').count()).toBe(0)
      expect(await unlabelledFields(page)).toEqual([])
      await screenshots(page, 'site-bar')
      await page.close()
    } finally {
      await bar.stop()
    }
  }, 150_000)
})
