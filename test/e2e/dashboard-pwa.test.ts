/**
 * The dashboard as an installable, offline-readable app, in a real Chromium against a real
 * cloud, gateway and simulated cold room: the manifest and its icons, the service worker
 * taking control, the last loaded views (site and alarms inbox) readable offline with the
 * offline banner and live again when the network returns, the saved data gone at logout,
 * and the language switched by keyboard before and after logging in, kept across reloads.
 */
import type { Browser, Page, Response } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import en from '../../dashboard/src/i18n/en.js'
import es from '../../dashboard/src/i18n/es.js'
import { PHONE, dashboardDir, focusByTab, haveChromium, launchBrowser, logIn, screenshots } from './browser-harness.js'
import { DEMO, getJson, login, startStack, waitFor, type Stack } from './stack.js'

// Names the service worker and the page share (dashboard/src/pwa/sw-policy.ts).
const API_CACHE = 'tendero-api-v1'
const SHELL_CACHE_PREFIX = 'tendero-shell-'
const CACHE_HEADER = 'x-tendero-cache'

// Page functions run in the browser; this program has no DOM types, so they see the
// browser's globals through this one loose type (a cast only: nothing to serialize).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type BrowserGlobals = any

describe.skipIf(!haveChromium)('the dashboard as a PWA in a real browser', () => {
  let stack: Stack
  let browser: Browser

  beforeAll(async () => {
    stack = await startStack({
      dashboardDir: dashboardDir(),
      startTempC: 6,
      speed: 60,
      intervalMs: 500,
      // The cold room starts warm and its alarm rule fires within seconds: the inbox has an
      // alarm. No compressor: the room stays warm and the alarm active, so what a view showed
      // online cannot change (a live clear) between its saved reads and the offline reload.
      site: (site) => {
        site.rules = site.rules
          .filter((r) => r.id === 'camara-alta')
          .map((r) => ({ ...r, when: { ...r.when, forSeconds: 4 }, actions: [] }))
      },
    })
    const token = await login(stack.cloudUrl)
    await waitFor(
      async () => (await getJson<{ items: { state: string }[] }>(`${stack.cloudUrl}/api/sites/${DEMO.site.id}/alarms`, token)).items.some((a) => a.state === 'raised'),
      30_000,
      'the cold room alarm raised in the cloud',
    )
    browser = await launchBrowser()
  })

  afterAll(async () => {
    await browser?.close()
    await stack?.stop()
  })

  it('links a valid manifest with its icons, and the service worker installs and controls the page', async () => {
    const context = await browser.newContext({ viewport: PHONE, timezoneId: DEMO.site.timezone })
    const page = await context.newPage()
    await page.goto(stack.cloudUrl)

    const href = await page.getAttribute('link[rel=manifest]', 'href')
    expect(href).toBeTruthy()
    const manifestResponse = await page.request.get(new URL(href!, stack.cloudUrl).href)
    expect(manifestResponse.status()).toBe(200)
    expect(manifestResponse.headers()['content-type']).toMatch(/^application\/manifest\+json/)
    const manifest = (await manifestResponse.json()) as Manifest
    expect(manifest).toMatchObject({ name: 'Tendero', short_name: expect.any(String), start_url: '/', display: 'standalone', lang: 'es-AR' })
    expect(manifest.short_name.length).toBeLessThanOrEqual(12)
    expect(manifest.description).toMatch(/\S{3}/)
    expect(manifest.theme_color).toBe(await page.getAttribute('meta[name=theme-color]', 'content'))
    expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i)

    // Installable: PNGs of 192 and 512 px, for `any` and for `maskable`, each really that size.
    for (const purpose of ['any', 'maskable']) {
      for (const size of [192, 512]) {
        const icon = manifest.icons.find((i) => i.type === 'image/png' && i.sizes === `${size}x${size}` && (i.purpose ?? 'any').split(' ').includes(purpose))
        expect(icon, `${purpose} ${size}`).toBeDefined()
        const png = await page.request.get(new URL(icon!.src, stack.cloudUrl).href)
        expect(png.status()).toBe(200)
        expect(png.headers()['content-type']).toBe('image/png')
        expect(pngSize(await png.body()), icon!.src).toEqual({ width: size, height: size })
      }
    }
    const svg = manifest.icons.find((i) => i.type === 'image/svg+xml')
    expect(svg).toBeDefined()
    expect((await page.request.get(new URL(svg!.src, stack.cloudUrl).href)).headers()['content-type']).toMatch(/^image\/svg\+xml/)

    // The worker is served fresh every time, and controls the page without a reload (clients.claim).
    const sw = await page.request.get(`${stack.cloudUrl}/sw.js`)
    expect(sw.headers()['cache-control']).toBe('no-cache')
    expect(sw.headers()['content-type']).toMatch(/javascript/)
    await waitForController(page)
    expect(await page.evaluate(() => (globalThis as BrowserGlobals).navigator.serviceWorker.controller.scriptURL)).toBe(`${stack.cloudUrl}/sw.js`)

    // The app shell is precached: index.html and the hashed assets the page loaded.
    const shell = await page.evaluate(async (prefix) => {
      const { caches } = (globalThis as BrowserGlobals)
      const names: string[] = await caches.keys()
      const name = names.find((n) => n.startsWith(prefix))
      if (!name) return null
      const cache = await caches.open(name)
      return ((await cache.keys()) as { url: string }[]).map((r) => new URL(r.url).pathname)
    }, SHELL_CACHE_PREFIX)
    expect(shell).toEqual(expect.arrayContaining(['/index.html', '/manifest.webmanifest', '/icons/icon-192.png']))
    const scripts = await page.$$eval('script[src]', (els) => els.map((el) => new URL((el as unknown as { src: string }).src).pathname))
    expect(scripts.length).toBeGreaterThan(0)
    expect(shell).toEqual(expect.arrayContaining(scripts))
    await context.close()
  })

  it('keeps the last loaded views readable offline with the banner, refreshes them back online, and forgets them at logout', async () => {
    const context = await browser.newContext({ viewport: PHONE, timezoneId: DEMO.site.timezone })
    const page = await context.newPage()
    const api = watchApi(page)
    await logIn(page, stack.cloudUrl)
    // Responses are saved once the worker controls the page: load the views after that.
    await waitForController(page)

    const siteUrl = `${stack.cloudUrl}/sites/${DEMO.site.id}`
    await page.goto(siteUrl)
    await expect.poll(() => page.textContent('[data-testid=current-temperature]'), { timeout: 15_000 }).toMatch(/\d,\d °C/)
    await api.idle()
    const siteOnline = await viewSummary(page)
    expect(siteOnline.headings).toContain(DEMO.site.name)

    // The alarms inbox, through the navigation like a user.
    api.reset()
    await page.click('[data-testid=nav-alarms]')
    await page.waitForURL('**/alarmas')
    await expect.poll(() => page.textContent('main'), { timeout: 20_000 }).toContain(es.inbox.title)
    await api.idle()
    const inboxRequests = api.gets()
    const inboxOnline = await viewSummary(page)
    expect(await page.locator('[data-testid=offline-banner]').count()).toBe(0)

    // Offline: a reload comes up from the precache, and every read the views make from the API cache.
    await context.setOffline(true)
    api.reset()
    await page.reload()
    const banner = page.locator('[data-testid=offline-banner]')
    await expect.poll(() => banner.count(), { timeout: 15_000 }).toBe(1)
    await api.idle()
    // When it was saved: the clock time of the last online read, in the phone's zone.
    expect(await banner.textContent()).toMatch(new RegExp(`^\\s*${es.pwa.title}: .*\\(.+, \\d{2}:\\d{2}\\)\\.\\s*$`))
    expect(Number(await banner.getAttribute('data-saved-at'))).toBeLessThanOrEqual(Date.now())
    // The same view, from the saved reads: its titles and no error in place of the data.
    await expect.poll(() => viewSummary(page)).toEqual(inboxOnline)
    expect(api.failed()).toEqual([])
    expect(api.gets().length).toBeGreaterThan(0)
    for (const response of api.responses()) {
      expect(response.status, response.url).toBe(200)
      expect(response.savedAt, response.url).not.toBeNull()
    }
    // Nothing the inbox read online was missing offline.
    expect(api.gets().map(withoutWindow)).toEqual(expect.arrayContaining(inboxRequests.map(withoutWindow)))
    await screenshots(page, 'pwa-offline-inbox')

    // The site view, opened afresh while offline, shows what it showed.
    api.reset()
    await page.goto(siteUrl)
    await expect.poll(() => page.textContent('[data-testid=site-name]'), { timeout: 15_000 }).toBe(DEMO.site.name)
    await expect.poll(() => page.textContent('[data-testid=current-temperature]')).toMatch(/\d,\d °C/)
    await api.idle()
    expect(await banner.count()).toBe(1)
    expect(api.failed()).toEqual([])
    expect(await viewSummary(page)).toEqual(siteOnline)
    await screenshots(page, 'pwa-offline-site')

    // Back online, without a reload: the live channel connects, and since the screen shows
    // saved data its first join refetches like a rejoin; the banner goes with the first live answer.
    api.reset()
    await context.setOffline(false)
    await expect.poll(() => banner.count(), { timeout: 15_000 }).toBe(0)
    expect(api.responses().some((r) => r.savedAt === null && r.status === 200)).toBe(true)
    await expect.poll(() => page.getAttribute('[data-testid=connection-status]', 'data-connected'), { timeout: 15_000 }).toBe('true')

    // Logging out forgets every saved response (a shared phone).
    expect(await apiCacheSize(page)).toBeGreaterThan(0)
    await focusByTab(page, '[data-testid=logout]')
    await page.keyboard.press('Enter')
    await page.waitForURL('**/login**')
    await expect.poll(() => apiCacheSize(page)).toBe(0)
    await context.close()
  })

  it('switches the language by keyboard on the login page and after logging in, and keeps it across reloads', async () => {
    const context = await browser.newContext({ viewport: PHONE, timezoneId: DEMO.site.timezone })
    const page = await context.newPage()
    await page.goto(stack.cloudUrl)
    const title = page.locator('main h1')
    await expect.poll(() => title.textContent()).toBe(es.login.title)
    expect(await page.getAttribute('html', 'lang')).toBe('es-AR')
    expect(await page.getAttribute('[data-testid=lang-switch]', 'aria-label')).toBe(es.header.switchLanguage)

    await focusByTab(page, '[data-testid=lang-switch]')
    await page.keyboard.press('Enter')
    await expect.poll(() => title.textContent()).toBe(en.login.title)
    expect(await page.textContent('[data-testid=login-submit]')).toContain(en.login.submit)
    expect(await page.getAttribute('html', 'lang')).toBe('en')
    expect(await page.getAttribute('[data-testid=lang-switch]', 'data-locale')).toBe('en')
    // The switch keeps the focus, so pressing again is possible without hunting for it.
    expect(await page.evaluate(() => (globalThis as BrowserGlobals).document.activeElement?.dataset.testid)).toBe('lang-switch')

    await page.reload()
    await expect.poll(() => title.textContent()).toBe(en.login.title)
    expect(await page.getAttribute('html', 'lang')).toBe('en')

    // Logged in, in English; the header's switch brings Spanish back (Space works as well as Enter).
    await logIn(page, stack.cloudUrl)
    const alarmsLink = page.locator('[data-testid=nav-alarms]')
    await expect.poll(() => alarmsLink.textContent()).toContain(en.nav.alarms)
    expect(await page.textContent('[data-testid=logout]')).toContain(en.header.logout)
    await focusByTab(page, '[data-testid=lang-switch]')
    await page.keyboard.press('Space')
    await expect.poll(() => alarmsLink.textContent()).toContain(es.nav.alarms)
    expect(await page.textContent('[data-testid=logout]')).toContain(es.header.logout)
    expect(await page.getAttribute('html', 'lang')).toBe('es-AR')
    await screenshots(page, 'pwa-language-es')

    await page.reload()
    await expect.poll(() => alarmsLink.textContent()).toContain(es.nav.alarms)
    expect(await page.getAttribute('html', 'lang')).toBe('es-AR')
    await context.close()
  })
})

