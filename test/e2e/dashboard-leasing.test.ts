/**
 * Issue 8, leasing and the tenant portal in a real Chromium against a real cloud: the demo
 * organization (its user is an org admin, so it holds leasing.manage) runs a mall. In the
 * UI it creates a mall, a zone and a space, leases the space with a percent escalation
 * (through a form error and a refusal of the cloud), sees the schedule with the escalation
 * month split, charges this month's rent, sees occupancy change and downloads the
 * occupancy PDF and the rent income CSV. Then a shop (a second organization, linked to the
 * mall's contact for it) logs in, sees exactly its own lease and invoice, reports an
 * incident by keyboard, and the mall sees it arrive in its inbox.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../../cloud/src/modules/auth/password.js'
import { contactsDb } from '../../cloud/src/modules/common/contacts.js'
import { activateByKeyboard, dashboardDir, DESKTOP, downloadByKeyboard, focusByTab, haveChromium, launchBrowser, logIn, rawI18nKeys, screenshots, unlabelledFields } from './browser-harness.js'
import { cloudApi, login, type Stack, startStack } from './stack.js'

/** Message keys shown as they are: a missing or misnamed translation. */

const thisMonth = new Date().toISOString().slice(0, 7)
function addMonths(period: string, months: number): string {
  const [y, m] = period.split('-').map(Number) as [number, number]
  const i = y * 12 + m - 1 + months
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`
}
const startsOn = `${thisMonth}-01`
/** The day before the same date next year: a one-year lease. */
const endsOn = new Date(Date.UTC(Number(thisMonth.slice(0, 4)) + 1, Number(thisMonth.slice(5, 7)) - 1, 0)).toISOString().slice(0, 10)
/** Mid-month: the escalation month is charged by days at the old and the new rent. */
const escalationPeriod = addMonths(thisMonth, 2)

describe.skipIf(!haveChromium)('leasing and the tenant portal in a real browser', () => {
  let stack: Stack
  let browser: Browser
  let mallContext: BrowserContext
  let shopContext: BrowserContext

  beforeAll(async () => {
    stack = await startStack({ dashboardDir: dashboardDir(), intervalMs: 500 })
    browser = await launchBrowser()
    mallContext = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true })
    shopContext = await browser.newContext({ viewport: DESKTOP })
  })

  afterAll(async () => {
    await shopContext?.close()
    await mallContext?.close()
    await browser?.close()
    await stack?.stop()
  })

  it('runs a mall in the UI, and its tenant reports an incident from the portal that reaches the mall', async () => {
    const { cloudUrl } = stack
    const token = await login(cloudUrl)
    const tag = randomBytes(3).toString('hex')
    const tenantName = `Heladería Polar ${tag}`
    const contact = await cloudApi<{ id: string }>(cloudUrl, token, 'POST', '/api/crm/contacts', { kind: 'customer', name: tenantName, email: `polar.${tag}@example.com` })
    expect(contact.status).toBe(201)

    const page = await mallContext.newPage()
    await logIn(page, cloudUrl)
    await activateByKeyboard(page, '[data-testid=nav-leasing]')
    await page.waitForURL('**/locales')
    await page.waitForSelector('[data-testid=leasing-catalog]')

    // A mall, a zone and a space, by keyboard.
    await focusByTab(page, '[data-testid=mall-name]')
    await page.keyboard.type('Paseo del Sol')
    await page.keyboard.press('Enter')
    await page.waitForSelector('[data-testid=zone-form]')
    await expect.poll(() => page.textContent('[data-testid=catalog-status]')).toContain('Paseo del Sol')
    await focusByTab(page, '[data-testid=zone-name]')
    await page.keyboard.type('Planta baja')
    await page.keyboard.press('Enter')
    await page.locator('[data-testid=zone-item]', { hasText: 'Planta baja' }).waitFor()
    await focusByTab(page, '[data-testid=space-code]')
    await page.keyboard.type('L-101')
    // The new zone is already chosen for the space.
    expect(await page.locator('[data-testid=space-zone] option:checked').textContent()).toBe('Planta baja')
    await focusByTab(page, '[data-testid=space-area]')
    await page.keyboard.type('42,50')
    await focusByTab(page, '[data-testid=space-rent]')
    await page.keyboard.type('150.000')
    expect(await unlabelledFields(page)).toEqual([])
    await page.keyboard.press('Enter')
    const spaceItem = page.locator('[data-testid=space-item][data-code="L-101"]')
    await spaceItem.waitFor()
    const summary = (await spaceItem.locator('[data-testid=space-summary]').textContent())!.replace(/\s/g, ' ')
    expect(summary).toContain('42,50 m²')
    expect(summary).toContain('$ 150.000')
    expect(await rawI18nKeys(page, ['leasing', 'portal'])).toEqual([])
    await screenshots(page, 'leasing-catalog')

    // Occupancy before any lease: the space is free.
    await activateByKeyboard(page, '[data-testid=leasing-tab-reports]')
    await expect.poll(() => page.getAttribute('[data-testid=occupancy]', 'data-total-pct'), { timeout: 10_000 }).toBe('0')

    // A lease with a 10 % escalation every 3 months from mid-month, through two errors.
    await activateByKeyboard(page, '[data-testid=leasing-tab-leases]')
    await activateByKeyboard(page, '[data-testid=lease-create-open]')
    await focusByTab(page, '[data-testid=lease-tenant-search]', 0)
    await page.keyboard.type('Polar')
    // The one contact found is chosen.
    await expect.poll(() => page.inputValue('[data-testid=lease-tenant]')).toBe(contact.body.id)
    await focusByTab(page, '[data-testid=lease-space][data-code="L-101"]')
    await page.keyboard.press('Space')
    expect(await page.isChecked('[data-testid=lease-space][data-code="L-101"]')).toBe(true)
    expect(await page.inputValue('[data-testid=lease-rent]')).toBe('150.000,00')
    expect(await page.inputValue('[data-testid=lease-starts]')).toBe(startsOn)
    // An end before the start: the cloud refuses it (the form leaves that rule to it).
    await page.fill('[data-testid=lease-ends]', `${addMonths(thisMonth, -1)}-15`)
    await focusByTab(page, '[data-testid=lease-escalation]')
    await page.selectOption('[data-testid=lease-escalation]', 'percent')
    await focusByTab(page, '[data-testid=lease-every]')
    await page.keyboard.press('Control+A')
    await page.keyboard.type('3')
    await page.fill('[data-testid=lease-escalation-from]', `${escalationPeriod}-15`)
    expect(await unlabelledFields(page)).toEqual([])
    // First: no percentage. The form says so on the field and sends nothing.
    await activateByKeyboard(page, '[data-testid=lease-submit]')
    await page.waitForSelector('[data-testid=lease-field-error][data-field=percent]')
    expect(await page.getAttribute('[data-testid=lease-percent]', 'aria-invalid')).toBe('true')
    await focusByTab(page, '[data-testid=lease-percent]', 0)
    await page.keyboard.type('10')
    await activateByKeyboard(page, '[data-testid=lease-submit]')
    // Then the cloud's 400 lands on the end date, with the focus there.
    const endsError = page.locator('[data-testid=lease-field-error][data-field=endsOn]')
    await endsError.waitFor()
    expect(await endsError.textContent()).toContain('El fin no puede ser anterior al inicio')
    expect(await page.locator('[data-testid=lease-field-error][data-field=percent]').count()).toBe(0)
    await focusByTab(page, '[data-testid=lease-ends]', 0)
    await page.fill('[data-testid=lease-ends]', endsOn)
    await activateByKeyboard(page, '[data-testid=lease-submit]')
    const leaseItem = page.locator(`[data-testid=lease-item][data-tenant="${tenantName}"]`)
    await leaseItem.waitFor({ timeout: 10_000 })
    const leaseId = (await leaseItem.getAttribute('data-lease-id'))!
    expect(await leaseItem.getAttribute('data-status')).toBe('active')
    expect((await leaseItem.locator('[data-testid=lease-rent]').textContent())!.replace(/\s/g, ' ')).toContain('$ 150.000,00')

    // Its schedule: this month in full at the first rent, the escalation month split in two runs.
    const schedule = page.locator(`[data-testid=lease-schedule][data-lease-id="${leaseId}"]`)
    await schedule.waitFor()
    await schedule.locator(`[data-testid=schedule-projected][data-period="${thisMonth}"]`).waitFor()
    expect(await schedule.locator(`[data-testid=schedule-projected][data-period="${thisMonth}"]`).getAttribute('data-amount')).toBe('15000000')
    const split = schedule.locator(`[data-testid=schedule-projected][data-period="${escalationPeriod}"]`)
    expect(await split.getAttribute('data-segments')).toBe('2')
    expect(await split.locator('[data-testid=schedule-segments] li').count()).toBe(2)
    // 14 days at 150.000 and the rest at 165.000.
    expect((await split.textContent())!.replace(/\s/g, ' ')).toContain('$ 165.000')
    expect(await rawI18nKeys(page, ['leasing', 'portal'])).toEqual([])
    await screenshots(page, 'leasing-lease')

    // This month's rent: one charge, and running it again writes nothing more.
    await activateByKeyboard(page, '[data-testid=leasing-tab-rent]')
    expect(await page.inputValue('[data-testid=rent-run-period]')).toBe(thisMonth)
    await activateByKeyboard(page, '[data-testid=rent-run-submit]')
    await expect.poll(() => page.getAttribute('[data-testid=rent-run-result]', 'data-created')).toBe('1')
    const charge = page.locator(`[data-testid=period-charge][data-lease-id="${leaseId}"][data-kind=rent]`)
    await charge.waitFor()
    expect(await charge.getAttribute('data-amount')).toBe('15000000')
    expect(await charge.textContent()).toContain(tenantName)
    await activateByKeyboard(page, '[data-testid=rent-run-submit]')
    await expect.poll(() => page.getAttribute('[data-testid=rent-run-result]', 'data-existing')).toBe('1')
    expect(await page.getAttribute('[data-testid=rent-run-result]', 'data-created')).toBe('0')
    expect(await page.locator('[data-testid=period-charge]').count()).toBe(1)
    expect(await unlabelledFields(page)).toEqual([])

    // Occupancy now: the one space is leased. Its PDF and the rent income CSV.
    await activateByKeyboard(page, '[data-testid=leasing-tab-reports]')
    await expect.poll(() => page.getAttribute('[data-testid=occupancy]', 'data-total-pct'), { timeout: 10_000 }).toBe('100')
    const zoneBar = page.locator('[data-testid=occupancy-chart][data-group=zone] [data-testid=occupancy-bar]')
    expect(await zoneBar.count()).toBe(1)
    expect(await zoneBar.getAttribute('data-pct')).toBe('100')
    expect(await page.getAttribute('[data-testid=occupancy-chart][data-group=zone] svg', 'aria-label')).toContain('Planta baja')
    const pdf = await downloadByKeyboard(page, '[data-testid=occupancy-pdf]', '/api/leasing/occupancy')
    expect(pdf.response.headers()['content-type']).toBe('application/pdf')
    expect(pdf.response.headers()['content-disposition']).toMatch(/attachment; filename="ocupacion-\d{4}-\d{2}-\d{2}\.pdf"/)
    expect(pdf.download.suggestedFilename()).toMatch(/^ocupacion-\d{4}-\d{2}-\d{2}\.pdf$/)
    expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    expect(pdf.bytes.length).toBeGreaterThan(1_000)
    const csv = await downloadByKeyboard(page, '[data-testid=income-csv]', '/api/leasing/reports/rent-income')
    expect(csv.response.headers()['content-type']).toBe('text/csv; charset=utf-8')
    expect(csv.download.suggestedFilename()).toBe(`ingresos-${addMonths(thisMonth, -2)}-${thisMonth}.csv`)
    const csvText = csv.bytes.toString('utf8')
    expect(csvText.charCodeAt(0)).toBe(0xfeff)
    expect(csvText).toContain('Periodo / Period')
    expect(csvText).toContain(`${thisMonth};ARS;Planta baja;Alquiler;150000.00;1`)
    await expect.poll(() => page.textContent('[data-testid=income-download-status]')).toContain('.csv')
    expect(await page.locator('[data-testid=income-row]').count()).toBe(1)
    expect(await unlabelledFields(page)).toEqual([])
    expect(await rawI18nKeys(page, ['leasing', 'portal'])).toEqual([])
    await screenshots(page, 'leasing-reports')

    // The shop: its own organization and user, and the mall's contact for it linked to it.
    const db = stack.cloud.db
    const shopOrgId = randomUUID()
    await db.insertInto('organizations').values({ id: shopOrgId, name: `Kiosco Sur ${tag}`, kind: 'shop', require_admin_totp: false }).execute()
    const shopUser = { email: `duena.${tag}@kiosco.test`, password: 'clave-del-kiosco-2026' }
    await db.insertInto('users').values({ org_id: shopOrgId, email: shopUser.email, name: 'Dueña del kiosco', password_hash: await hashPassword(shopUser.password), role: 'owner', locale: 'es-AR' }).execute()
    const shopContact = await cloudApi<{ id: string }>(cloudUrl, token, 'POST', '/api/crm/contacts', { kind: 'customer', name: `Kiosco Sur ${tag}` })
    expect(shopContact.status).toBe(201)
    await contactsDb(db).updateTable('contacts').set({ linked_org_id: shopOrgId }).where('id', '=', shopContact.body.id).execute()
    // Its space and lease, in dollars, through the API.
    const malls = await cloudApi<{ items: { id: string; name: string }[] }>(cloudUrl, token, 'GET', '/api/leasing/malls')
    const mallId = malls.body.items.find((m) => m.name === 'Paseo del Sol')!.id
    const space = await cloudApi<{ id: string }>(cloudUrl, token, 'POST', '/api/leasing/spaces', { mallId, code: 'K-7', areaCentiM2: 900, type: 'kiosco', baseRentMinor: 250_000, currency: 'USD' })
    expect(space.status).toBe(201)
    // A short lease, ending in 40 days: it shows among the expirations within 60 and 90 days, not 30.
    const shopEndsOn = new Date(Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`) + 40 * 86_400_000).toISOString().slice(0, 10)
    const shopLease = await cloudApi<{ id: string }>(
      cloudUrl,
      token,
      'POST',
      '/api/leasing/leases',
      { tenantContactId: shopContact.body.id, spaceIds: [space.body.id], startsOn, endsOn: shopEndsOn, rentMinor: 250_000, currency: 'USD' },
      { 'Idempotency-Key': randomUUID() },
    )
    expect(shopLease.status).toBe(201)
    const run = await cloudApi<{ created: number; existing: number }>(cloudUrl, token, 'POST', '/api/leasing/rent-runs', { period: thisMonth })
    expect(run.body).toMatchObject({ created: 1, existing: 1 })
    const invoices = await cloudApi<{ invoices: number }>(cloudUrl, token, 'POST', '/api/leasing/invoice-runs', { period: thisMonth })
    expect(invoices.status, JSON.stringify(invoices.body)).toBe(200)
    expect(invoices.body.invoices).toBe(2)

    const shop = await shopContext.newPage()
    await logIn(shop, cloudUrl, shopUser)
    await activateByKeyboard(shop, '[data-testid=nav-portal]')
    await shop.waitForURL('**/mi-local')
    const portalLease = shop.locator('[data-testid=portal-lease]')
    await portalLease.first().waitFor()
    // Exactly its lease, not the ice-cream shop's.
    expect(await portalLease.count()).toBe(1)
    expect(await portalLease.getAttribute('data-lease-id')).toBe(shopLease.body.id)
    expect(await portalLease.locator('[data-testid=portal-lease-spaces]').textContent()).toContain('K-7')
    expect((await portalLease.locator('[data-testid=portal-lease-rent]').textContent())!.replace(/\s/g, ' ')).toContain('US$ 2.500')
    expect(await shop.locator('body').innerText()).not.toContain(tenantName)
    // This month is charged; the next one, up to the lease's end, is what comes.
    expect(await portalLease.locator(`[data-testid=portal-charge][data-period="${thisMonth}"]`).count()).toBe(1)
    expect(await portalLease.locator(`[data-testid=portal-next-charge][data-period="${addMonths(thisMonth, 1)}"]`).count()).toBe(1)
    // Its invoice of this month, with what it still owes.
    const invoice = shop.locator('[data-testid=portal-invoice]')
    await invoice.first().waitFor({ timeout: 10_000 })
    expect(await invoice.count()).toBe(1)
    expect(Number(await invoice.getAttribute('data-open'))).toBe(250_000)
    expect((await shop.textContent('[data-testid=portal-open-total]'))!.replace(/\s/g, ' ')).toContain('US$ 2.500')

    // An incident, by keyboard only.
    await focusByTab(shop, '[data-testid=incident-space]')
    await shop.keyboard.press('ArrowDown')
    expect(await shop.inputValue('[data-testid=incident-space]')).toBe(space.body.id)
    await focusByTab(shop, '[data-testid=incident-category]')
    await shop.keyboard.type('Agua')
    expect(await shop.inputValue('[data-testid=incident-category]')).toBe('agua')
    await focusByTab(shop, '[data-testid=incident-description-input]')
    const description = `Pierde agua el techo del kiosco ${tag}`
    await shop.keyboard.type(description)
    expect(await unlabelledFields(shop)).toEqual([])
    await activateByKeyboard(shop, '[data-testid=incident-submit]')
    const reported = shop.locator('[data-testid=portal-incident]', { hasText: description })
    await reported.waitFor({ timeout: 10_000 })
    expect(await reported.getAttribute('data-status')).toBe('open')
    await expect.poll(() => shop.textContent('[data-testid=incident-status]')).toContain('Paseo del Sol')
    expect(await rawI18nKeys(shop, ['leasing', 'portal'])).toEqual([])
    await screenshots(shop, 'portal')

    // The mall's inbox has it; moving it on shows in the portal.
    await activateByKeyboard(page, '[data-testid=leasing-tab-incidents]')
    const inboxItem = page.locator(`[data-testid=incident-item][data-lease-id="${shopLease.body.id}"]`)
    await inboxItem.waitFor({ timeout: 10_000 })
    expect(await inboxItem.locator('[data-testid=incident-description]').textContent()).toBe(description)
    expect(await inboxItem.getAttribute('data-status')).toBe('open')
    expect(await inboxItem.textContent()).toContain('K-7')
    await focusByTab(page, `[data-testid=incident-item][data-lease-id="${shopLease.body.id}"] [data-testid=incident-status-select]`)
    await page.keyboard.type('En curso')
    await activateByKeyboard(page, `[data-testid=incident-item][data-lease-id="${shopLease.body.id}"] [data-testid=incident-status-save]`)
    await expect.poll(() => inboxItem.getAttribute('data-status')).toBe('in_progress')
    expect(await unlabelledFields(page)).toEqual([])
    expect(await rawI18nKeys(page, ['leasing', 'portal'])).toEqual([])
    await screenshots(page, 'leasing-incidents')

    // The short lease among the expirations: within 90 days (the default), not within 30.
    await activateByKeyboard(page, '[data-testid=leasing-tab-reports]')
    const expiring = page.locator(`[data-testid=expiration-item][data-lease-id="${shopLease.body.id}"]`)
    await expiring.waitFor({ timeout: 10_000 })
    expect(await expiring.getAttribute('data-days-left')).toBe('40')
    expect(await page.locator(`[data-testid=expiration-item][data-lease-id="${leaseId}"]`).count()).toBe(0)
    await focusByTab(page, '[data-testid=expirations-within]')
    await page.keyboard.type('30')
    expect(await page.inputValue('[data-testid=expirations-within]')).toBe('30')
    await expect.poll(() => expiring.count()).toBe(0)

    await shop.reload()
    await expect.poll(() => shop.locator('[data-testid=portal-incident]', { hasText: description }).getAttribute('data-status'), { timeout: 10_000 }).toBe('in_progress')
  })
})
