/**
 * The demo as an owner sees it, in a real Chromium: log in, watch the cold room's
 * temperature change without reloading, see the compressor switch on when the rule
 * fires, and switch the language; then the gateway's sync status, and a gap in the
 * history marked on the chart. Needs Debian's chromium (.ci/run installs it).
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dashboardDir, haveChromium, launchBrowser, screenshots } from './browser-harness.js'
import { DEMO, startStack, type Stack } from './stack.js'

describe.skipIf(!haveChromium)('dashboard in a real browser', () => {
  let stack: Stack
  let browser: Browser

  beforeAll(async () => {
    stack = await startStack({
      dashboardDir: dashboardDir(),
      startTempC: 6,
      speed: 60,
      intervalMs: 500,
      site: (site) => {
        site.rules = site.rules.filter((r) => r.id === 'camara-alta').map((r) => ({ ...r, when: { ...r.when, forSeconds: 4 } }))
      },
    })
    browser = await launchBrowser()
  })

  afterAll(async () => {
    await browser?.close()
    await stack?.stop()
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
    // The overview comes first, even for a one-shop owner; the shop's live view is one tap away.
    await page.waitForURL((url) => !url.pathname.startsWith('/login'))
    await page.goto(`${stack.cloudUrl}/sites/${DEMO.site.id}`)
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
    await screenshots(page, 'site-cold-room-en')
    await page.close()
  })

  it('says when the live channel is lost, and catches up with the readings it missed when it returns', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } })
    await logIn(page, stack.cloudUrl)
    const status = page.locator('[data-testid=connection-status]')
    const temperature = page.locator('[data-testid=current-temperature]')
    await expect.poll(() => status.getAttribute('data-connected'), { timeout: 15_000 }).toBe('true')
    await expect.poll(() => temperature.textContent(), { timeout: 15_000 }).toMatch(/\d,\d °C/)

    // The cloud drops every socket and refuses new ones for a while (a restart, a proxy).
    let refusing = true
    stack.cloud.io.use((_socket, next) => (refusing ? next(new Error('maintenance')) : next()))
    stack.cloud.io.disconnectSockets(true)
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 10_000 }).toBe('reconnecting')
    expect(await status.getAttribute('aria-label')).toMatch(/reconectando/i)
    // Nothing live arrives meanwhile: the value on screen stays while the room keeps changing.
    const frozen = await temperature.textContent()
    const shown = (celsius: number) => `${celsius.toFixed(1).replace('.', ',')} °C`
    await expect.poll(() => shown(stack.node!.model.temperatureC), { timeout: 30_000 }).not.toBe(frozen)
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    expect(await temperature.textContent()).toBe(frozen)
    await screenshots(page, 'site-reconnecting')

    refusing = false
    await expect.poll(() => status.getAttribute('data-connected'), { timeout: 30_000 }).toBe('true')
    await expect.poll(() => temperature.textContent(), { timeout: 10_000 }).not.toBe(frozen)
    await page.close()
  })
})

describe.skipIf(!haveChromium)('sync status and history gaps in a real browser', () => {
  let stack: Stack
  let browser: Browser

  beforeAll(async () => {
    stack = await startStack({ dashboardDir: dashboardDir(), intervalMs: 500 })
    browser = await launchBrowser()
  })

  afterAll(async () => {
    await browser?.close()
    await stack?.stop()
  })

  it("shows the gateway online with its lag, and marks a gap the gateway logged on the chart", async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 1200 } })
    await logIn(page, stack.cloudUrl)
    await expect.poll(() => page.textContent('[data-testid=current-temperature]'), { timeout: 15_000 }).toMatch(/\d,\d °C/)

    // Sync contract 8: the gateway reports on its channel, the cloud pushes `gateway.sync`.
    const panel = page.locator(`[data-testid=sync-panel][data-gateway-id="${DEMO.gateway.id}"]`)
    await expect.poll(() => panel.getAttribute('data-online'), { timeout: 20_000 }).toBe('true')
    await expect.poll(() => panel.locator('[data-testid=sync-lag-events]').getAttribute('data-value'), { timeout: 30_000 }).toMatch(/^\d+$/)
    expect(await panel.locator('[data-testid=sync-online]').textContent()).toContain('En línea')
    expect(await panel.locator('[data-testid=sync-last-contact]').textContent()).toMatch(/ahora|hace/)
    expect(await panel.locator('[data-testid=sync-buffer-days]').textContent()).toMatch(/\S/)
    expect(await panel.locator('[data-testid=sync-disk]').textContent()).toMatch(/ de /)

    // Sync contract 6: a gap event in the gateway's log (what its disk budget writes when it
    // downsamples) goes up the uplink like any event and is marked on the open chart.
    const chart = page.locator('[data-testid=temperature-chart]')
    expect(await chart.getAttribute('data-gap-bands')).toBe('0')
    const blueColumn = () => chart.evaluate(bluishShareOfColumn, 0.25)
    const before = await blueColumn()
    const now = Date.now()
    await stack.gateway.log.append([
      {
        kind: 'gap',
        deviceId: DEMO.gateway.id,
        body: {
          reason: 'downsampled',
          fromSeq: 1,
          toSeq: 2,
          fromTime: now - 10 * 60_000,
          toTime: now - 5 * 60_000,
          removed: 600,
          written: 10,
          devices: ['camara-1'],
        },
      },
    ])
    await expect.poll(() => chart.getAttribute('data-gap-bands'), { timeout: 15_000 }).toBe('1')
    const legend = page.locator('[data-testid=gap-legend-item][data-reason=downsampled]')
    expect(await legend.textContent()).toContain('Datos resumidos por minuto')
    // The band is painted: a quarter of the way along the (now ten-minute) axis, the plot is shaded blue.
    await expect.poll(blueColumn, { timeout: 5_000 }).toBeGreaterThan(0.5)
    expect(before).toBeLessThan(0.1)

    await page.click('[data-testid=lang-switch]')
    await expect.poll(() => legend.textContent()).toContain('Downsampled')
    expect(await panel.locator('[data-testid=sync-online]').textContent()).toContain('Online')
    await page.close()
  })
})

async function logIn(page: Page, cloudUrl: string) {
  await page.goto(cloudUrl)
  await page.fill('[data-testid=login-email]', DEMO.user.email)
  await page.fill('[data-testid=login-password]', DEMO.user.password)
  await page.click('[data-testid=login-submit]')
  await page.waitForURL((url) => !url.pathname.startsWith('/login'))
  await page.goto(`${cloudUrl}/sites/${DEMO.site.id}`)
}

/**
 * Share of the pixels in one column of the canvas (at `at` of its width) tinted like the
 * downsampled band (blue over white or over the teal fill). Runs in the page.
 */
function bluishShareOfColumn(canvas: unknown, at: number): number {
  // Serialised into the page: self-contained, and typed without the DOM lib this project lacks.
  type Canvas = {
    width: number
    height: number
    getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null
  }
  const el = canvas as Canvas
  const ctx = el.getContext('2d')
  if (!ctx) return 0
  const x = Math.round(el.width * at)
  const { data } = ctx.getImageData(x, 0, 1, el.height)
  let bluish = 0
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!]
    if (b > g && b - r > 15) bluish++
  }
  return bluish / el.height
}