interface Manifest {
  name: string
  short_name: string
  description?: string
  start_url: string
  display: string
  lang?: string
  theme_color: string
  background_color: string
  icons: { src: string; sizes: string; type: string; purpose?: string }[]
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(1, 4).toString('ascii')).toBe('PNG')
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) }
}

async function waitForController(page: Page): Promise<void> {
  await page.waitForFunction(() => (globalThis as BrowserGlobals).navigator.serviceWorker?.controller != null, undefined, { timeout: 20_000 })
}

/** Entries in the worker's API cache, 0 when the cache is gone. */
function apiCacheSize(page: Page): Promise<number> {
  return page.evaluate(async (name) => {
    const { caches } = (globalThis as BrowserGlobals)
    if (!(await caches.has(name))) return 0
    return (await (await caches.open(name)).keys()).length
  }, API_CACHE)
}

/** The same read whatever moving window (from/to) it asked for. */
function withoutWindow(url: string): string {
  const parsed = new URL(url)
  parsed.searchParams.delete('from')
  parsed.searchParams.delete('to')
  parsed.searchParams.sort()
  return parsed.pathname + parsed.search
}

/**
 * What a reader sees of a view whatever the moment: its titles (page, cards, devices) and
 * how many errors it shows. Values and relative times move on by themselves, and live
 * pushes may have changed the screen since the last read, so they are checked apart.
 */
