/**
 * Issue 8, portal links in a real Chromium against a real cloud: the demo organization (a
 * mall; its user is an org admin) has a tenant contact and a lease for it, invites the
 * contact to the portal from the contact's detail and reads the one-time code on screen. A
 * shop (a second organization, made in the database) logs in, types a wrong code in
 * /mi-local by keyboard and gets a clear error, then the right one, and sees its lease. The
 * mall logs an incident on the lease in its incidents tab, and the shop sees it in its portal.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../../cloud/src/modules/auth/password.js'
import { activateByKeyboard, dashboardDir, DESKTOP, focusByTab, haveChromium, launchBrowser, logIn, rawI18nKeys, screenshots, unlabelledFields } from './browser-harness.js'
import { cloudApi, login, type Stack, startStack } from './stack.js'

/** Message keys shown as they are: a missing or misnamed translation. */

/** Moves the focus to the page's heading, so Tab starts from the top of the view. */
async function fromTop(page: Page): Promise<void> {
  await page.evaluate(() => {
    type Heading = { setAttribute(n: string, v: string): void; removeAttribute(n: string): void; focus(): void }
    const h1 = (globalThis as unknown as { document: { querySelector(s: string): Heading | null } }).document.querySelector('main h1, h1')
    h1?.setAttribute('tabindex', '-1')
    h1?.focus()
    h1?.removeAttribute('tabindex')
  })
}

