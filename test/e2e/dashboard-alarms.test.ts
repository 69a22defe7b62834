/**
 * Issue 7, in a real Chromium against a real cloud, gateway and simulated cold room: the
 * overview shows the shop online with its alarm, the inbox acknowledges it by keyboard and
 * shows who did once the gateway confirms, and the activity feed, open in another tab,
 * shows the acknowledgement arrive without a reload.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { activateByKeyboard, dashboardDir, haveChromium, launchBrowser, logIn, PHONE, screenshots, unlabelledFields } from './browser-harness.js'
import { DEMO, startStack, type Stack } from './stack.js'

describe.skipIf(!haveChromium)('alarms, overview and activity in a real browser', () => {
  let stack: Stack
  let browser: Browser
  let context: BrowserContext

  beforeAll(async () => {
    stack = await startStack({
      dashboardDir: dashboardDir(),
      // The cold room starts warm and the rule holds 4 s instead of 2 min: the alarm comes
      // within seconds. Latched, so the compressor cooling the room does not clear it first.
      startTempC: 7,
      speed: 60,
      intervalMs: 500,
      site: (site) => {
        site.rules = site.rules
          .filter((r) => r.id === 'camara-alta')
          .map((r) => ({ ...r, when: { ...r.when, forSeconds: 4 }, ...(r.alarm ? { alarm: { ...r.alarm, autoClear: false } } : {}) }))
      },
    })
    browser = await launchBrowser()
    context = await browser.newContext({ viewport: PHONE })
  })

  afterAll(async () => {
    await context?.close()
    await browser?.close()
    await stack?.stop()
  })

  const marker = (page: Page) => page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)

  it('shows the shop at a glance, acknowledges its alarm by keyboard and sees it in the live feed', async () => {
    const page = await context.newPage()
    await logIn(page, stack.cloudUrl)

    // The overview, even with one shop: online, with the cold room's alarm counted.
    const card = page.locator(`[data-testid=site-card][data-site-id="${DEMO.site.id}"]`)
    await expect.poll(() => card.getAttribute('data-online'), { timeout: 20_000 }).toBe('true')
    await expect.poll(async () => Number((await card.getAttribute('data-active-alarms')) || 0), { timeout: 30_000 }).toBeGreaterThan(0)
    expect(await card.locator('[data-severity=critical]').count()).toBe(1)
    expect(await unlabelledFields(page)).toEqual([])
    await screenshots(page, 'overview')

    // The activity feed in a second tab, open before the acknowledgement.
    const feed = await context.newPage()
    await feed.goto(`${stack.cloudUrl}/actividad`)
    await feed.waitForSelector('[data-testid=activity-list] [data-testid=activity-item][data-kind=alarm]', { timeout: 20_000 })
    await feed.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 7))
    expect(await unlabelledFields(feed)).toEqual([])

    // The inbox, reached and used by keyboard only.
    await activateByKeyboard(page, '[data-testid=nav-alarms]')
    await page.waitForURL('**/alarmas')
    const alarm = page.locator('[data-testid=inbox-alarm][data-alarm-id="camara-alta:camara-1"]')
    await expect.poll(() => alarm.getAttribute('data-state'), { timeout: 15_000 }).toBe('raised')
    expect(await unlabelledFields(page)).toEqual([])
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42))
    await activateByKeyboard(page, '[data-testid=inbox-ack]')
    // Between the tap and the gateway's confirmation the item says it was sent, unless the
    // gateway was quicker than this look.
    const pendingOrDone = await Promise.race([
      page.waitForSelector('[data-testid=inbox-alarm][data-pending=sent]', { timeout: 10_000 }).then(() => 'pending'),
      page.waitForSelector('[data-testid=inbox-alarm][data-state=acknowledged]', { timeout: 10_000 }).then(() => 'done'),
    ])
    expect(['pending', 'done']).toContain(pendingOrDone)
    await expect.poll(() => alarm.getAttribute('data-state'), { timeout: 20_000 }).toBe('acknowledged')
    expect(await alarm.getAttribute('data-pending')).toBe('')
    await expect.poll(() => alarm.locator('[data-testid=inbox-alarm-acknowledged-by]').textContent()).toContain(DEMO.user.name)
    expect(await marker(page)).toBe(42)
    await screenshots(page, 'alarms')

    // The feed got the gateway's acknowledgement by push, without a reload.
    const acknowledged = feed.locator('[data-testid=activity-item][data-kind=alarm][data-state=acknowledged]')
    await expect.poll(() => acknowledged.count(), { timeout: 20_000 }).toBeGreaterThan(0)
    expect(await acknowledged.first().getAttribute('data-live')).toBe('true')
    // Who asked comes with the gateway's log event, which the feed reads right after the push.
    await expect.poll(() => acknowledged.first().textContent(), { timeout: 10_000 }).toContain(DEMO.user.email)
    expect(await marker(feed)).toBe(7)
    await screenshots(feed, 'activity')
    await feed.close()
    await page.close()
  })
})
