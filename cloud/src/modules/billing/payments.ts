import { sql, type Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import { findContact } from '../common/contacts.js'
import type { Currency } from '../common/money.js'
import { cancelMail } from '../mail/queue.js'
import { decodeCursor, pageOf, type PageOf } from '../common/pagination.js'
import {
  allocationNotFound,
  alreadyReversed,
  contactMismatch,
  currencyMismatch,
  invoiceNotPosted,
  overAllocation,
  paymentNotFound,
} from './errors.js'
import { lockInvoice, settlements } from './invoices.js'
import { accountForMethod, assertContactConsistent, postJournal, reverseJournal } from './ledger.js'
import { billingDb, type PaymentMethod, type PaymentRow } from './tables.js'
import { checkDate, UUID } from './util.js'

/**
 * Payments received from a customer, and their allocation to the customer's posted
 * invoices. A payment posts Dr cash/bank, Cr customer_credit: until allocated it is the
 * customer's credit. An allocation posts Dr customer_credit, Cr receivables. Neither can
 * exceed what is left on the payment or open on the invoice: both rows are locked (payment
 * first, then invoice) while the sums are read, so concurrent allocations cannot overshoot.
 */
export interface PaymentInput {
  contactId: string
  currency: Currency
  amountMinor: number
  method: PaymentMethod
  paidOn: string
  externalRef?: string
  notes?: string
}

export async function createPayment(db: Kysely<Database>, orgId: string, input: PaymentInput, actorId: string | null): Promise<PaymentRow> {
  checkDate(input.paidOn, 'paidOn')
  await findContact(db, orgId, input.contactId)
  const bdb = billingDb(db)
  // The journal needs the payment's id and the payment row its journal: take the id first.
  const { id } = await sql<{ id: string }>`select gen_random_uuid() as id`.execute(db).then((r) => r.rows[0]!)
  const journalId = await postJournal(db, orgId, {
    kind: 'payment',
    sourceType: 'payment',
    sourceId: id,
    currency: input.currency,
    entryDate: input.paidOn,
    memo: `Cobro ${input.method}${input.externalRef ? ` ${input.externalRef}` : ''}`,
    lines: [
      { account: accountForMethod(input.method), debit: input.amountMinor },
      { account: 'customer_credit', contactId: input.contactId, credit: input.amountMinor },
    ],
  })
  const row = await bdb
    .insertInto('billing_payments')
    .values({
      id,
      org_id: orgId,
      contact_id: input.contactId,
      currency: input.currency,
      amount_minor: input.amountMinor,
      method: input.method,
      paid_on: input.paidOn,
      external_ref: input.externalRef ?? null,
      notes: input.notes ?? null,
      journal_id: journalId,
      created_by: actorId,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  await assertContactConsistent(db, orgId, input.contactId, input.currency)
  return row
}

export async function lockPayment(db: Kysely<Database>, orgId: string, id: string): Promise<PaymentRow> {
  if (!UUID.test(id)) throw paymentNotFound()
  const row = await billingDb(db).selectFrom('billing_payments').selectAll().where('org_id', '=', orgId).where('id', '=', id).forUpdate().executeTakeFirst()
  if (!row) throw paymentNotFound()
  return row
}

/** What of each payment is allocated (active allocations only) and left unallocated. */
export async function paymentBalances(db: Kysely<Database>, payments: Pick<PaymentRow, 'id' | 'amount_minor' | 'reversal_journal_id'>[]): Promise<Map<string, { allocatedMinor: number; unallocatedMinor: number }>> {
  const out = new Map<string, { allocatedMinor: number; unallocatedMinor: number }>()
  if (payments.length === 0) return out
  const rows = await billingDb(db)
    .selectFrom('billing_allocations')
    .select(['payment_id', sql<string>`sum(amount_minor)::text`.as('s')])
    .where('payment_id', 'in', payments.map((p) => p.id))
    .where('reversal_journal_id', 'is', null)
    .groupBy('payment_id')
    .execute()
  const m = new Map(rows.map((r) => [r.payment_id, Number(r.s)]))
  for (const p of payments) {
    const allocatedMinor = m.get(p.id) ?? 0
    out.set(p.id, { allocatedMinor, unallocatedMinor: p.reversal_journal_id ? 0 : p.amount_minor - allocatedMinor })
  }
  return out
}

export interface AllocationRow {
  id: string
  paymentId: string
  invoiceId: string
  amountMinor: number
  currency: string
}

export async function allocate(
  db: Kysely<Database>,
  orgId: string,
  paymentId: string,
  invoiceId: string,
  amountMinor: number,
  actorId: string | null,
  entryDate: string,
): Promise<AllocationRow & { invoiceOpenMinor: number }> {
  const payment = await lockPayment(db, orgId, paymentId)
  const invoice = await lockInvoice(db, orgId, invoiceId)
  if (payment.reversal_journal_id) throw alreadyReversed()
  if (invoice.status !== 'posted') throw invoiceNotPosted()
  if (payment.currency !== invoice.currency) throw currencyMismatch()
  if (payment.contact_id !== invoice.contact_id) throw contactMismatch()
  const left = (await paymentBalances(db, [payment])).get(payment.id)!.unallocatedMinor
  if (amountMinor > left) throw overAllocation('payment', left)
  const open = (await settlements(db, [invoice])).get(invoice.id)!.openMinor
  if (amountMinor > open) throw overAllocation('invoice', open)
  const bdb = billingDb(db)
  const { id } = await sql<{ id: string }>`select gen_random_uuid() as id`.execute(db).then((r) => r.rows[0]!)
  const journalId = await postJournal(db, orgId, {
    kind: 'allocation',
    sourceType: 'allocation',
    sourceId: id,
    currency: invoice.currency,
    entryDate,
    memo: `Imputación a ${invoice.number}`,
    lines: [
      { account: 'customer_credit', contactId: invoice.contact_id, debit: amountMinor },
      { account: 'receivables', contactId: invoice.contact_id, credit: amountMinor },
    ],
  })
  await bdb
    .insertInto('billing_allocations')
    .values({ id, org_id: orgId, payment_id: paymentId, invoice_id: invoiceId, currency: invoice.currency, amount_minor: amountMinor, journal_id: journalId, created_by: actorId })
    .execute()
  await assertContactConsistent(db, orgId, invoice.contact_id, invoice.currency)
  // Paid in full: no more reminders for it.
  if (open - amountMinor === 0) await cancelMail(db, orgId, `dunning:${invoiceId}:`)
  return { id, paymentId, invoiceId, amountMinor, currency: invoice.currency, invoiceOpenMinor: open - amountMinor }
}

/** Undoes an allocation with a reversing journal; the invoice is open again by that much. */
export async function reverseAllocation(db: Kysely<Database>, orgId: string, allocationId: string, entryDate: string): Promise<{ before: unknown }> {
  if (!UUID.test(allocationId)) throw allocationNotFound()
  const bdb = billingDb(db)
  const a = await bdb.selectFrom('billing_allocations').selectAll().where('org_id', '=', orgId).where('id', '=', allocationId).forUpdate().executeTakeFirst()
  if (!a) throw allocationNotFound()
  if (a.reversal_journal_id) throw alreadyReversed()
  const rj = await reverseJournal(db, orgId, a.journal_id, entryDate, 'Reversión de imputación')
  await bdb.updateTable('billing_allocations').set({ reversal_journal_id: rj, reversed_at: new Date() }).where('id', '=', a.id).execute()
  const p = await bdb.selectFrom('billing_payments').select('contact_id').where('id', '=', a.payment_id).executeTakeFirstOrThrow()
  await assertContactConsistent(db, orgId, p.contact_id, a.currency)
  return { before: { paymentId: a.payment_id, invoiceId: a.invoice_id, amountMinor: a.amount_minor } }
}

/** Undoes a payment: its active allocations first, then the payment's own journal. */
export async function reversePayment(db: Kysely<Database>, orgId: string, paymentId: string, entryDate: string): Promise<PaymentRow> {
  const p = await lockPayment(db, orgId, paymentId)
  if (p.reversal_journal_id) throw alreadyReversed()
  const bdb = billingDb(db)
  const active = await bdb.selectFrom('billing_allocations').select('id').where('payment_id', '=', p.id).where('reversal_journal_id', 'is', null).orderBy('created_at').execute()
  for (const a of active) await reverseAllocation(db, orgId, a.id, entryDate)
  const rj = await reverseJournal(db, orgId, p.journal_id, entryDate, 'Reversión de cobro')
  const row = await bdb.updateTable('billing_payments').set({ reversal_journal_id: rj, reversed_at: new Date() }).where('id', '=', p.id).returningAll().executeTakeFirstOrThrow()
  await assertContactConsistent(db, orgId, p.contact_id, p.currency)
  return row
}

export interface PaymentView {
  id: string
  contactId: string
  currency: string
  amountMinor: number
  allocatedMinor: number
  unallocatedMinor: number
  method: PaymentMethod
  paidOn: string
  externalRef: string | null
  notes: string | null
  reversed: boolean
  createdAt: string
  allocations?: { id: string; invoiceId: string; amountMinor: number; reversed: boolean; createdAt: string }[]
}

function toView(p: PaymentRow, b: { allocatedMinor: number; unallocatedMinor: number }): PaymentView {
  return {
    id: p.id,
    contactId: p.contact_id,
    currency: p.currency,
    amountMinor: p.amount_minor,
    ...b,
    method: p.method,
    paidOn: p.paid_on,
    externalRef: p.external_ref,
    notes: p.notes,
    reversed: p.reversal_journal_id !== null,
    createdAt: p.created_at.toISOString(),
  }
}

export async function paymentDetail(db: Kysely<Database>, orgId: string, id: string): Promise<PaymentView> {
  if (!UUID.test(id)) throw paymentNotFound()
  const bdb = billingDb(db)
  const p = await bdb.selectFrom('billing_payments').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
  if (!p) throw paymentNotFound()
  const allocs = await bdb.selectFrom('billing_allocations').selectAll().where('payment_id', '=', id).orderBy('created_at').orderBy('id').execute()
  return {
    ...toView(p, (await paymentBalances(db, [p])).get(p.id)!),
    allocations: allocs.map((a) => ({ id: a.id, invoiceId: a.invoice_id, amountMinor: a.amount_minor, reversed: a.reversal_journal_id !== null, createdAt: a.created_at.toISOString() })),
  }
}

const isPos = (v: unknown): v is [string, string] =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && UUID.test(v[1])

export async function listPayments(db: Kysely<Database>, orgId: string, query: { limit?: number; cursor?: string; contactId?: string }): Promise<PageOf<PaymentView>> {
  const limit = query.limit ?? 50
  const after = decodeCursor(query.cursor, isPos)
  let q = billingDb(db).selectFrom('billing_payments').selectAll().where('org_id', '=', orgId)
  if (query.contactId) {
    await findContact(db, orgId, query.contactId)
    q = q.where('contact_id', '=', query.contactId)
  }
  if (after) q = q.where(sql<boolean>`(created_at, id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`)
  const rows = await q.select(sql<string>`created_at::text`.as('cts')).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  const b = await paymentBalances(db, rows)
  return pageOf(rows, limit, (r) => toView(r, b.get(r.id)!), (r) => [r.cts, r.id])
}
