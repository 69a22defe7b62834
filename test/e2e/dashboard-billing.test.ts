/**
 * Issue 8, billing and the platform in a real Chromium against a real cloud. The demo
 * organization's user (an org admin: billing.manage) bills a customer made through the
 * API: an invoice with two lines at different IVA rates typed by keyboard, through a value
 * the form refuses on its field, with live totals computed like the cloud's (a line that
 * rounds half away from zero), saved as a draft, posted (its number shown), its PDF
 * downloaded; a partial payment allocated to it, first over-allocated (the cloud's 409 on
 * the amount field), and the open balance drops; the debts chart shows what is owed and
 * its CSV downloads. Then a platform admin (two-factor login) creates a plan, subscribes
 * the demo organization and sees this month's MRR chart and its CSV.
 */
import { randomBytes } from 'node:crypto'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../../cloud/src/modules/auth/password.js'
import { stepAt, totpAt } from '../../cloud/src/modules/auth/totp.js'
import { activateByKeyboard, dashboardDir, DESKTOP, downloadByKeyboard, focusByTab, haveChromium, launchBrowser, logIn, rawI18nKeys, screenshots, unlabelledFields } from './browser-harness.js'
import { cloudApi, DEMO, login, type Stack, startStack } from './stack.js'

/** Message keys shown as they are: a missing or misnamed translation. */
const squash = (s: string | null) => (s ?? '').replace(/\s/g, ' ')

/** Whether the focused element matches `selector`. */
const focused = (page: Page, selector: string) =>
  page.evaluate((sel) => (globalThis as unknown as { document: { activeElement: { matches(s: string): boolean } | null } }).document.activeElement?.matches(sel) ?? false, selector)

