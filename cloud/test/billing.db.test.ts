import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { issueInvoice } from '../src/modules/billing/api.js'
import { postJournal } from '../src/modules/billing/ledger.js'
import { billingDb } from '../src/modules/billing/tables.js'
import { DEMO } from '../src/seed.js'
import { addOrganization, buildTestApp, loginDemo, type TestApp } from './support/app.js'
import { addContact, auth, billingFixture, invoiceBody, userToken } from './support/billing-fixtures.js'
import { testDrivers } from './support/drivers.js'

describe.each(testDrivers())('billing (%s)', (driver) => {
  let t: TestApp
  let token: string
  const orgId = DEMO.organization.id
  beforeAll(async () => {
    t = await buildTestApp(driver)
    token = await loginDemo(t.app)
  }, 60_000)
  afterAll(async () => t?.close())

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) => t.app.inject({ method: 'POST', url, headers: { ...auth(token), ...headers }, payload: payload as object })
  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: auth(token) })

  it('computes totals server-side, numbers gaplessly per series at posting, and keeps posted invoices immutable', async () => {
    const contactId = await addContact(t.app, orgId)
    const draft = await post('/api/billing/invoices', invoiceBody(contactId, { series: 'B-0002' }))
    expect(draft.statusCode).toBe(201)
    const d = draft.json()
    // 1 × 100000.00 at 21 % + 1.5 × 10000.00 at 10.5 %
    expect(d).toMatchObject({ status: 'draft', number: null, netMinor: 115_000_00, taxMinor: 21_000_00 + 1_575_00, totalMinor: 137_575_00, openMinor: 0 })
    expect(d.taxes).toEqual([
      { rateBp: 2100, netMinor: 100_000_00, taxMinor: 21_000_00 },
      { rateBp: 1050, netMinor: 15_000_00, taxMinor: 1_575_00 },
    ])
    const edited = await t.app.inject({ method: 'PUT', url: `/api/billing/invoices/${d.id}`, headers: auth(token), payload: { ...invoiceBody(contactId, { series: 'B-0002' }), lines: [{ description: 'Exento', quantityMilli: 2000, unitMinor: 333, taxRateBp: 0 }] } })
    expect(edited.statusCode).toBe(200)
    expect(edited.json()).toMatchObject({ netMinor: 666, taxMinor: 0, totalMinor: 666 })
    const posted = await post(`/api/billing/invoices/${d.id}/post`, {})
    expect(posted.statusCode).toBe(200)
    expect(posted.json()).toMatchObject({ status: 'posted', number: 'B-0002-00000001', openMinor: 666 })
    const second = await post('/api/billing/invoices', invoiceBody(contactId, { series: 'B-0002', post: true }))
    expect(second.json().number).toBe('B-0002-00000002')

    // API: 409 on edit, delete and re-post
    const put = await t.app.inject({ method: 'PUT', url: `/api/billing/invoices/${d.id}`, headers: auth(token), payload: invoiceBody(contactId) })
    expect(put.statusCode).toBe(409)
    expect(put.json().error.code).toBe('INVOICE_POSTED')
    expect((await t.app.inject({ method: 'DELETE', url: `/api/billing/invoices/${d.id}`, headers: auth(token) })).statusCode).toBe(409)
    expect((await post(`/api/billing/invoices/${d.id}/post`, {})).statusCode).toBe(409)
    // DB: the trigger refuses a direct UPDATE of money or DELETE, and lines can't change
    const bdb = billingDb(t.app.db)
    await expect(bdb.updateTable('billing_invoices').set({ total_minor: 1 }).where('id', '=', d.id).execute()).rejects.toThrow(/cannot be modified/)
    await expect(bdb.deleteFrom('billing_invoices').where('id', '=', d.id).execute()).rejects.toThrow(/cannot be deleted/)
    await expect(bdb.updateTable('billing_invoice_lines').set({ unit_minor: 1 }).where('invoice_id', '=', d.id).execute()).rejects.toThrow(/cannot change/)
    await expect(bdb.deleteFrom('billing_journal_lines').where('org_id', '=', orgId).execute()).rejects.toThrow(/append-only/)
    await expect(bdb.updateTable('billing_journals').set({ memo: 'x' }).where('org_id', '=', orgId).execute()).rejects.toThrow(/append-only/)
    // an unbalanced journal is refused at commit by the deferred constraint trigger
    await expect(
      t.app.db.transaction().execute(async (trx) => {
        const j = await billingDb(trx).insertInto('billing_journals').values({ org_id: orgId, kind: 'x', source_type: 'x', source_id: d.id, currency: 'ARS', entry_date: '2026-01-01' }).returning('id').executeTakeFirstOrThrow()
        await billingDb(trx).insertInto('billing_journal_lines').values([
          { journal_id: j.id, org_id: orgId, account: 'cash', currency: 'ARS', debit_minor: 10, credit_minor: 0 },
          { journal_id: j.id, org_id: orgId, account: 'revenue', currency: 'ARS', debit_minor: 0, credit_minor: 9 },
        ]).execute()
      }),
    ).rejects.toThrow(/not balanced/)
    // a draft can be deleted
    const other = await post('/api/billing/invoices', invoiceBody(contactId))
    expect((await t.app.inject({ method: 'DELETE', url: `/api/billing/invoices/${other.json().id}`, headers: auth(token) })).statusCode).toBe(204)
  })

  it('allocates payments without over-allocating, credits, voids via a full credit note, and reverses', async () => {
    const contactId = await addContact(t.app, orgId)
    const a = (await post('/api/billing/invoices', invoiceBody(contactId, { post: true, lines: [{ description: 'x', quantityMilli: 1000, unitMinor: 1000, taxRateBp: 2100 }] }))).json()
    const b = (await post('/api/billing/invoices', invoiceBody(contactId, { post: true, lines: [{ description: 'y', quantityMilli: 1000, unitMinor: 500, taxRateBp: 0 }] }))).json()
    expect(a.totalMinor).toBe(1210)
    const p = await post('/api/billing/payments', { contactId, currency: 'ARS', amountMinor: 1500, method: 'transfer', paidOn: '2026-03-05', allocations: [{ invoiceId: a.id, amountMinor: 1210 }] })
    expect(p.statusCode).toBe(201)
    expect(p.json()).toMatchObject({ allocatedMinor: 1210, unallocatedMinor: 290 })
    // over-allocate the payment (290 left) and the invoice (500 open)
    const over = await post(`/api/billing/payments/${p.json().id}/allocations`, { allocations: [{ invoiceId: b.id, amountMinor: 291 }] })
    expect(over.statusCode).toBe(409)
    expect(over.json().error.code).toBe('ALLOCATION_EXCEEDS_BALANCE')
    const p2 = (await post('/api/billing/payments', { contactId, currency: 'ARS', amountMinor: 2000, method: 'cash', paidOn: '2026-03-05' })).json()
    expect((await post(`/api/billing/payments/${p2.id}/allocations`, { allocations: [{ invoiceId: b.id, amountMinor: 501 }] })).statusCode).toBe(409)
    // a batch with one bad allocation writes nothing
    const batch = await post(`/api/billing/payments/${p2.id}/allocations`, { allocations: [{ invoiceId: b.id, amountMinor: 100 }, { invoiceId: a.id, amountMinor: 1 }] })
    expect(batch.statusCode).toBe(409)
    expect((await get(`/api/billing/payments/${p2.id}`)).json().allocatedMinor).toBe(0)
    // other currency refused
    const usd = (await post('/api/billing/payments', { contactId, currency: 'USD', amountMinor: 100, method: 'card', paidOn: '2026-03-05' })).json()
    expect((await post(`/api/billing/payments/${usd.id}/allocations`, { allocations: [{ invoiceId: b.id, amountMinor: 10 }] })).json().error.code).toBe('MONEY_CURRENCY_MISMATCH')

    // a partial credit note on b, then a full one voids it
    const bLine = (await get(`/api/billing/invoices/${b.id}`)).json().lines[0]
    const cn1 = await post(`/api/billing/invoices/${b.id}/credit-notes`, { issueDate: '2026-03-06', lines: [{ invoiceLineId: bLine.id, quantityMilli: 400 }] })
    expect(cn1.statusCode).toBe(201)
    expect(cn1.json()).toMatchObject({ number: 'NCA-0001-00000001', totalMinor: 200, invoiceStatus: 'posted' })
    expect((await get(`/api/billing/invoices/${b.id}`)).json()).toMatchObject({ openMinor: 300, creditedMinor: 200 })
    const cn2 = await post(`/api/billing/invoices/${b.id}/credit-notes`, { issueDate: '2026-03-06', full: true })
    expect(cn2.json()).toMatchObject({ number: 'NCA-0001-00000002', totalMinor: 300, invoiceStatus: 'void' })
    // the credit cannot exceed the open balance: a is paid
    const cn3 = await post(`/api/billing/invoices/${a.id}/credit-notes`, { issueDate: '2026-03-06', full: true })
    expect(cn3.statusCode).toBe(409)

    // reversing the payment reopens a; the ledger agrees with the documents throughout
    const rev = await post(`/api/billing/payments/${p.json().id}/reverse`, {})
    expect(rev.statusCode).toBe(200)
    expect(rev.json()).toMatchObject({ reversed: true, unallocatedMinor: 0 })
    expect((await post(`/api/billing/payments/${p.json().id}/reverse`, {})).statusCode).toBe(409)
    expect((await get(`/api/billing/invoices/${a.id}`)).json().openMinor).toBe(1210)
    const bal = (await get(`/api/billing/contacts/${contactId}/balance`)).json()
    expect(bal.balances.find((x: { currency: string }) => x.currency === 'ARS')).toMatchObject({ receivableMinor: 1210, openInvoicesMinor: 1210, creditMinor: 2000, unallocatedPaymentsMinor: 2000, consistent: true })
    const journals = (await get(`/api/billing/ledger/journals?sourceId=${p.json().id}`)).json()
    expect(journals.items.map((j: { kind: string }) => j.kind).sort()).toEqual(['payment', 'reversal'])
  })

  it('issueInvoice (for leasing) creates and posts once per sourceKey, inside the caller\'s transaction', async () => {
    const contactId = await addContact(t.app, orgId)
    const input = { contactId, currency: 'ARS' as const, issueDate: '2026-04-01', dueDate: '2026-04-10', series: 'L-0001', sourceKey: `lease:x:2026-04`, lines: [{ description: 'Alquiler abril', quantityMilli: 1000, unitMinor: 50_000_00, taxRateBp: 2100 }] }
    const first = await issueInvoice(t.app.db, orgId, input, { type: 'system', id: null })
    expect(first).toMatchObject({ number: 'L-0001-00000001', totalMinor: 60_500_00, created: true })
    const again = await issueInvoice(t.app.db, orgId, input, null)
    expect(again).toEqual({ ...first, created: false })
    // rolled back with the caller's transaction: the number is given back
    await expect(
      t.app.db.transaction().execute(async (trx) => {
        await issueInvoice(trx, orgId, { ...input, sourceKey: 'lease:x:2026-05' }, null)
        throw new Error('caller fails')
      }),
    ).rejects.toThrow('caller fails')
    const next = await issueInvoice(t.app.db, orgId, { ...input, sourceKey: 'lease:x:2026-06' }, null)
    expect(next.number).toBe('L-0001-00000002')
    // a ledger that disagrees with the documents (a stray receivable) stops the next posting
    await expect(
      t.app.db.transaction().execute(async (trx) => {
        await postJournal(trx, orgId, { kind: 'stray', sourceType: 'test', sourceId: first.id, currency: 'ARS', entryDate: '2026-04-01', lines: [{ account: 'receivables', contactId, debit: 5 }, { account: 'revenue', credit: 5 }] })
        await issueInvoice(trx, orgId, { ...input, sourceKey: 'lease:x:2026-07' }, null)
      }),
    ).rejects.toMatchObject({ code: 'LEDGER_MISMATCH' })
    // another org's contact: 404
    const other = await addOrganization(t.app)
    const foreign = await addContact(t.app, other.orgId)
    await expect(issueInvoice(t.app.db, orgId, { ...input, contactId: foreign, sourceKey: 'z' }, null)).rejects.toMatchObject({ code: 'CONTACT_NOT_FOUND' })
  })

  it('answers 404 for another organization\'s ids and changes nothing', async () => {
    const other = await addOrganization(t.app)
    const foreignContact = await addContact(t.app, other.orgId)
    const theirs = await issueInvoice(t.app.db, other.orgId, { contactId: foreignContact, currency: 'ARS', issueDate: '2026-03-01', dueDate: '2026-03-02', lines: [{ description: 'x', quantityMilli: 1000, unitMinor: 100, taxRateBp: 0 }] }, null)
    expect((await get(`/api/billing/invoices/${theirs.id}`)).statusCode).toBe(404)
    expect((await post(`/api/billing/invoices/${theirs.id}/credit-notes`, { issueDate: '2026-03-03', full: true })).statusCode).toBe(404)
    expect((await post('/api/billing/invoices', invoiceBody(foreignContact))).statusCode).toBe(404)
    expect((await get(`/api/billing/contacts/${foreignContact}/balance`)).statusCode).toBe(404)
    const mine = await addContact(t.app, orgId)
    const p = (await post('/api/billing/payments', { contactId: mine, currency: 'ARS', amountMinor: 100, method: 'cash', paidOn: '2026-03-05' })).json()
    expect((await post(`/api/billing/payments/${p.id}/allocations`, { allocations: [{ invoiceId: theirs.id, amountMinor: 100 }] })).statusCode).toBe(404)
    const count = await billingDb(t.app.db).selectFrom('billing_credit_notes').select(sql<number>`count(*)::int`.as('n')).where('org_id', '=', other.orgId).executeTakeFirstOrThrow()
    expect(count.n).toBe(0)
  })

  it.runIf(driver === 'postgres')('numbers concurrent postings gaplessly and uniquely on PostgreSQL', async () => {
    const contactId = await addContact(t.app, orgId)
    const drafts: string[] = []
    for (let i = 0; i < 20; i++) drafts.push((await post('/api/billing/invoices', invoiceBody(contactId, { series: 'C-0009' }))).json().id)
    const results = await Promise.all([
      ...drafts.map((id) => post(`/api/billing/invoices/${id}/post`, {})),
      ...Array.from({ length: 10 }, () => issueInvoice(t.app.db, orgId, { ...invoiceBody(contactId), series: 'C-0009', currency: 'ARS' } as never, null)),
    ])
    const numbers = results.map((r) => ('statusCode' in r ? r.json().number : r.number)).sort()
    expect(numbers).toEqual(Array.from({ length: 30 }, (_, i) => `C-0009-${String(i + 1).padStart(8, '0')}`))
  })

  it('a retried POST with the same Idempotency-Key records one payment', async () => {
    const contactId = await addContact(t.app, orgId)
    const body = { contactId, currency: 'ARS', amountMinor: 777, method: 'cash', paidOn: '2026-03-05' }
    const first = await post('/api/billing/payments', body, { 'idempotency-key': 'pago-0001-retry' })
    const again = await post('/api/billing/payments', body, { 'idempotency-key': 'pago-0001-retry' })
    expect(first.statusCode).toBe(201)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.json().id).toBe(first.json().id)
    expect((await get(`/api/billing/payments?contactId=${contactId}`)).json().items).toHaveLength(1)
  })

  it.runIf(driver === 'postgres')('concurrent allocations never over-allocate an invoice or a payment on PostgreSQL', async () => {
    const contactId = await addContact(t.app, orgId)
    const inv = await issueInvoice(t.app.db, orgId, { contactId, currency: 'ARS', issueDate: '2026-03-01', dueDate: '2026-03-10', lines: [{ description: 'x', quantityMilli: 1000, unitMinor: 1000, taxRateBp: 0 }] }, null)
    const payments = await Promise.all(Array.from({ length: 6 }, async () => (await post('/api/billing/payments', { contactId, currency: 'ARS', amountMinor: 400, method: 'cash', paidOn: '2026-03-05' })).json().id as string))
    const results = await Promise.all(payments.map((p) => post(`/api/billing/payments/${p}/allocations`, { allocations: [{ invoiceId: inv.id, amountMinor: 400 }] })))
    // 1000 open: two allocations of 400 fit, the third would leave -200
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(2)
    expect(results.filter((r) => r.statusCode === 409)).toHaveLength(4)
    expect((await get(`/api/billing/invoices/${inv.id}`)).json().openMinor).toBe(200)
    // one payment, many invoices at once: its 400 never goes out twice
    const invs = await Promise.all(Array.from({ length: 4 }, () => issueInvoice(t.app.db, orgId, { contactId, currency: 'ARS', issueDate: '2026-03-01', dueDate: '2026-03-10', lines: [{ description: 'y', quantityMilli: 1000, unitMinor: 300, taxRateBp: 0 }] }, null)))
    const p = (await post('/api/billing/payments', { contactId, currency: 'ARS', amountMinor: 400, method: 'cash', paidOn: '2026-03-05' })).json().id
    const r2 = await Promise.all(invs.map((i) => post(`/api/billing/payments/${p}/allocations`, { allocations: [{ invoiceId: i.id, amountMinor: 300 }] })))
    expect(r2.filter((r) => r.statusCode === 200)).toHaveLength(1)
    expect((await get(`/api/billing/payments/${p}`)).json()).toMatchObject({ allocatedMinor: 300, unallocatedMinor: 100 })
  })

  it('the isolation fixture: another org replaying every billing route with our ids gets 4xx and changes nothing; writes are audited', async () => {
    const victim = await addOrganization(t.app)
    const victimAdmin = await userToken(t.app, victim.orgId, 'org_admin')
    const fx = await billingFixture(t.app, victimAdmin, { orgId: victim.orgId, siteId: victim.siteId })
    const before = await fx.footprint()
    expect(before.billing_invoices).toBe(2)
    expect(before.billing_journals).toBeGreaterThanOrEqual(4)
    const attacker = await userToken(t.app, (await addOrganization(t.app)).orgId, 'org_admin')
    const routes = t.app.routeCatalog.filter((r) => fx.params[r.url])
    expect(routes.length).toBeGreaterThanOrEqual(14)
    for (const r of routes) {
      const url = r.url.replace(/:(\w+)/g, (_, k: string) => fx.params[r.url]![k]!)
      const res = await t.app.inject({ method: r.method as 'GET', url, headers: auth(attacker), ...(r.method === 'GET' || r.method === 'DELETE' ? {} : { payload: {} }) })
      expect(res.statusCode, `${r.method} ${url}: ${res.body}`).toBeGreaterThanOrEqual(400)
      expect(res.statusCode, `${r.method} ${url}`).toBeLessThan(500)
      if (r.url.includes('/public/')) continue
      // a valid body must not get through either
      const body = r.url.endsWith('/credit-notes') ? { issueDate: '2026-03-03', full: true } : r.url.endsWith('/allocations') ? { allocations: [{ invoiceId: fx.params['/api/billing/invoices/:id/credit-notes']!.id!, amountMinor: 1 }] } : r.url.endsWith('/:id') && r.method === 'PUT' ? undefined : {}
      if (r.method === 'POST' && body) expect((await t.app.inject({ method: 'POST', url, headers: auth(attacker), payload: body })).statusCode, url).toBe(404)
    }
    expect(await fx.footprint()).toEqual(before)
    const audit = await t.app.db.selectFrom('audit_log').select(['action']).where('org_id', '=', victim.orgId).where('action', 'not like', 'auth.%').execute()
    expect(audit.map((a) => a.action).sort()).toEqual(['credit_note.create', 'gateway_account.create', 'invoice.create', 'invoice.issue', 'payment.create'])
  })
})