describe.skipIf(!haveChromium)('portal links in a real browser', () => {
  let stack: Stack
  let browser: Browser
  let mallContext: BrowserContext
  let shopContext: BrowserContext

  beforeAll(async () => {
    stack = await startStack({ dashboardDir: dashboardDir(), intervalMs: 1000 })
    browser = await launchBrowser()
    mallContext = await browser.newContext({ viewport: DESKTOP })
    shopContext = await browser.newContext({ viewport: DESKTOP })
  })

  afterAll(async () => {
    await shopContext?.close()
    await mallContext?.close()
    await browser?.close()
    await stack?.stop()
  })

  it('invites a tenant with a code the shop redeems by keyboard, then a mall-logged incident reaches the shop', async () => {
    const { cloudUrl } = stack
    const token = await login(cloudUrl)
    const tag = randomBytes(3).toString('hex')
    const tenantName = `Librería Andina ${tag}`
    const contact = await cloudApi<{ id: string }>(cloudUrl, token, 'POST', '/api/crm/contacts', { kind: 'customer', name: tenantName, email: `andina.${tag}@example.com` })
    expect(contact.status).toBe(201)
    const mall = await cloudApi<{ id: string }>(cloudUrl, token, 'POST', '/api/leasing/malls', { name: `Galería Norte ${tag}` })
    expect(mall.status).toBe(201)
    const space = await cloudApi<{ id: string }>(cloudUrl, token, 'POST', '/api/leasing/spaces', { mallId: mall.body.id, code: `N-${tag}`, areaCentiM2: 3_150, type: 'local', baseRentMinor: 120_000_00, currency: 'ARS' })
    expect(space.status).toBe(201)
    const startsOn = `${new Date().toISOString().slice(0, 7)}-01`
    const endsOn = `${Number(startsOn.slice(0, 4)) + 2}-12-31`
    const lease = await cloudApi<{ id: string }>(cloudUrl, token, 'POST', '/api/leasing/leases', { tenantContactId: contact.body.id, spaceIds: [space.body.id], startsOn, endsOn, rentMinor: 120_000_00, currency: 'ARS' })
    expect(lease.status, JSON.stringify(lease.body)).toBe(201)

    // The shop: its own organization and owner, not linked to anything yet.
    const db = stack.cloud.db
    const shopOrgId = randomUUID()
    const shopName = `Librería Andina SAS ${tag}`
    await db.insertInto('organizations').values({ id: shopOrgId, name: shopName, kind: 'shop', require_admin_totp: false }).execute()
    const shopUser = { email: `dueno.${tag}@andina.test`, password: 'clave-de-la-libreria-2026' }
    await db.insertInto('users').values({ org_id: shopOrgId, email: shopUser.email, name: 'Dueño de la librería', password_hash: await hashPassword(shopUser.password), role: 'owner', locale: 'es-AR' }).execute()

    // The mall invites the contact from its detail and reads the code on screen.
    const page = await mallContext.newPage()
    await logIn(page, cloudUrl)
    await page.goto(`${cloudUrl}/clientes`)
    await page.locator('[data-testid=crm-filter-q]').waitFor()
    await fromTop(page)
    await focusByTab(page, '[data-testid=crm-filter-q]')
    await page.keyboard.type(tenantName)
    await page.keyboard.press('Enter')
    const row = page.locator(`[data-testid=crm-contact-item][data-contact-id="${contact.body.id}"]`)
    await row.waitFor({ timeout: 10_000 })
    await activateByKeyboard(page, `[data-testid=crm-contact-item][data-contact-id="${contact.body.id}"] [data-testid=crm-contact-open]`)
    const state = page.locator('[data-testid=crm-portal-state]')
    await state.waitFor({ timeout: 10_000 })
    expect(await state.getAttribute('data-linked')).toBe('false')
    await focusByTab(page, '[data-testid=crm-portal-send-email]')
    await page.keyboard.press('Space')
    expect(await page.isChecked('[data-testid=crm-portal-send-email]')).toBe(true)
    await activateByKeyboard(page, '[data-testid=crm-portal-invite]')
    const codeBox = page.locator('[data-testid=crm-portal-code]')
    await codeBox.waitFor({ timeout: 10_000 })
    const code = await codeBox.inputValue()
    expect(code).toMatch(/^[A-HJKMNP-Z2-9]{5}-[A-HJKMNP-Z2-9]{5}$/)
    expect(await page.textContent('[data-testid=crm-portal-code-box]')).toContain(`andina.${tag}@example.com`)
    await expect.poll(() => page.textContent('[data-testid=crm-portal-pending]')).toContain(`andina.${tag}@example.com`)
    expect(await unlabelledFields(page)).toEqual([])
    expect(await rawI18nKeys(page, ['crm', 'leasing', 'portal'])).toEqual([])
    await screenshots(page, 'crm-portal-invite')

    // The shop: a wrong code first (a clear error, focus back on the field), then the right one.
    const shop = await shopContext.newPage()
    await logIn(shop, cloudUrl, shopUser)
    await activateByKeyboard(shop, '[data-testid=nav-portal]')
    await shop.waitForURL('**/mi-local')
    await shop.locator('[data-testid=portal-link-form]').waitFor({ timeout: 10_000 })
    expect(await shop.locator('[data-testid=portal-lease]').count()).toBe(0)
    await focusByTab(shop, '[data-testid=portal-link-code]')
    await shop.keyboard.type('ABCDE-23456')
    await shop.keyboard.press('Enter')
    const error = shop.locator('[data-testid=portal-link-error]')
    await error.waitFor({ timeout: 10_000 })
    expect(await error.textContent()).toContain('Ese código no es válido')
    expect(await shop.getAttribute('[data-testid=portal-link-code]', 'aria-invalid')).toBe('true')
    expect(await shop.evaluate(() => (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } | null } }).document.activeElement?.getAttribute('data-testid'))).toBe('portal-link-code')
    await shop.fill('[data-testid=portal-link-code]', '')
    // Typed as people do: lower case, no dash.
    await shop.keyboard.type(code.replace('-', '').toLowerCase())
    await activateByKeyboard(shop, '[data-testid=portal-link-submit]')
    await expect.poll(() => shop.textContent('[data-testid=portal-link-status]'), { timeout: 10_000 }).toContain('quedaste vinculado')
    expect(await error.count()).toBe(0)
    const link = shop.locator(`[data-testid=portal-link][data-contact-id="${contact.body.id}"]`)
    await link.waitFor({ timeout: 10_000 })
    expect(await link.locator('[data-testid=portal-link-org]').textContent()).toBeTruthy()
    const portalLease = shop.locator(`[data-testid=portal-lease][data-lease-id="${lease.body.id}"]`)
    await portalLease.waitFor({ timeout: 10_000 })
    expect(await portalLease.textContent()).toContain(`N-${tag}`)
    expect(await unlabelledFields(shop)).toEqual([])
    expect(await rawI18nKeys(shop, ['crm', 'leasing', 'portal'])).toEqual([])
    await screenshots(shop, 'portal-link')

    // The mall sees the link on the contact.
    await page.reload()
    await page.locator('[data-testid=crm-filter-q]').waitFor()
    await fromTop(page)
    await focusByTab(page, '[data-testid=crm-filter-q]')
    await page.keyboard.type(tenantName)
    await page.keyboard.press('Enter')
    await row.waitFor({ timeout: 10_000 })
    await activateByKeyboard(page, `[data-testid=crm-contact-item][data-contact-id="${contact.body.id}"] [data-testid=crm-contact-open]`)
    await expect.poll(() => state.getAttribute('data-linked'), { timeout: 10_000 }).toBe('true')
    expect(await state.textContent()).toContain(shopName)

    // The mall logs an incident on the lease in its incidents tab.
    await page.goto(`${cloudUrl}/locales`)
    await activateByKeyboard(page, '[data-testid=leasing-tab-incidents]')
    await activateByKeyboard(page, '[data-testid=incident-log-open]')
    await page.locator('[data-testid=incident-log-form]').waitFor()
    await expect.poll(() => page.locator(`[data-testid=incident-log-lease] option[value="${lease.body.id}"]`).count(), { timeout: 10_000 }).toBe(1)
    await page.selectOption('[data-testid=incident-log-lease]', lease.body.id)
    await focusByTab(page, '[data-testid=incident-log-space]')
    await page.keyboard.press('ArrowDown')
    expect(await page.inputValue('[data-testid=incident-log-space]')).toBe(space.body.id)
    await focusByTab(page, '[data-testid=incident-log-category]')
    await page.keyboard.type('Electricidad')
    expect(await page.inputValue('[data-testid=incident-log-category]')).toBe('electricidad')
    // Sent empty first: the description is asked for, by name.
    await activateByKeyboard(page, '[data-testid=incident-log-submit]')
    expect(await page.getAttribute('[data-testid=incident-log-description]', 'aria-invalid')).toBe('true')
    const description = `Corte de luz programado en el pasillo ${tag}`
    await focusByTab(page, '[data-testid=incident-log-description]')
    await page.keyboard.type(description)
    expect(await unlabelledFields(page)).toEqual([])
    await activateByKeyboard(page, '[data-testid=incident-log-submit]')
    const logged = page.locator(`[data-testid=incident-item][data-lease-id="${lease.body.id}"]`, { hasText: description })
    await logged.waitFor({ timeout: 10_000 })
    expect(await logged.getAttribute('data-source')).toBe('mall')
    expect(await logged.textContent()).toContain('Registrada por el centro')
    await expect.poll(() => page.textContent('[data-testid=incidents-status]')).toContain(tenantName)
    expect(await rawI18nKeys(page, ['crm', 'leasing', 'portal'])).toEqual([])
    await screenshots(page, 'leasing-log-incident')

    // The shop sees it in its portal.
    await shop.reload()
    const seen = shop.locator('[data-testid=portal-incident]', { hasText: description })
    await seen.waitFor({ timeout: 10_000 })
    expect(await seen.getAttribute('data-source')).toBe('mall')
    expect(await seen.textContent()).toContain('Registrada por')
    expect(await rawI18nKeys(shop, ['crm', 'leasing', 'portal'])).toEqual([])
    await screenshots(shop, 'portal-mall-incident')
  })
})
