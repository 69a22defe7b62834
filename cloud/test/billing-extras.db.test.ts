import { createHmac, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueInvoice } from '../src/modules/billing/api.js'
import { setMercadoPagoFetch, type MercadoPagoPayment } from '../src/modules/billing/gateway/mercadopago.js'
import { billingDb } from '../src/modules/billing/tables.js'
import { listMail } from '../src/modules/mail/queue.js'
import { DEMO } from '../src/seed.js'
import { addOrganization, buildTestApp, loginDemo, type TestApp } from './support/app.js'
import { addContact, auth, userToken } from './support/billing-fixtures.js'
import { testDrivers } from './support/drivers.js'

const line = (unitMinor: number, taxRateBp = 0) => [{ description: 'Servicio', quantityMilli: 1000, unitMinor, taxRateBp }]

describe.each(testDrivers())('billing: aging, dunning, webhooks, SaaS, portal (%s)', (driver) => {
  let t: TestApp
  let token: string
  beforeAll(async () => {
    t = await buildTestApp(driver, { platformAdminTotp: 'optional' })
    token = await loginDemo(t.app)
  }, 60_000)
  afterAll(async () => t?.close())
  const post = (url: string, payload: unknown, tk = token) => t.app.inject({ method: 'POST', url, headers: auth(tk), payload: payload as object })
  const get = (url: string, tk = token) => t.app.inject({ method: 'GET', url, headers: auth(tk) })

  it('ages open balances into exact buckets per contact and currency (JSON, CSV, PDF)', async () => {
    const other = await addOrganization(t.app)
    const orgId = other.orgId
    const tk = await userToken(t.app, orgId, 'org_admin')
    const a = await addContact(t.app, orgId, { name: 'Ana' })
    const b = await addContact(t.app, orgId, { name: 'Beto' })
    const asOf = '2026-06-30'
    // due dates -> days past due at asOf: 0 current, 1, 30, 31, 60, 61, 90, 91
    const dues: [string, string, number][] = [
      [a, '2026-06-30', 100], [a, '2026-06-29', 200], [a, '2026-05-31', 300], [a, '2026-05-30', 400],
      [b, '2026-05-01', 500], [b, '2026-04-30', 600], [b, '2026-04-01', 700], [b, '2026-03-31', 800],
    ]
    for (const [contactId, due, amount] of dues) await issueInvoice(t.app.db, orgId, { contactId, currency: 'ARS', issueDate: '2026-01-01', dueDate: due, lines: line(amount) }, null)
    // partly paid, and one in another currency, and one issued after asOf (left out)
    const usd = await issueInvoice(t.app.db, orgId, { contactId: a, currency: 'USD', issueDate: '2026-01-01', dueDate: '2026-06-15', lines: line(1000) }, null)
    await issueInvoice(t.app.db, orgId, { contactId: a, currency: 'ARS', issueDate: '2026-07-01', dueDate: '2026-07-15', lines: line(9999) }, null)
    expect((await post('/api/billing/payments', { contactId: a, currency: 'USD', amountMinor: 250, method: 'card', paidOn: '2026-06-20', allocations: [{ invoiceId: usd.id, amountMinor: 250 }] }, tk)).statusCode).toBe(201)

    const res = await get(`/api/billing/reports/aging?asOf=${asOf}`, tk)
    expect(res.statusCode).toBe(200)
    const r = res.json()
    expect(r.rows).toEqual([
      // biggest debt first within a currency
      { contactId: b, contactName: 'Beto', currency: 'ARS', invoices: 4, current: 0, d1_30: 0, d31_60: 500, d61_90: 1300, over90: 800, totalMinor: 2600 },
      { contactId: a, contactName: 'Ana', currency: 'ARS', invoices: 4, current: 100, d1_30: 500, d31_60: 400, d61_90: 0, over90: 0, totalMinor: 1000 },
      { contactId: a, contactName: 'Ana', currency: 'USD', invoices: 1, current: 0, d1_30: 750, d31_60: 0, d61_90: 0, over90: 0, totalMinor: 750 },
    ])
    expect(r.totals).toEqual([
      { currency: 'ARS', current: 100, d1_30: 500, d31_60: 900, d61_90: 1300, over90: 800, totalMinor: 3600 },
      { currency: 'USD', current: 0, d1_30: 750, d31_60: 0, d61_90: 0, over90: 0, totalMinor: 750 },
    ])
    const csv = await get(`/api/billing/reports/aging?asOf=${asOf}&format=csv`, tk)
    expect(csv.headers['content-type']).toContain('text/csv')
    expect(csv.body.startsWith('\uFEFFcliente;cliente_id;moneda')).toBe(true)
    expect(csv.body).toContain(`Beto;${b};ARS;4;0,00;0,00;5,00;13,00;8,00;26,00`)
    expect(csv.body).toContain('TOTAL;;USD;;0,00;7,50;0,00;0,00;0,00;7,50')
    const pdf = await get(`/api/billing/reports/aging?asOf=${asOf}&format=pdf`, tk)
    expect(pdf.headers['content-type']).toBe('application/pdf')
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-')
    // the demo org sees none of it
    expect((await get(`/api/billing/reports/aging?asOf=${asOf}`)).json().rows.filter((x: { contactId: string }) => x.contactId === a)).toEqual([])
  })

  it('queues dunning mail once per step, in Spanish with the amount, and stops after payment', async () => {
    const other = await addOrganization(t.app)
    const orgId = other.orgId
    const tk = await userToken(t.app, orgId, 'org_admin')
    expect((await t.app.inject({ method: 'PUT', url: '/api/billing/dunning/schedule', headers: auth(tk), payload: { steps: [7, -3, 1] } })).json()).toEqual({ steps: [-3, 1, 7], isDefault: false })
    const c = await addContact(t.app, orgId, { name: 'Local 12', email: 'local12@example.com' })
    const noMail = await addContact(t.app, orgId, { email: null })
    const inv = await issueInvoice(t.app.db, orgId, { contactId: c, currency: 'ARS', issueDate: '2026-03-01', dueDate: '2026-03-10', lines: line(1_234_567_89) }, null)
    await issueInvoice(t.app.db, orgId, { contactId: noMail, currency: 'ARS', issueDate: '2026-03-01', dueDate: '2026-03-10', lines: line(100) }, null)
    const run = (day: string) => t.app.jobs.run('billing.dunning', new Date(`${day}T12:00:00Z`))
    const mine = () => listMail(t.app.db, orgId, { kind: 'billing.dunning' })
    await run('2026-03-06') // before -3
    expect(await mine()).toHaveLength(0)
    await run('2026-03-07')
    await run('2026-03-07')
    let mail = await mine()
    expect(mail.map((m) => m.dedupKey)).toEqual([`dunning:${inv.id}:-3`])
    expect(mail[0]).toMatchObject({ to: 'local12@example.com', subject: `Recordatorio: la factura ${inv.number} vence el 10/03/2026` })
    const body = await t.app.db.selectFrom('mail_outbox' as never).select('body' as never).where('id' as never, '=', mail[0]!.id as never).executeTakeFirstOrThrow() as { body: string }
    expect(body.body).toContain('$\u00a01.234.567,89')
    await run('2026-03-12') // +1 (day 2 after due)
    await run('2026-03-13')
    mail = await mine()
    expect(mail.map((m) => m.dedupKey)).toEqual([`dunning:${inv.id}:-3`, `dunning:${inv.id}:1`])
    expect(mail[1]!.subject).toBe(`Factura ${inv.number} vencida: saldo $\u00a01.234.567,89`)
    // paid in full: nothing more, and nothing pending is left
    expect((await post('/api/billing/payments', { contactId: c, currency: 'ARS', amountMinor: 1_234_567_89, method: 'transfer', paidOn: '2026-03-14', allocations: [{ invoiceId: inv.id, amountMinor: 1_234_567_89 }] }, tk)).statusCode).toBe(201)
    await run('2026-03-20')
    mail = await mine()
    expect(mail).toHaveLength(2)
    expect(mail.every((m) => m.status === 'cancelled' || m.status === 'sent')).toBe(true)
  })

  describe('payment webhooks', () => {
    const stripeSecret = 'whsec_test_0123456789abcdef'
    const mpSecret = 'mp-secret-0123456789abcdef'
    let orgId: string
    let tk: string
    let stripeId: string
    let mpId: string
    let contactId: string
    beforeAll(async () => {
      const other = await addOrganization(t.app)
      orgId = other.orgId
      tk = await userToken(t.app, orgId, 'org_admin')
      contactId = await addContact(t.app, orgId)
      const s = await post('/api/billing/gateways', { provider: 'stripe', label: 'Stripe', secret: stripeSecret }, tk)
      expect(s.statusCode).toBe(201)
      expect(s.json().secret).toBe(stripeSecret)
      stripeId = s.json().id
      const m = await post('/api/billing/gateways', { provider: 'mercadopago', label: 'MP', secret: mpSecret, accessToken: 'APP_USR-test-token' }, tk)
      mpId = m.json().id
      // listed without secrets
      const list = (await get('/api/billing/gateways', tk)).json()
      expect(JSON.stringify(list)).not.toContain(stripeSecret)
      expect(list.items.map((x: { webhookPath: string }) => x.webhookPath)).toContain(`/api/public/payments/stripe/${stripeId}`)
    })

    /** A Stripe event in the documented shape (a recorded payment_intent.succeeded, ids ours). */
    const stripeEvent = (invoiceId: string, amount: number, id = `evt_${randomUUID().replace(/-/g, '').slice(0, 24)}`) => ({
      id,
      object: 'event',
      api_version: '2024-06-20',
      created: Math.floor(Date.now() / 1000),
      data: {
        object: {
          id: `pi_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
          object: 'payment_intent',
          amount,
          amount_received: amount,
          currency: 'ars',
          status: 'succeeded',
          created: Math.floor(Date.now() / 1000),
          latest_charge: 'ch_3PqRsT2eZvKYlo2C1abcdEFG',
          metadata: { invoice_id: invoiceId },
          payment_method_types: ['card'],
        },
      },
      livemode: false,
      pending_webhooks: 1,
      request: { id: 'req_8Kx2n3Lq0aBcDe', idempotency_key: 'f4c1d6b2-0e7a-4e1b-9a8b-3c2d1e0f9a8b' },
      type: 'payment_intent.succeeded',
    })
    const stripeHeader = (raw: string, secret = stripeSecret, ts = Math.floor(Date.now() / 1000)) =>
      `t=${ts},v1=${createHmac('sha256', secret).update(`${ts}.${raw}`).digest('hex')},v0=${'0'.repeat(64)}`
    const sendStripe = (raw: string, header: string, account = stripeId) =>
      t.app.inject({ method: 'POST', url: `/api/public/payments/stripe/${account}`, headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': header }, payload: raw })
    const count = async () => (await billingDb(t.app.db).selectFrom('billing_gateway_events').select('id').where('org_id', '=', orgId).execute()).length

    it('Stripe: a valid signed event books and allocates once; tampered, wrong secret, old, unknown account are refused with nothing written', async () => {
      const inv = await issueInvoice(t.app.db, orgId, { contactId, currency: 'ARS', issueDate: '2026-03-01', dueDate: '2026-03-10', lines: line(10_000, 2100) }, null)
      // Stripe's own serialization has spaces and newlines: the signature is over the exact bytes
      const raw = JSON.stringify(stripeEvent(inv.id, 12_100), null, 2)
      const before = await count()
      const tampered = await sendStripe(raw.replace('12100', '1'), stripeHeader(raw))
      expect([tampered.statusCode, tampered.json().error.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID'])
      const wrong = await sendStripe(raw, stripeHeader(raw, 'whsec_wrong_secret_000000'))
      expect(wrong.statusCode).toBe(401)
      const old = await sendStripe(raw, stripeHeader(raw, stripeSecret, Math.floor(Date.now() / 1000) - 301))
      expect([old.statusCode, old.json().error.code]).toEqual([400, 'WEBHOOK_TIMESTAMP_STALE'])
      expect((await sendStripe(raw, 'v1=abc')).statusCode).toBe(400)
      expect((await sendStripe(raw, stripeHeader(raw), randomUUID())).statusCode).toBe(404)
      expect((await t.app.inject({ method: 'POST', url: `/api/public/payments/stripe/${mpId}`, headers: { 'content-type': 'application/json', 'stripe-signature': stripeHeader(raw) }, payload: raw })).statusCode).toBe(404)
      expect(await count()).toBe(before)

      const ok = await sendStripe(raw, stripeHeader(raw))
      expect(ok.statusCode, ok.body).toBe(200)
      expect(ok.json()).toMatchObject({ received: true, duplicate: false, outcome: 'booked_allocated' })
      const replay = await sendStripe(raw, stripeHeader(raw))
      expect(replay.json()).toMatchObject({ duplicate: true, paymentId: ok.json().paymentId })
      const invNow = (await get(`/api/billing/invoices/${inv.id}`, tk)).json()
      expect(invNow).toMatchObject({ paidMinor: 12_100, openMinor: 0 })
      const payments = (await get(`/api/billing/payments?contactId=${contactId}`, tk)).json().items
      expect(payments).toHaveLength(1)
      expect(payments[0]).toMatchObject({ method: 'stripe', amountMinor: 12_100 })
      // the same payment intent under a new event id is not booked twice
      const ev2 = { ...JSON.parse(raw), id: 'evt_second_delivery_0001' }
      const raw2 = JSON.stringify(ev2)
      expect((await sendStripe(raw2, stripeHeader(raw2))).json()).toMatchObject({ outcome: 'payment_already_booked' })
      expect((await get(`/api/billing/gateway-events?accountId=${stripeId}`, tk)).json().items).toHaveLength(2)
    })

    it('Mercado Pago: x-signature over id;request-id;ts, the payment read from its API, allocated by external_reference', async () => {
      const inv = await issueInvoice(t.app.db, orgId, { contactId, currency: 'ARS', issueDate: '2026-03-01', dueDate: '2026-03-10', lines: line(50_000, 2100) }, null)
      // GET /v1/payments/:id as Mercado Pago answers it (the fields we read, recorded shape)
      const mpPayment: MercadoPagoPayment & Record<string, unknown> = {
        id: 1234567890,
        date_created: '2026-03-05T10:00:00.000-03:00',
        date_approved: '2026-03-05T10:00:02.000-03:00',
        operation_type: 'regular_payment',
        payment_method_id: 'account_money',
        payment_type_id: 'account_money',
        status: 'approved',
        status_detail: 'accredited',
        currency_id: 'ARS',
        transaction_amount: 605,
        external_reference: inv.number,
        metadata: {},
      }
      const seen: string[] = []
      const restore = setMercadoPagoFetch(async (id, tokenArg) => {
        seen.push(`${id}:${tokenArg}`)
        return String(mpPayment.id) === id ? mpPayment : null
      })
      try {
        const body = { action: 'payment.updated', api_version: 'v1', data: { id: '1234567890' }, date_created: '2026-03-05T13:01:08Z', id: 112233445566, live_mode: false, type: 'payment', user_id: '987654321' }
        const raw = JSON.stringify(body)
        const requestId = randomUUID()
        const sign = (secret = mpSecret, ts = String(Math.floor(Date.now() / 1000)), dataId = '1234567890') =>
          `ts=${ts},v1=${createHmac('sha256', secret).update(`id:${dataId};request-id:${requestId};ts:${ts};`).digest('hex')}`
        const send = (sig: string) => t.app.inject({ method: 'POST', url: `/api/public/payments/mercadopago/${mpId}?data.id=1234567890&type=payment`, headers: { 'content-type': 'application/json', 'x-signature': sig, 'x-request-id': requestId }, payload: raw })
        const before = await count()
        expect((await send(sign('wrong-secret-0000000000'))).statusCode).toBe(401)
        expect((await send(sign(mpSecret, String(Math.floor(Date.now() / 1000) - 600)))).json().error.code).toBe('WEBHOOK_TIMESTAMP_STALE')
        expect((await send(sign(mpSecret, undefined, '999'))).statusCode).toBe(401)
        expect(await count()).toBe(before)
        const ok = await send(sign())
        expect(ok.statusCode, ok.body).toBe(200)
        expect(ok.json()).toMatchObject({ duplicate: false, outcome: 'booked_allocated' })
        expect(seen).toEqual(['1234567890:APP_USR-test-token'])
        expect((await send(sign())).json()).toMatchObject({ duplicate: true })
        expect((await get(`/api/billing/invoices/${inv.id}`, tk)).json()).toMatchObject({ paidMinor: 60_500, openMinor: 0 })
        // a pending payment is recorded, not booked
        mpPayment.id = 555
        mpPayment.status = 'in_process'
        const pendingBody = JSON.stringify({ ...body, id: 112233445567, data: { id: '555' } })
        const ts = String(Math.floor(Date.now() / 1000))
        const pendingSig = `ts=${ts},v1=${createHmac('sha256', mpSecret).update(`id:555;request-id:${requestId};ts:${ts};`).digest('hex')}`
        const pending = await t.app.inject({ method: 'POST', url: `/api/public/payments/mercadopago/${mpId}?data.id=555&type=payment`, headers: { 'content-type': 'application/json', 'x-signature': pendingSig, 'x-request-id': requestId }, payload: pendingBody })
        expect(pending.json()).toMatchObject({ duplicate: false, outcome: 'payment_pending', paymentId: null })
        expect((await get(`/api/billing/payments?contactId=${contactId}`, tk)).json().items.filter((p: { method: string }) => p.method === 'mercadopago')).toHaveLength(1)
      } finally {
        setMercadoPagoFetch(restore)
      }
    })
  })

  it('MRR and churn are exact on a known set (JSON, CSV, PDF), for platform admins only', async () => {
    const admin = await userToken(t.app, DEMO.organization.id, 'platform_admin')
    expect((await get('/api/saas/metrics?month=2026-02')).statusCode).toBe(403)
    const plan = async (code: string, priceMinor: number, interval: 'month' | 'year', currency = 'ARS') => {
      const r = await post('/api/saas/plans', { code, name: code, features: ['sitios', 'alarmas'], priceMinor, currency, interval }, admin)
      expect(r.statusCode, r.body).toBe(201)
      return r.json().id as string
    }
    const basic = await plan(`basic-${driver}`, 10_000, 'month')
    const pro = await plan(`pro-${driver}`, 30_000, 'month')
    const yearly = await plan(`yearly-${driver}`, 100_000, 'year') // 8333.33 -> 8333 a month
    const usd = await plan(`usd-${driver}`, 5_000, 'month', 'USD')
    const orgs = await Promise.all(Array.from({ length: 6 }, async () => (await addOrganization(t.app)).orgId))
    const sub = async (orgId: string, planId: string, startedOn: string) => {
      const r = await post('/api/saas/subscriptions', { orgId, planId, startedOn }, admin)
      expect(r.statusCode, r.body).toBe(201)
      return r.json().id as string
    }
    const s0 = await sub(orgs[0]!, basic, '2026-01-05') // stays
    const s1 = await sub(orgs[1]!, basic, '2026-01-10') // upgrades in Feb
    const s2 = await sub(orgs[2]!, pro, '2026-01-15') // cancels in Feb
    const s3 = await sub(orgs[3]!, yearly, '2026-01-20') // downgrades to basic in Feb
    await sub(orgs[4]!, basic, '2026-02-10') // new in Feb
    await sub(orgs[5]!, usd, '2026-01-31') // USD, stays
    void s0
    expect((await post(`/api/saas/subscriptions/${s1}/change-plan`, { planId: pro, date: '2026-02-15' }, admin)).statusCode).toBe(200)
    expect((await post(`/api/saas/subscriptions/${s2}/cancel`, { endedOn: '2026-02-20' }, admin)).statusCode).toBe(200)
    expect((await post(`/api/saas/subscriptions/${s3}/change-plan`, { planId: basic, date: '2026-02-01' }, admin)).statusCode).toBe(200)
    expect((await post(`/api/saas/subscriptions/${s2}/cancel`, { endedOn: '2026-02-21' }, admin)).statusCode).toBe(409)
    const m = (await get('/api/saas/metrics?month=2026-02', admin)).json()
    // start (Jan 31): 10000 + 10000 + 30000 + 8333 = 58333 ARS, 5000 USD; end (Feb 28): 10000 + 30000 + 10000 + 10000 = 60000
    expect(m.mrr).toEqual([
      { currency: 'ARS', startMinor: 58_333, endMinor: 60_000, newMinor: 10_000, expansionMinor: 21_667, contractionMinor: 0, churnedMinor: 30_000, revenueChurnBp: 5143 },
      { currency: 'USD', startMinor: 5_000, endMinor: 5_000, newMinor: 0, expansionMinor: 0, contractionMinor: 0, churnedMinor: 0, revenueChurnBp: 0 },
    ])
    // expansion: basic -> pro 20000, and yearly 8333 a month -> basic 10000 is 1667 more
    expect(m.logos).toEqual({ start: 5, end: 5, new: 1, churned: 1, logoChurnBp: 2000 })
    const csv = await get('/api/saas/metrics?month=2026-02&format=csv', admin)
    expect(csv.body).toContain('2026-02;ARS;583,33;100,00;216,67;0,00;300,00;600,00;51,43;5;5;1;20,00')
    const pdf = await get('/api/saas/metrics?month=2026-02&format=pdf', admin)
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-')
  })

  it('portal: a shop sees the invoices made out to it by its mall, read-only, and nobody else\'s', async () => {
    const mall = DEMO.organization.id
    const shop = await addOrganization(t.app)
    const stranger = await addOrganization(t.app)
    const shopToken = await userToken(t.app, shop.orgId, 'viewer')
    const strangerToken = await userToken(t.app, stranger.orgId, 'org_admin')
    const linked = await addContact(t.app, mall, { name: 'Heladería Local 5', linkedOrgId: shop.orgId })
    const unlinked = await addContact(t.app, mall)
    const mine = await issueInvoice(t.app.db, mall, { contactId: linked, currency: 'ARS', issueDate: '2026-03-01', dueDate: '2026-03-10', lines: line(1000, 2100) }, null)
    const notMine = await issueInvoice(t.app.db, mall, { contactId: unlinked, currency: 'ARS', issueDate: '2026-03-01', dueDate: '2026-03-10', lines: line(1000) }, null)
    const draft = await post('/api/billing/invoices', { contactId: linked, currency: 'ARS', issueDate: '2026-03-01', dueDate: '2026-03-10', lines: line(5) })
    await post('/api/billing/payments', { contactId: linked, currency: 'ARS', amountMinor: 210, method: 'cash', paidOn: '2026-03-02', allocations: [{ invoiceId: mine.id, amountMinor: 210 }] })
    const list = (await get('/api/portal/invoices', shopToken)).json()
    expect(list.items.map((i: { id: string }) => i.id)).toEqual([mine.id])
    expect(list.items[0]).toMatchObject({ number: mine.number, totalMinor: 1210, openMinor: 1000 })
    expect((await get(`/api/portal/invoices/${mine.id}`, shopToken)).json().lines).toHaveLength(1)
    const pdf = await get(`/api/portal/invoices/${mine.id}.pdf`, shopToken)
    expect([pdf.statusCode, pdf.headers['content-type']]).toEqual([200, 'application/pdf'])
    for (const id of [notMine.id, draft.json().id]) expect((await get(`/api/portal/invoices/${id}`, shopToken)).statusCode).toBe(404)
    expect((await get('/api/portal/invoices', strangerToken)).json().items).toEqual([])
    expect((await get(`/api/portal/invoices/${mine.id}`, strangerToken)).statusCode).toBe(404)
    expect((await get(`/api/portal/invoices/${mine.id}.pdf`, strangerToken)).statusCode).toBe(404)
    // the shop cannot reach the mall's billing routes for it
    expect((await get(`/api/billing/invoices/${mine.id}`, shopToken)).statusCode).toBe(404)
    // the issuer's own invoice PDF
    const own = await get(`/api/billing/invoices/${mine.id}.pdf`)
    expect(own.statusCode).toBe(200)
    expect(own.rawPayload.subarray(0, 5).toString()).toBe('%PDF-')
  })
})