async function viewSummary(page: Page): Promise<{ headings: string[]; alerts: number }> {
  const headings = await page.$$eval('main h1, main h2, main h3', (els) => els.map((el) => (el as unknown as { innerText: string }).innerText.trim()))
  const alerts = await page.locator('main [role=alert]').count()
  return { headings, alerts }
}

interface ApiResponse {
  url: string
  status: number
  savedAt: number | null
}

/** Follows the page's API reads: in flight, answered (saved copy or live), failed. */
function watchApi(page: Page) {
  const isApiGet = (url: string, method: string) => method === 'GET' && new URL(url).pathname.startsWith('/api/')
  let inFlight = 0
  let lastChange = Date.now()
  let requested: string[] = []
  let answered: ApiResponse[] = []
  let failures: string[] = []
  page.on('request', (request) => {
    if (!isApiGet(request.url(), request.method())) return
    inFlight++
    lastChange = Date.now()
    requested.push(request.url())
  })
  page.on('requestfinished', (request) => {
    if (!isApiGet(request.url(), request.method())) return
    inFlight--
    lastChange = Date.now()
  })
  page.on('requestfailed', (request) => {
    if (!isApiGet(request.url(), request.method())) return
    inFlight--
    lastChange = Date.now()
    failures.push(`${request.url()} ${request.failure()?.errorText ?? ''}`)
  })
  page.on('response', (response: Response) => {
    const request = response.request()
    if (!isApiGet(response.url(), request.method())) return
    const saved = response.headers()[CACHE_HEADER]
    answered.push({ url: response.url(), status: response.status(), savedAt: saved ? Number(saved) : null })
  })
  return {
    /** Resolves once no API read has been in flight for half a second. */
    idle: async (timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs
      while (inFlight > 0 || Date.now() - lastChange < 500) {
        if (Date.now() > deadline) throw new Error(`API reads still in flight after ${timeoutMs} ms`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
    gets: () => [...requested],
    responses: () => [...answered],
    failed: () => [...failures],
    reset: () => {
      requested = []
      answered = []
      failures = []
    },
  }
}
