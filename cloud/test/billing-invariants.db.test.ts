import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { billingDb } from '../src/modules/billing/tables.js'
import { lineNet, taxOf } from '../src/modules/common/money.js'
import { DEMO } from '../src/seed.js'
import { addOrganization, buildTestApp, loginDemo, type TestApp } from './support/app.js'
import { addContact, auth } from './support/billing-fixtures.js'
import { testDrivers } from './support/drivers.js'

/**
 * Money invariants (issue 8): random sequences of valid and invalid operations through the
 * API (invoices, drafts posted later, payments, allocations, credit notes, reversals, edits
 * of posted invoices), and after every step: every journal balances; per contact and
 * currency the ledger's receivables equal the open balances of the invoices and its
 * customer credit the unallocated payments; the accounts add up to the documents; nothing
 * posted ever changed. Each operation's outcome is predicted from the documents first, so a
 * refusal that should have been an acceptance (or the reverse) fails too.
 *
 * BILLING_SEED=<n> replays a run; BILLING_STEPS sets its length. The seed is in every failure.
 */
function mulberry32(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const SEED = process.env.BILLING_SEED ? Number(process.env.BILLING_SEED) : Math.floor(Math.random() * 2 ** 31)
const STEPS = Number(process.env.BILLING_STEPS ?? 160)
const RATES = [0, 1050, 1900, 2100, 2700]
const CURRENCIES = ['ARS', 'USD'] as const

describe.each(testDrivers())('billing money invariants (%s)', (driver) => {
  let t: TestApp
  let token: string
  const orgId = DEMO.organization.id
  let contacts: string[]
  let foreignContact: string
  let foreignInvoice: string
  beforeAll(async () => {
    t = await buildTestApp(driver)
    token = await loginDemo(t.app)
    contacts = [await addContact(t.app, orgId), await addContact(t.app, orgId), await addContact(t.app, orgId)]
    const other = await addOrganization(t.app)
    foreignContact = await addContact(t.app, other.orgId)
    const { issueInvoice } = await import('../src/modules/billing/api.js')
    foreignInvoice = (await issueInvoice(t.app.db, other.orgId, { contactId: foreignContact, currency: 'ARS', issueDate: '2026-01-01', dueDate: '2026-01-02', lines: [{ description: 'x', quantityMilli: 1000, unitMinor: 100, taxRateBp: 0 }] }, null)).id
  }, 60_000)
  afterAll(async () => t?.close())

  const call = (method: 'POST' | 'PUT' | 'GET', url: string, payload?: unknown) => t.app.inject({ method, url, headers: auth(token), ...(payload === undefined ? {} : { payload: payload as object }) })

  /** The documents, read straight from the tables (not through billing's code). */
  async function documents() {
    const db = billingDb(t.app.db)
    const invoices = await db.selectFrom('billing_invoices').selectAll().where('org_id', '=', orgId).execute()
    const lines = await db.selectFrom('billing_invoice_lines').selectAll().where('org_id', '=', orgId).execute()
    const allocs = await db.selectFrom('billing_allocations').selectAll().where('org_id', '=', orgId).execute()
    const notes = await db.selectFrom('billing_credit_notes').selectAll().where('org_id', '=', orgId).execute()
    const noteLines = await db.selectFrom('billing_credit_note_lines').selectAll().where('org_id', '=', orgId).execute()
    const payments = await db.selectFrom('billing_payments').selectAll().where('org_id', '=', orgId).execute()
    const open = new Map<string, number>()
    for (const i of invoices) {
      if (i.status === 'draft') continue
      const paid = allocs.filter((a) => a.invoice_id === i.id && !a.reversal_journal_id).reduce((s, a) => s + a.amount_minor, 0)
      const credited = notes.filter((n) => n.invoice_id === i.id).reduce((s, n) => s + n.total_minor, 0)
      open.set(i.id, i.total_minor - paid - credited)
    }
    const unallocated = new Map<string, number>()
    for (const p of payments) {
      if (p.reversal_journal_id) continue
      unallocated.set(p.id, p.amount_minor - allocs.filter((a) => a.payment_id === p.id && !a.reversal_journal_id).reduce((s, a) => s + a.amount_minor, 0))
    }
    const creditedQty = new Map<string, number>()
    const creditedAmt = new Map<string, { net: number; tax: number }>()
    for (const l of noteLines) {
      creditedQty.set(l.invoice_line_id, (creditedQty.get(l.invoice_line_id) ?? 0) + l.quantity_milli)
      const c = creditedAmt.get(l.invoice_line_id) ?? { net: 0, tax: 0 }
      creditedAmt.set(l.invoice_line_id, { net: c.net + l.net_minor, tax: c.tax + l.tax_minor })
    }
    return { invoices, lines, allocs, notes, payments, open, unallocated, creditedQty, creditedAmt }
  }

  type Snapshot = Map<string, string>
  async function snapshot(): Promise<Snapshot> {
    const d = await documents()
    const db = billingDb(t.app.db)
    const journals = await db.selectFrom('billing_journals').selectAll().where('org_id', '=', orgId).execute()
    const jl = await db.selectFrom('billing_journal_lines').selectAll().where('org_id', '=', orgId).execute()
    const s: Snapshot = new Map()
    for (const i of d.invoices.filter((x) => x.status !== 'draft')) {
      const { status: _s, voided_at: _v, updated_at: _u, ...fixed } = i
      s.set(`invoice:${i.id}`, JSON.stringify(fixed))
    }
    for (const l of d.lines) if (d.invoices.find((i) => i.id === l.invoice_id)?.status !== 'draft') s.set(`line:${l.id}`, JSON.stringify(l))
    for (const p of d.payments) {
      const { reversal_journal_id: _r, reversed_at: _a, ...fixed } = p
      s.set(`payment:${p.id}`, JSON.stringify(fixed))
    }
    for (const a of d.allocs) {
      const { reversal_journal_id: _r, reversed_at: _a, ...fixed } = a
      s.set(`alloc:${a.id}`, JSON.stringify(fixed))
    }
    for (const n of d.notes) s.set(`note:${n.id}`, JSON.stringify(n))
    for (const j of journals) s.set(`journal:${j.id}`, JSON.stringify(j))
    for (const l of jl) s.set(`jline:${l.id}`, JSON.stringify(l))
    return s
  }

  async function checkInvariants(prev: Snapshot, step: number, op: string): Promise<Snapshot> {
    const where = `seed ${SEED}, step ${step} (${op})`
    const db = billingDb(t.app.db)
    // 1. every journal balances, in one currency, with two lines or more
    const unbalanced = await sql<{ journal_id: string }>`
      select l.journal_id from billing_journal_lines l join billing_journals j on j.id = l.journal_id
      where l.org_id = ${orgId}
      group by l.journal_id having sum(l.debit_minor) <> sum(l.credit_minor) or count(*) < 2 or bool_or(l.currency <> j.currency)`.execute(t.app.db)
    expect(unbalanced.rows, where).toEqual([])
    const orphans = await sql<{ id: string }>`select j.id from billing_journals j where j.org_id = ${orgId} and not exists (select 1 from billing_journal_lines l where l.journal_id = j.id)`.execute(t.app.db)
    expect(orphans.rows, where).toEqual([])
    // 2. per contact and currency: receivables == open invoices; customer credit == unallocated payments
    const d = await documents()
    const ledger = await db
      .selectFrom('billing_journal_lines')
      .select(['account', 'contact_id', 'currency', sql<string>`sum(debit_minor - credit_minor)::text`.as('bal')])
      .where('org_id', '=', orgId)
      .groupBy(['account', 'contact_id', 'currency'])
      .execute()
    const bal = (account: string, contact: string | null, currency: string) =>
      Number(ledger.find((l) => l.account === account && l.contact_id === contact && l.currency === currency)?.bal ?? 0)
    const sumBy = (account: string, currency: string) => ledger.filter((l) => l.account === account && l.currency === currency).reduce((s, l) => s + Number(l.bal), 0)
    for (const c of contacts) {
      for (const cur of CURRENCIES) {
        const openSum = d.invoices.filter((i) => i.contact_id === c && i.currency === cur && i.status !== 'draft').reduce((s, i) => s + d.open.get(i.id)!, 0)
        const credit = d.payments.filter((p) => p.contact_id === c && p.currency === cur && !p.reversal_journal_id).reduce((s, p) => s + d.unallocated.get(p.id)!, 0)
        expect(bal('receivables', c, cur), `${where}: receivables of ${c} ${cur}`).toBe(openSum)
        expect(0 - bal('customer_credit', c, cur), `${where}: credit of ${c} ${cur}`).toBe(credit)
        expect(bal('receivables', c, cur) + bal('customer_credit', c, cur), where).toBe(openSum - credit)
        // and the API's balance view agrees
        const api = (await call('GET', `/api/billing/contacts/${c}/balance`)).json().balances.find((b: { currency: string }) => b.currency === cur)
        if (api) expect(api, where).toMatchObject({ receivableMinor: openSum, creditMinor: credit, consistent: true })
      }
    }
    // 3. accounts add up to the documents
    for (const cur of CURRENCIES) {
      const posted = d.invoices.filter((i) => i.currency === cur && i.status !== 'draft')
      const notes = d.notes.filter((n) => n.currency === cur)
      expect(0 - sumBy('revenue', cur), where).toBe(posted.reduce((s, i) => s + i.net_minor, 0) - notes.reduce((s, n) => s + n.net_minor, 0))
      expect(0 - sumBy('tax_payable', cur), where).toBe(posted.reduce((s, i) => s + i.tax_minor, 0) - notes.reduce((s, n) => s + n.tax_minor, 0))
      expect(sumBy('cash', cur) + sumBy('bank', cur), where).toBe(d.payments.filter((p) => p.currency === cur && !p.reversal_journal_id).reduce((s, p) => s + p.amount_minor, 0))
      const all = ['receivables', 'revenue', 'tax_payable', 'cash', 'bank', 'customer_credit'].reduce((s, a) => s + sumBy(a, cur), 0)
      expect(all, where).toBe(0)
    }
    // 4. nothing below zero
    for (const [id, v] of d.open) expect(v, `${where}: open of ${id}`).toBeGreaterThanOrEqual(0)
    for (const [id, v] of d.unallocated) expect(v, `${where}: unallocated of ${id}`).toBeGreaterThanOrEqual(0)
    for (const i of d.invoices) if (i.status === 'void') expect(d.open.get(i.id), where).toBe(0)
    // 5. nothing posted changed
    const next = await snapshot()
    for (const [k, v] of prev) expect(next.get(k), `${where}: ${k} changed`).toBe(v)
    return next
  }

  it(`holds after ${STEPS} random operations (seed ${SEED})`, async () => {
    const rnd = mulberry32(SEED)
    const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1))
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
    const day = () => `2026-0${int(1, 9)}-${String(int(10, 28))}`
    let snap = await snapshot()
    const counts: Record<string, number> = {}
    try {
      for (let step = 0; step < STEPS; step++) {
        const d = await documents()
        const posted = d.invoices.filter((i) => i.status === 'posted')
        const drafts = d.invoices.filter((i) => i.status === 'draft')
        const live = d.payments.filter((p) => !p.reversal_journal_id)
        const r = rnd()
        let op: string
        let expectOk: boolean
        let res: { statusCode: number; body: string }
        if (r < 0.22) {
          op = 'invoice'
          const lines = Array.from({ length: int(1, 3) }, () => ({ description: 'Item', quantityMilli: int(1, 5000), unitMinor: int(1, 2_000_00), taxRateBp: pick(RATES) }))
          const bad = rnd() < 0.12
          const body = { contactId: bad && rnd() < 0.5 ? foreignContact : pick(contacts), currency: pick(CURRENCIES), issueDate: '2026-01-05', dueDate: bad ? '2026-01-01' : day(), lines, post: rnd() < 0.7 }
          expectOk = !bad
          res = await call('POST', '/api/billing/invoices', body)
        } else if (r < 0.3 && drafts.length) {
          op = 'post draft'
          expectOk = true
          res = await call('POST', `/api/billing/invoices/${pick(drafts).id}/post`, {})
        } else if (r < 0.45) {
          op = 'payment'
          const inv = posted.length && rnd() < 0.6 ? pick(posted) : null
          const contactId = inv?.contact_id ?? pick(contacts)
          const currency = inv?.currency ?? pick(CURRENCIES)
          const amount = int(1, 3_000_00)
          const alloc = inv ? Math.min(amount, int(1, Math.max(1, d.open.get(inv.id)! + 50))) : 0
          expectOk = !inv || (alloc <= d.open.get(inv.id)! && alloc <= amount)
          res = await call('POST', '/api/billing/payments', { contactId, currency, amountMinor: amount, method: pick(['cash', 'transfer', 'card', 'mercadopago', 'stripe']), paidOn: day(), ...(inv ? { allocations: [{ invoiceId: inv.id, amountMinor: alloc }] } : {}) })
        } else if (r < 0.62 && live.length && (posted.length || rnd() < 0.2)) {
          op = 'allocate'
          const p = pick(live)
          const sameContact = posted.filter((i) => i.contact_id === p.contact_id)
          const inv = rnd() < 0.1 ? null : sameContact.length && rnd() < 0.85 ? pick(sameContact) : posted.length ? pick(posted) : null
          const invoiceId = inv?.id ?? (rnd() < 0.5 ? foreignInvoice : randomUUID())
          const left = d.unallocated.get(p.id)!
          const open = inv ? d.open.get(inv.id)! : 0
          const amount = int(1, Math.max(1, Math.min(left, open || left) + (rnd() < 0.3 ? 100 : 0)))
          expectOk = !!inv && inv.currency === p.currency && inv.contact_id === p.contact_id && amount <= left && amount <= open
          res = await call('POST', `/api/billing/payments/${p.id}/allocations`, { allocations: [{ invoiceId, amountMinor: amount }] })
        } else if (r < 0.75 && posted.length) {
          op = 'credit note'
          const inv = pick(posted)
          const invLines = d.lines.filter((l) => l.invoice_id === inv.id)
          if (rnd() < 0.35) {
            const remaining = invLines.reduce((s, l) => s + (l.quantity_milli - (d.creditedQty.get(l.id) ?? 0)), 0)
            // the whole uncredited rest: allowed when it fits in the open balance
            const restTotal = invLines.reduce((s, l) => s + l.net_minor + l.tax_minor, 0) - d.notes.filter((n) => n.invoice_id === inv.id).reduce((s, n) => s + n.total_minor, 0)
            expectOk = remaining > 0 && restTotal > 0 && restTotal <= d.open.get(inv.id)!
            res = await call('POST', `/api/billing/invoices/${inv.id}/credit-notes`, { issueDate: day(), full: true })
          } else {
            const l = pick(invLines)
            const leftQ = l.quantity_milli - (d.creditedQty.get(l.id) ?? 0)
            const q = int(1, Math.max(1, leftQ + (rnd() < 0.2 ? 500 : 0)))
            res = await call('POST', `/api/billing/invoices/${inv.id}/credit-notes`, { issueDate: day(), lines: [{ invoiceLineId: l.id, quantityMilli: q }] })
            // what the credit should come to: the rest of the line when it takes all that is left
            const done = d.creditedAmt.get(l.id) ?? { net: 0, tax: 0 }
            const net = q === leftQ ? l.net_minor - done.net : Math.min(lineNet(q, l.unit_minor), l.net_minor - done.net)
            const tax = q === leftQ ? l.tax_minor - done.tax : Math.min(taxOf(net, l.tax_rate_bp), l.tax_minor - done.tax)
            expectOk = q <= leftQ && net + tax > 0 && net + tax <= d.open.get(inv.id)!
          }
        } else if (r < 0.85 && (live.length || d.allocs.length)) {
          const active = d.allocs.filter((a) => !a.reversal_journal_id)
          if (active.length && rnd() < 0.5) {
            op = 'reverse allocation'
            const a = rnd() < 0.15 && d.allocs.length ? pick(d.allocs) : pick(active)
            expectOk = !a.reversal_journal_id
            res = await call('POST', `/api/billing/allocations/${a.id}/reverse`, {})
          } else {
            op = 'reverse payment'
            const p = rnd() < 0.15 || !live.length ? pick(d.payments) : pick(live)
            expectOk = !p.reversal_journal_id
            res = await call('POST', `/api/billing/payments/${p.id}/reverse`, {})
          }
        } else if (posted.length) {
          op = 'edit posted'
          const inv = pick(posted)
          expectOk = false
          res = await call('PUT', `/api/billing/invoices/${inv.id}`, { contactId: inv.contact_id, currency: inv.currency, issueDate: inv.issue_date, dueDate: inv.due_date, lines: [{ description: 'hack', quantityMilli: 1000, unitMinor: 1, taxRateBp: 0 }] })
          if (rnd() < 0.3) {
            await expect(billingDb(t.app.db).updateTable('billing_invoices').set({ total_minor: inv.total_minor + 1, net_minor: inv.net_minor + 1 }).where('id', '=', inv.id).execute(), `seed ${SEED}`).rejects.toThrow()
          }
        } else {
          op = 'noop'
          expectOk = true
          res = { statusCode: 200, body: '' }
        }
        counts[`${op}:${res.statusCode < 300 ? 'ok' : 'refused'}`] = (counts[`${op}:${res.statusCode < 300 ? 'ok' : 'refused'}`] ?? 0) + 1
        expect(res.statusCode, `seed ${SEED}, step ${step} ${op}: ${res.body}`).toBeLessThan(500)
        if (expectOk) expect(res.statusCode, `seed ${SEED}, step ${step} ${op} should succeed: ${res.body}`).toBeLessThan(300)
        else expect(res.statusCode, `seed ${SEED}, step ${step} ${op} should be refused`).toBeGreaterThanOrEqual(400)
        snap = await checkInvariants(snap, step, op)
      }
    } catch (err) {
      console.error(`billing invariants failed: replay with BILLING_SEED=${SEED} BILLING_STEPS=${STEPS}`)
      throw err
    }
    // the run did exercise both sides of each operation
    console.info(`billing invariants seed ${SEED}:`, JSON.stringify(counts))
    expect(Object.keys(counts).filter((k) => k.endsWith(':ok')).length).toBeGreaterThanOrEqual(5)
    expect(Object.keys(counts).filter((k) => k.endsWith(':refused')).length).toBeGreaterThanOrEqual(3)
  }, 600_000)
})
