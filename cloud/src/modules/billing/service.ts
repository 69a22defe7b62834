import type { FastifyRequest } from 'fastify'
import { sql, type Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import { findContact } from '../common/contacts.js'
import { decodeCursor, pageOf, type PageOf } from '../common/pagination.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import * as credit from './credit-notes.js'
import * as inv from './invoices.js'
import { accountBalances } from './ledger.js'
import * as pay from './payments.js'
import type { InvoiceBody, JournalView } from './schema.js'
import { billingDb } from './tables.js'
import { inTx, isoDay, UUID } from './util.js'

/** The routes' side of billing: a transaction per request, the audit entry inside it. */
type Db = Kysely<Database>

/** Invoices are locked in id order, so two batches touching the same invoices cannot deadlock. */
const byInvoice = <T extends { invoiceId: string }>(xs: T[]): T[] => [...xs].sort((a, b) => (a.invoiceId < b.invoiceId ? -1 : a.invoiceId > b.invoiceId ? 1 : 0))

async function audited<T>(db: Db, request: FastifyRequest, action: string, target: (r: T) => { type: string; id: string }, before: unknown, fn: (trx: Db) => Promise<T>, after?: (r: T) => unknown): Promise<T> {
  return inTx(db, async (trx) => {
    const result = await fn(trx)
    await recordAudit(trx, { ...auditContext(request), action, target: target(result), before, after: after ? after(result) : result })
    return result
  })
}

export async function createInvoice(db: Db, request: FastifyRequest, body: InvoiceBody): Promise<inv.InvoiceDetail> {
  const orgId = request.user.orgId
  const { post, ...input } = body
  const id = await audited(
    db,
    request,
    post ? 'invoice.issue' : 'invoice.create',
    (id: string) => ({ type: 'invoice', id }),
    undefined,
    async (trx) => {
      if (input.sourceKey !== undefined) {
        await inv.lockSourceKey(trx, orgId, input.sourceKey)
        const existing = await billingDb(trx).selectFrom('billing_invoices').select('id').where('org_id', '=', orgId).where('source_key', '=', input.sourceKey).executeTakeFirst()
        if (existing) return existing.id
      }
      const id = await inv.createDraft(trx, orgId, input, { type: 'user', id: request.user.id })
      if (post) await inv.postDraft(trx, orgId, id)
      return id
    },
    (id) => ({ id, ...input }),
  )
  return inv.invoiceDetail(db, { orgId }, id)
}

export async function updateInvoice(db: Db, request: FastifyRequest, id: string, body: Omit<InvoiceBody, 'post' | 'sourceKey'>): Promise<inv.InvoiceDetail> {
  const orgId = request.user.orgId
  const before = await inv.invoiceDetail(db, { orgId }, id)
  await audited(db, request, 'invoice.update', () => ({ type: 'invoice', id }), before, (trx) => inv.updateDraft(trx, orgId, id, body), () => body)
  return inv.invoiceDetail(db, { orgId }, id)
}

export async function postInvoice(db: Db, request: FastifyRequest, id: string): Promise<inv.InvoiceDetail> {
  const orgId = request.user.orgId
  await audited(db, request, 'invoice.post', () => ({ type: 'invoice', id }), { status: 'draft' }, (trx) => inv.postDraft(trx, orgId, id), (r) => ({ status: r.status, number: r.number, totalMinor: r.total_minor }))
  return inv.invoiceDetail(db, { orgId }, id)
}

export async function deleteInvoice(db: Db, request: FastifyRequest, id: string): Promise<void> {
  const orgId = request.user.orgId
  await audited(db, request, 'invoice.delete', () => ({ type: 'invoice', id }), undefined, async (trx) => {
    const row = await inv.deleteDraft(trx, orgId, id)
    return { status: row.status, totalMinor: row.total_minor }
  }, () => null)
}

export async function createPayment(db: Db, request: FastifyRequest, body: pay.PaymentInput & { allocations?: { invoiceId: string; amountMinor: number }[] }): Promise<pay.PaymentView> {
  const orgId = request.user.orgId
  const { allocations, ...input } = body
  const p = await audited(db, request, 'payment.create', (p: { id: string }) => ({ type: 'payment', id: p.id }), undefined, async (trx) => {
    const p = await pay.createPayment(trx, orgId, input, request.user.id)
    for (const a of byInvoice(allocations ?? [])) await pay.allocate(trx, orgId, p.id, a.invoiceId, a.amountMinor, request.user.id, input.paidOn)
    return p
  }, (p) => ({ ...input, id: p.id, allocations }))
  return pay.paymentDetail(db, orgId, p.id)
}

export async function allocatePayment(db: Db, request: FastifyRequest, paymentId: string, allocations: { invoiceId: string; amountMinor: number }[]): Promise<pay.PaymentView> {
  const orgId = request.user.orgId
  await audited(db, request, 'payment.allocate', () => ({ type: 'payment', id: paymentId }), undefined, async (trx) => {
    const out = []
    for (const a of byInvoice(allocations)) out.push(await pay.allocate(trx, orgId, paymentId, a.invoiceId, a.amountMinor, request.user.id, isoDay(new Date())))
    return out
  })
  return pay.paymentDetail(db, orgId, paymentId)
}

export async function reversePayment(db: Db, request: FastifyRequest, id: string, date: string | undefined): Promise<pay.PaymentView> {
  const orgId = request.user.orgId
  await audited(db, request, 'payment.reverse', () => ({ type: 'payment', id }), undefined, (trx) => pay.reversePayment(trx, orgId, id, date ?? isoDay(new Date())), (p) => ({ reversed: true, reversalJournalId: p.reversal_journal_id }))
  return pay.paymentDetail(db, orgId, id)
}

export async function reverseAllocation(db: Db, request: FastifyRequest, id: string, date: string | undefined): Promise<{ id: string; reversed: true }> {
  const orgId = request.user.orgId
  return audited(db, request, 'allocation.reverse', () => ({ type: 'allocation', id }), undefined, async (trx) => {
    await pay.reverseAllocation(trx, orgId, id, date ?? isoDay(new Date()))
    return { id, reversed: true as const }
  })
}

export async function createCreditNote(db: Db, request: FastifyRequest, invoiceId: string, body: credit.CreditNoteInput): Promise<credit.CreditNoteView & { invoiceStatus: string }> {
  const orgId = request.user.orgId
  const r = await audited(db, request, 'credit_note.create', (r: { id: string }) => ({ type: 'credit_note', id: r.id }), undefined, (trx) => credit.createCreditNote(trx, orgId, invoiceId, body, request.user.id), (r) => ({ ...r, invoiceId, ...body }))
  return { ...(await credit.creditNoteDetail(db, orgId, r.id)), invoiceStatus: r.invoiceStatus }
}

export async function contactBalance(db: Db, orgId: string, contactId: string) {
  await findContact(db, orgId, contactId)
  const ledger = await accountBalances(db, orgId, contactId)
  const bdb = billingDb(db)
  const invoices = await bdb.selectFrom('billing_invoices').select(['id', 'status', 'total_minor', 'currency']).where('org_id', '=', orgId).where('contact_id', '=', contactId).where('status', '!=', 'draft').execute()
  const s = await inv.settlements(db, invoices)
  const payments = await bdb.selectFrom('billing_payments').select(['id', 'amount_minor', 'reversal_journal_id', 'currency']).where('org_id', '=', orgId).where('contact_id', '=', contactId).execute()
  const pb = await pay.paymentBalances(db, payments)
  const currencies = new Set<string>([...ledger.map((l) => l.currency), ...invoices.map((i) => i.currency), ...payments.map((p) => p.currency)])
  return {
    contactId,
    balances: [...currencies].sort().map((currency) => {
      const receivableMinor = ledger.find((l) => l.account === 'receivables' && l.currency === currency)?.balanceMinor ?? 0
      const creditMinor = 0 - (ledger.find((l) => l.account === 'customer_credit' && l.currency === currency)?.balanceMinor ?? 0)
      const openInvoicesMinor = invoices.filter((i) => i.currency === currency).reduce((a, i) => a + s.get(i.id)!.openMinor, 0)
      const unallocatedPaymentsMinor = payments.filter((p) => p.currency === currency).reduce((a, p) => a + pb.get(p.id)!.unallocatedMinor, 0)
      return {
        currency,
        receivableMinor,
        creditMinor,
        netMinor: receivableMinor - creditMinor,
        openInvoicesMinor,
        unallocatedPaymentsMinor,
        consistent: receivableMinor === openInvoicesMinor && creditMinor === unallocatedPaymentsMinor,
      }
    }),
  }
}

const isPos = (v: unknown): v is [string, string] =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && UUID.test(v[1])

export async function listJournals(db: Db, orgId: string, query: { limit?: number; cursor?: string; sourceId?: string }): Promise<PageOf<JournalView>> {
  const limit = query.limit ?? 50
  const after = decodeCursor(query.cursor, isPos)
  const bdb = billingDb(db)
  let q = bdb.selectFrom('billing_journals').selectAll().where('org_id', '=', orgId)
  if (query.sourceId) q = UUID.test(query.sourceId) ? q.where('source_id', '=', query.sourceId) : q.where(sql<boolean>`false`)
  if (after) q = q.where(sql<boolean>`(created_at, id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`)
  const rows = await q.select(sql<string>`created_at::text`.as('cts')).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  const ids = rows.map((r) => r.id)
  const lines = ids.length ? await bdb.selectFrom('billing_journal_lines').selectAll().where('journal_id', 'in', ids).orderBy('id').execute() : []
  return pageOf(
    rows,
    limit,
    (r) => ({
      id: r.id,
      kind: r.kind,
      sourceType: r.source_type,
      sourceId: r.source_id,
      currency: r.currency,
      entryDate: r.entry_date,
      memo: r.memo,
      reversesJournalId: r.reverses_journal_id,
      createdAt: r.created_at.toISOString(),
      lines: lines.filter((l) => l.journal_id === r.id).map((l) => ({ account: l.account, contactId: l.contact_id, debitMinor: l.debit_minor, creditMinor: l.credit_minor })),
    }),
    (r) => [r.cts, r.id],
  )
}