describe.skipIf(!haveChromium)('billing and the platform in a real browser', () => {
  let stack: Stack
  let browser: Browser
  let context: BrowserContext

  beforeAll(async () => {
    stack = await startStack({ dashboardDir: dashboardDir(), intervalMs: 500 })
    browser = await launchBrowser()
    context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true })
  })

  afterAll(async () => {
    await context?.close()
    await browser?.close()
    await stack?.stop()
  })

  it('invoices a customer by keyboard, posts it, downloads its PDF, records a partial payment and sees the debt', async () => {
    const { cloudUrl } = stack
    const token = await login(cloudUrl)
    const tag = randomBytes(3).toString('hex')
    const customerName = `Almacén Los Andes ${tag}`
    const contact = await cloudApi<{ id: string }>(cloudUrl, token, 'POST', '/api/crm/contacts', { kind: 'customer', name: customerName, email: `andes.${tag}@example.com` })
    expect(contact.status).toBe(201)

    const page = await context.newPage()
    await logIn(page, cloudUrl)
    await activateByKeyboard(page, '[data-testid=nav-billing]')
    await page.waitForURL('**/facturacion')
    await page.waitForSelector('[data-testid=invoices]')

    // A new invoice: the form opens with the focus on the customer search.
    await activateByKeyboard(page, '[data-testid=invoice-create-open]')
    await page.waitForSelector('[data-testid=invoice-form]')
    expect(await focused(page, '[data-testid=invoice-customer-search]')).toBe(true)
    await page.keyboard.type(`Andes ${tag}`)
    // The one contact found is chosen.
    await expect.poll(() => page.inputValue('[data-testid=invoice-customer]')).toBe(contact.body.id)

    // Line 1: 2 × $ 1.000 at 21 %.
    await focusByTab(page, '[data-testid=invoice-line][data-key="1"] [data-testid=line-description]')
    await page.keyboard.type('Alquiler de heladera')
    await focusByTab(page, '[data-testid=invoice-line][data-key="1"] [data-testid=line-quantity]')
    await page.keyboard.press('Control+A')
    await page.keyboard.type('2')
    await focusByTab(page, '[data-testid=invoice-line][data-key="1"] [data-testid=line-unit]')
    await page.keyboard.type('1.000')
    expect(await page.inputValue('[data-testid=invoice-line][data-key="1"] [data-testid=line-rate]')).toBe('2100')
    // Line 2: 1,5 × $ 333,33 at 10,5 %: 499,995 rounds half away from zero to $ 500,00 net.
    // The price is first typed with a dot, which Spanish reads as a thousands separator.
    await activateByKeyboard(page, '[data-testid=line-add]')
    expect(await focused(page, '[data-testid=invoice-line][data-key="2"] [data-testid=line-description]')).toBe(true)
    await page.keyboard.type('Mantenimiento')
    await focusByTab(page, '[data-testid=invoice-line][data-key="2"] [data-testid=line-quantity]')
    await page.keyboard.press('Control+A')
    await page.keyboard.type('1,5')
    await focusByTab(page, '[data-testid=invoice-line][data-key="2"] [data-testid=line-unit]')
    await page.keyboard.type('333.33')
    await focusByTab(page, '[data-testid=invoice-line][data-key="2"] [data-testid=line-rate]')
    await page.keyboard.press('ArrowDown')
    expect(await page.inputValue('[data-testid=invoice-line][data-key="2"] [data-testid=line-rate]')).toBe('1050')
    expect(await unlabelledFields(page)).toEqual([])

    // Saving (Enter in the price field, one Shift+Tab back): refused on that field, with the focus there.
    await page.keyboard.press('Shift+Tab')
    await focusByTab(page, '[data-testid=invoice-line][data-key="2"] [data-testid=line-unit]', 0)
    await page.keyboard.press('Enter')
    const problem = page.locator('[data-testid=invoice-field-error][data-field=line-1-unit]')
    await problem.waitFor()
    expect(await problem.textContent()).toContain('hasta 2 decimales')
    expect(await page.getAttribute('[data-testid=invoice-line][data-key="2"] [data-testid=line-unit]', 'aria-invalid')).toBe('true')
    expect(await focused(page, '[data-testid=invoice-line][data-key="2"] [data-testid=line-unit]')).toBe(true)
    await page.keyboard.press('Control+A')
    await page.keyboard.type('333,33')

    // The live totals, exactly: net 2.000 + 500 (rounded), IVA 420 at 21 % and 52,50 at 10,5 %.
    await expect.poll(() => page.getAttribute('[data-testid=live-total]', 'data-minor')).toBe('297250')
    expect(await page.getAttribute('[data-testid=invoice-line][data-key="2"] [data-testid=line-net]', 'data-minor')).toBe('50000')
    expect(await page.getAttribute('[data-testid=live-net]', 'data-minor')).toBe('250000')
    const liveTaxes = await page.locator('[data-testid=live-tax]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-rate'), e.getAttribute('data-minor')]))
    expect(liveTaxes).toEqual([['2100', '42000'], ['1050', '5250']])
    expect(squash(await page.textContent('[data-testid=live-total]'))).toBe('$ 2.972,50')
    expect(squash(await page.textContent('[data-testid=invoice-live-totals]'))).toMatch(/IVA 10,5 ?% sobre \$ 500,00/)
    await screenshots(page, 'billing-invoice-form')

    // Saved as a draft: the detail shows the cloud's totals, equal to the live ones.
    await focusByTab(page, '[data-testid=invoice-line][data-key="2"] [data-testid=line-unit]', 0)
    await page.keyboard.press('Enter')
    const detail = page.locator('[data-testid=invoice-detail]')
    await detail.waitFor({ timeout: 10_000 })
    await expect.poll(() => detail.getAttribute('data-status')).toBe('draft')
    const invoiceId = (await detail.getAttribute('data-invoice-id'))!
    expect(await page.getAttribute('[data-testid=invoice-total]', 'data-minor')).toBe('297250')
    expect(await page.locator('[data-testid=invoice-tax]').evaluateAll((els) => els.map((e) => e.getAttribute('data-minor')))).toEqual(['42000', '5250'])
    expect(await page.locator('[data-testid=invoice-line-row]').evaluateAll((els) => els.map((e) => e.getAttribute('data-net')))).toEqual(['200000', '50000'])

    // Posted: it gets its number, announced.
    await activateByKeyboard(page, '[data-testid=invoice-post]')
    await expect.poll(() => detail.getAttribute('data-status')).toBe('posted')
    const number = (await page.textContent('[data-testid=invoice-number]'))!.trim()
    expect(number).toMatch(/^A-0001-\d{8}$/)
    expect(await page.textContent('[data-testid=invoice-announcement]')).toContain(number)
    const listed = page.locator(`[data-testid=invoice-item][data-invoice-id="${invoiceId}"]`)
    expect(await listed.getAttribute('data-number')).toBe(number)
    expect(await listed.getAttribute('data-open')).toBe('297250')
    expect(await page.getAttribute('[data-testid=balance-row][data-currency=ARS]', 'data-receivable')).toBe('297250')

    // Its PDF.
    const pdf = await downloadByKeyboard(page, '[data-testid=invoice-pdf]', `/api/billing/invoices/${invoiceId}.pdf`)
    expect(pdf.response.headers()['content-type']).toBe('application/pdf')
    expect(pdf.download.suggestedFilename()).toBe(`factura-${number}.pdf`)
    expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    expect(pdf.bytes.length).toBeGreaterThan(1_000)
    await expect.poll(() => page.textContent('[data-testid=invoice-download-status]')).toContain('.pdf')
    expect(await unlabelledFields(page)).toEqual([])
    expect(await rawI18nKeys(page, ['billing', 'saas'])).toEqual([])
    await screenshots(page, 'billing-invoice')

    // A partial payment of $ 1.000, first allocated $ 1.500: the cloud refuses it on the amount.
    await activateByKeyboard(page, '[data-testid=billing-tab-payments]')
    await activateByKeyboard(page, '[data-testid=payment-create-open]')
    expect(await focused(page, '[data-testid=payment-customer-search]')).toBe(true)
    await page.keyboard.type(`Andes ${tag}`)
    await expect.poll(() => page.inputValue('[data-testid=payment-customer]')).toBe(contact.body.id)
    const row = page.locator(`[data-testid=allocation-row][data-invoice-id="${invoiceId}"]`)
    await row.waitFor({ timeout: 10_000 })
    expect(await row.getAttribute('data-number')).toBe(number)
    await focusByTab(page, '[data-testid=payment-amount]')
    await page.keyboard.type('1.000')
    await focusByTab(page, `[data-testid=allocation-row][data-invoice-id="${invoiceId}"] [data-testid=allocation-amount]`)
    await page.keyboard.type('1.500')
    expect(await unlabelledFields(page)).toEqual([])
    const [refused] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/billing/payments') && r.request().method() === 'POST'), page.keyboard.press('Enter')])
    expect(refused.status()).toBe(409)
    const amountError = page.locator('[data-testid=payment-field-error][data-field=amount]')
    await amountError.waitFor()
    expect(await amountError.textContent()).toContain('más que el importe del cobro')
    expect(await focused(page, '[data-testid=payment-amount]')).toBe(true)
    await focusByTab(page, `[data-testid=allocation-row][data-invoice-id="${invoiceId}"] [data-testid=allocation-amount]`)
    await page.keyboard.press('Control+A')
    await page.keyboard.type('1.000')
    await page.keyboard.press('Enter')
    const payment = page.locator('[data-testid=payment-item]').first()
    await expect.poll(() => page.textContent('[data-testid=payment-announcement]'), { timeout: 10_000 }).toContain('Cobro de $')
    expect(await payment.getAttribute('data-amount')).toBe('100000')
    expect(await payment.getAttribute('data-allocated')).toBe('100000')
    expect(await payment.textContent()).toContain(customerName)
    // The customer's balance: $ 2.972,50 - $ 1.000 still owed.
    await expect.poll(() => page.getAttribute('[data-testid=balance-row][data-currency=ARS]', 'data-receivable')).toBe('197250')
    expect(squash(await page.textContent('[data-testid=customer-balance]'))).toContain('Debe $ 1.972,50')
    expect(await rawI18nKeys(page, ['billing', 'saas'])).toEqual([])
    await screenshots(page, 'billing-payment')

    // The invoice's open balance dropped.
    await activateByKeyboard(page, '[data-testid=billing-tab-invoices]')
    await expect.poll(() => listed.getAttribute('data-open'), { timeout: 10_000 }).toBe('197250')
    expect(squash(await listed.locator('[data-testid=invoice-item-open]').textContent())).toContain('$ 1.972,50')

    // Debts: not yet due (due in 30 days), shown as a bar with its amount written out.
    await activateByKeyboard(page, '[data-testid=billing-tab-debts]')
    const chart = page.locator('[data-testid=aging-chart][data-currency=ARS]')
    await chart.waitFor({ timeout: 10_000 })
    const current = chart.locator('[data-testid=aging-bar][data-bucket=current]')
    expect(Number(await current.getAttribute('data-minor'))).toBeGreaterThanOrEqual(197250)
    expect(await page.getAttribute(`[data-testid=aging-row][data-contact-id="${contact.body.id}"]`, 'data-total')).toBe('197250')
    expect(squash(await chart.locator('svg').getAttribute('aria-label'))).toContain('Sin vencer, $')
    expect(squash(await current.locator('[data-testid=aging-value]').textContent())).toMatch(/^\$ [\d.]+,\d\d$/)
    const csv = await downloadByKeyboard(page, '[data-testid=aging-csv]', '/api/billing/reports/aging')
    expect(csv.response.headers()['content-type']).toBe('text/csv; charset=utf-8')
    expect(csv.download.suggestedFilename()).toMatch(/^deudas-\d{4}-\d{2}-\d{2}\.csv$/)
    const csvText = csv.bytes.toString('utf8')
    expect(csvText.charCodeAt(0)).toBe(0xfeff)
    expect(csvText.slice(1).split('\r\n')[0]).toBe('cliente;cliente_id;moneda;facturas;a_vencer;vencido_1_30;vencido_31_60;vencido_61_90;vencido_mas_90;total')
    expect(csvText).toContain(`${customerName};${contact.body.id};ARS;1;1972,50;0,00;0,00;0,00;0,00;1972,50`)
    const agingPdf = await downloadByKeyboard(page, '[data-testid=aging-pdf]', '/api/billing/reports/aging')
    expect(agingPdf.response.headers()['content-type']).toBe('application/pdf')
    expect(agingPdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    expect(await unlabelledFields(page)).toEqual([])
    expect(await rawI18nKeys(page, ['billing', 'saas'])).toEqual([])
    await screenshots(page, 'billing-debts')

    await activateByKeyboard(page, '[data-testid=billing-tab-settings]')
    await page.waitForSelector('[data-testid=dunning-steps][data-steps="-3,1,7,15,30"]')
    // Reminders 5 days before the due date and 1 and 10 after.
    await focusByTab(page, '[data-testid=dunning-input]')
    await page.keyboard.press('Control+A')
    await page.keyboard.type('10, -5, 1')
    await page.keyboard.press('Enter')
    await page.waitForSelector('[data-testid=dunning-steps][data-steps="-5,1,10"]')
    expect(await page.textContent('[data-testid=dunning-steps]')).toContain('5 días antes')
    // A Mercado Pago account: its webhook URL and, once, its signing secret.
    await focusByTab(page, '[data-testid=gateway-label]')
    await page.keyboard.type('Mercado Pago Palermo')
    await page.keyboard.press('Enter')
    await page.waitForSelector('[data-testid=gateway-created]')
    expect(await page.textContent('[data-testid=gateway-created-url]')).toMatch(new RegExp(`^${cloudUrl}/api/public/payments/mercadopago/[0-9a-f-]{36}$`))
    expect((await page.textContent('[data-testid=gateway-secret]'))!.trim().length).toBeGreaterThanOrEqual(16)
    expect(await page.locator('[data-testid=gateway-item][data-provider=mercadopago]').count()).toBe(1)
    expect(await unlabelledFields(page)).toEqual([])
    expect(await rawI18nKeys(page, ['billing', 'saas'])).toEqual([])
    await screenshots(page, 'billing-settings')
    await page.close()
  })

  it('a platform admin creates a plan, subscribes an organization and sees this month’s MRR', async () => {
    const { cloudUrl } = stack
    const tag = randomBytes(3).toString('hex')
    const admin = { email: `plataforma.${tag}@tendero.test`, password: 'una-clave-larga-1' }
    await stack.cloud.db
      .insertInto('users')
      .values({ org_id: DEMO.organization.id, email: admin.email, name: 'Plataforma', password_hash: await hashPassword(admin.password), role: 'platform_admin', locale: 'es-AR' })
      .execute()
    // Platform admins log in with two factors: enrol through the API as a person would.
    const first = await fetch(`${cloudUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(admin) })
    const enrolToken = ((await first.json()) as { token: string }).token
    const { secret } = (await cloudApi<{ secret: string }>(cloudUrl, enrolToken, 'POST', '/api/auth/totp/setup')).body
    const step = stepAt(Date.now())
    expect((await cloudApi(cloudUrl, enrolToken, 'POST', '/api/auth/totp/enable', { code: totpAt(secret, step) })).status).toBe(200)

    // Its own browser context: the demo user's session stays in the other one.
    const adminContext = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true })
    const page = await adminContext.newPage()
    await page.goto(cloudUrl)
    await focusByTab(page, '[data-testid=login-email]')
    await page.keyboard.type(admin.email)
    await focusByTab(page, '[data-testid=login-password]')
    await page.keyboard.type(admin.password)
    await page.keyboard.press('Enter')
    await page.waitForSelector('[data-testid=login-totp]')
    await focusByTab(page, '[data-testid=login-totp]')
    // A code after the one used to enrol (each is accepted once).
    await page.keyboard.type(totpAt(secret, Math.max(step + 1, stepAt(Date.now()))))
    await page.keyboard.press('Enter')
    await page.waitForURL((url) => !url.pathname.startsWith('/login'))

    await activateByKeyboard(page, '[data-testid=nav-saas]')
    await page.waitForURL('**/plataforma')
    await page.waitForSelector('[data-testid=saas-plans]')
    await focusByTab(page, '[data-testid=plan-code]')
    await page.keyboard.type(`pro-${tag}`)
    await focusByTab(page, '[data-testid=plan-name]')
    await page.keyboard.type(`Pro ${tag}`)
    await focusByTab(page, '[data-testid=plan-price]')
    await page.keyboard.type('25.000')
    await page.keyboard.press('Enter')
    const plan = page.locator(`[data-testid=plan-item][data-code="pro-${tag}"]`)
    await plan.waitFor({ timeout: 10_000 })
    expect(await plan.getAttribute('data-price')).toBe('2500000')

    // The demo organization, subscribed from the first of the month.
    const monthStart = `${new Date().toISOString().slice(0, 7)}-01`
    await focusByTab(page, '[data-testid=subscription-org]')
    await page.selectOption('[data-testid=subscription-org]', DEMO.organization.id)
    await focusByTab(page, '[data-testid=subscription-plan]')
    await page.selectOption('[data-testid=subscription-plan]', { label: `Pro ${tag}` })
    await page.fill('[data-testid=subscription-start]', monthStart)
    expect(await unlabelledFields(page)).toEqual([])
    await activateByKeyboard(page, '[data-testid=subscription-submit]')
    const sub = page.locator(`[data-testid=subscription-item][data-org-id="${DEMO.organization.id}"]`)
    await sub.waitFor({ timeout: 10_000 })
    expect(await sub.getAttribute('data-mrr')).toBe('2500000')

    // This month's MRR: new, and at the end.
    const chart = page.locator('[data-testid=mrr-chart][data-currency=ARS]')
    await expect.poll(() => chart.getAttribute('data-end'), { timeout: 10_000 }).toBe('2500000')
    expect(await chart.locator('[data-testid=mrr-bar][data-step=new]').getAttribute('data-minor')).toBe('2500000')
    expect(squash(await chart.locator('svg').getAttribute('aria-label'))).toContain('Nuevas, $ 25.000,00')
    const csv = await downloadByKeyboard(page, '[data-testid=metrics-csv]', '/api/saas/metrics')
    expect(csv.response.headers()['content-type']).toBe('text/csv; charset=utf-8')
    expect(csv.bytes.toString('utf8').slice(1).split('\r\n')[0]).toContain('mes;moneda;mrr_inicial;mrr_nuevo')
    expect(csv.bytes.toString('utf8')).toContain(';ARS;0,00;25000,00;')
    expect(await unlabelledFields(page)).toEqual([])
    expect(await rawI18nKeys(page, ['billing', 'saas'])).toEqual([])
    await screenshots(page, 'platform')
    await adminContext.close()
  })
})
