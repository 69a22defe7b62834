/**
 * A sweep of every section of the dashboard in a real Chromium, at phone and desktop
 * widths, against the demo shop (five devices of four kinds): every form field labelled,
 * every button and link named for a screen reader, a heading on each page, and the
 * navigation reachable by Tab (on a phone, the "Más" sections too). It lists every problem
 * it finds across the sections before failing, so one run reports them all; a screenshot
 * of each section is saved as `sweep-<route>-<phone|desktop>.png`.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DESKTOP, PHONE, dashboardDir, focusByTab, haveChromium, launchBrowser, logIn, screenshots, unlabelledFields } from './browser-harness.js'
import { can, type Permission } from '../../cloud/src/modules/identity/permissions.js'
import { DEMO, startStack, type Stack } from './stack.js'

// The dashboard's route table, loaded at run time: this program has no types for the .vue
// views it names (lazily, so nothing of them is loaded here).
const ROUTER_MODULE = '../../dashboard/src/router/index.js'
interface RouteRecord {
  name?: unknown
  meta?: { nav?: { permission?: string } }
}

// Roles of the things a user activates (form fields are checked by unlabelledFields).
const ACTION_ROLES = new Set(['button', 'link', 'menuitem', 'menuitemcheckbox', 'menuitemradio', 'tab', 'switch', 'togglebutton'])

describe.skipIf(!haveChromium)('every section of the dashboard, swept for labels, names and keyboard reach', () => {
  let stack: Stack
  let browser: Browser

  beforeAll(async () => {
    stack = await startStack({ dashboardDir: dashboardDir(), scenario: 'carniceria-panaderia' })
    browser = await launchBrowser()
  })

  afterAll(async () => {
    await browser?.close()
    await stack?.stop()
  })

  it('labels every field, names every action and reaches the navigation by Tab, on a phone and a desktop', async () => {
    const context = await browser.newContext({ viewport: DESKTOP, timezoneId: DEMO.site.timezone })
    const page = await context.newPage()
    const api = watchApiReads(page)
    await logIn(page, stack.cloudUrl)

    // The sections come from the page's navigation (a desktop shows both groups). The demo
    // user is an organization admin, so it must list every route that declares `meta.nav`
    // with a permission an org admin holds (the platform's own sections are not theirs).
    await page.waitForSelector('[data-testid=nav] a[data-testid^="nav-"]')
    const links = await page.$$eval('[data-testid=nav] a[data-testid^="nav-"]', (els) =>
      els.map((el) => {
        const a = el as unknown as { href: string; getAttribute(name: string): string | null }
        return { name: a.getAttribute('data-testid')!.slice('nav-'.length), path: new URL(a.href).pathname }
      }),
    )
    const { routes } = (await import(ROUTER_MODULE)) as { routes: RouteRecord[] }
    const navRoutes = routes
      .filter((r) => r.meta?.nav && (!r.meta.nav.permission || can('org_admin', r.meta.nav.permission as Permission)))
      .map((r) => String(r.name))
    expect(links.map((l) => l.name).sort()).toEqual([...navRoutes].sort())
    const sections = [...links, { name: 'site', path: `/sites/${DEMO.site.id}` }]

    const problems: string[] = []
    for (const section of sections) {
      await page.setViewportSize(PHONE)
      await page.goto(`${stack.cloudUrl}${section.path}`)
      await page.waitForSelector('main h1', { timeout: 10_000 }).catch(() => {})
      await api.idle()
      // Then a desktop, as when a tablet turns or a window widens: the same page, re-laid out.
      for (const [width, size] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
        await page.setViewportSize(size)
        await page.waitForTimeout(200)
        const where = `${section.name} (${section.path}) @${width}`
        const found = [
          ...(await unlabelledFields(page)).map((field) => `unlabelled field ${field}`),
          ...(await unnamedActions(page)).map((action) => `${action} has no accessible name`),
          ...((await page.locator('main h1').count()) === 0 ? ['no <h1> heading in <main>'] : []),
          ...(await navigationByTab(page)),
        ]
        problems.push(...found.map((problem) => `${where}: ${problem}`))
      }
      await screenshots(page, `sweep-${section.name}`)
    }
    expect(problems).toEqual([])
    await context.close()
  })
})

/**
 * Buttons and links that a screen reader would announce without a name, from Chromium's
 * own accessibility tree (the names it computes from text, labels, aria-* and title), so
 * elements hidden from everyone (display: none, aria-hidden) are not counted.
 */
async function unnamedActions(page: Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page)
  try {
    await cdp.send('Accessibility.enable')
    const { nodes } = await cdp.send('Accessibility.getFullAXTree')
    const unnamed: string[] = []
    for (const node of nodes) {
      const role = String(node.role?.value ?? '').toLowerCase()
      if (node.ignored || !ACTION_ROLES.has(role)) continue
      if (String(node.name?.value ?? '').trim()) continue
      unnamed.push(`${role} ${node.backendDOMNodeId ? await describeElement(cdp, node.backendDOMNodeId) : '(no element)'}`)
    }
    return unnamed
  } finally {
    await cdp.detach()
  }
}

type Cdp = Awaited<ReturnType<ReturnType<Page['context']>['newCDPSession']>>

/** `button.nav__link[data-testid=nav-more]`: enough to find the element in the source. */
async function describeElement(cdp: Cdp, backendNodeId: number): Promise<string> {
  const { node } = await cdp.send('DOM.describeNode', { backendNodeId })
  const attributes = new Map<string, string>()
  for (let i = 0; i + 1 < (node.attributes ?? []).length; i += 2) attributes.set(node.attributes![i]!, node.attributes![i + 1]!)
  const classes = (attributes.get('class') ?? '').split(/\s+/).filter(Boolean).map((c) => `.${c}`).join('')
  const testId = attributes.get('data-testid')
  const href = attributes.get('href')
  return `<${node.localName}${classes}${testId ? `[data-testid=${testId}]` : ''}${href ? `[href=${href}]` : ''}>`
}

/**
 * From the top of the page, Tab reaches each visible link of the navigation in turn; on a
 * phone, "Más" opens with Enter and Tab then reaches the sections behind it. Problems, as text.
 */
async function navigationByTab(page: Page): Promise<string[]> {
  const problems: string[] = []
  await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { blur?(): void } | null } }).document.activeElement?.blur?.())
  const visibleNavLinks = async () => {
    const found: string[] = []
    for (const link of await page.locator('[data-testid=nav] a[data-testid^="nav-"]').all()) {
      if (await link.isVisible()) found.push(`[data-testid=${await link.getAttribute('data-testid')}]`)
    }
    return found
  }
  const reach = async (selector: string) => {
    try {
      await focusByTab(page, selector, 40)
    } catch {
      problems.push(`Tab never reaches ${selector}`)
    }
  }
  const before = await visibleNavLinks()
  for (const selector of before) await reach(selector)
  const more = page.locator('[data-testid=nav-more]')
  if (await more.isVisible()) {
    await reach('[data-testid=nav-more]')
    await page.keyboard.press('Enter')
    await page.waitForTimeout(100)
    const behind = (await visibleNavLinks()).filter((selector) => !before.includes(selector))
    if (behind.length === 0) problems.push('"Más" opened with Enter shows no further section')
    for (const selector of behind) await reach(selector)
    await page.keyboard.press('Escape')
  }
  return problems
}

/** Lets a view finish its first API reads (no GET /api/* in flight for 400 ms). */
function watchApiReads(page: Page) {
  const isApiGet = (url: string, method: string) => method === 'GET' && new URL(url).pathname.startsWith('/api/')
  let inFlight = 0
  let lastChange = Date.now()
  const change = (delta: number) => {
    inFlight += delta
    lastChange = Date.now()
  }
  page.on('request', (r) => isApiGet(r.url(), r.method()) && change(1))
  page.on('requestfinished', (r) => isApiGet(r.url(), r.method()) && change(-1))
  page.on('requestfailed', (r) => isApiGet(r.url(), r.method()) && change(-1))
  return {
    idle: async (timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs
      while (inFlight > 0 || Date.now() - lastChange < 400) {
        if (Date.now() > deadline) return
        await new Promise((r) => setTimeout(r, 100))
      }
    },
  }
}
