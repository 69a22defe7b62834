import { sql, type Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import { assertSafe, lineNet, taxOf } from '../common/money.js'
import { cancelMail } from '../mail/queue.js'
import { decodeCursor, pageOf, type PageOf } from '../common/pagination.js'
import { AppError } from '../../errors.js'
import { creditExceeds, creditNoteNotFound, invoiceNotFound, invoiceNotPosted } from './errors.js'
import { formatNumber, lockInvoice, nextNumber, settlements } from './invoices.js'
import { assertContactConsistent, postJournal } from './ledger.js'
import { billingDb } from './tables.js'
import { checkDate, UUID } from './util.js'

/**
 * Credit notes: a posted invoice's lines credited in full or in part (a quantity of a
 * line). Each is numbered in its own series ("NC" + the invoice's series letter, same point
 * of sale), posts Dr revenue, Dr tax_payable / Cr receivables, and cannot exceed the
 * invoice's open balance nor a line's uncredited quantity. A note that leaves nothing of
 * the invoice uncredited voids it: the only way an invoice becomes void.
 */
export interface CreditNoteInput {
  issueDate: string
  reason?: string
  /** All of every line not yet credited. */
  full?: boolean
  lines?: { invoiceLineId: string; quantityMilli: number }[]
}

export const creditSeriesOf = (invoiceSeries: string): string => {
  const [letter, pos] = invoiceSeries.split('-')
  return `NC${letter}-${pos}`
}

export async function createCreditNote(
  db: Kysely<Database>,
  orgId: string,
  invoiceId: string,
  input: CreditNoteInput,
  actorId: string | null,
): Promise<{ id: string; number: string; totalMinor: number; invoiceStatus: string }> {
  checkDate(input.issueDate, 'issueDate')
  const inv = await lockInvoice(db, orgId, invoiceId)
  if (inv.status !== 'posted') throw invoiceNotPosted()
  const bdb = billingDb(db)
  const lines = await bdb.selectFrom('billing_invoice_lines').selectAll().where('invoice_id', '=', inv.id).orderBy('position').execute()
  const prior = await bdb
    .selectFrom('billing_credit_note_lines as l')
    .innerJoin('billing_credit_notes as n', 'n.id', 'l.credit_note_id')
    .select(['l.invoice_line_id', sql<string>`sum(l.quantity_milli)::text`.as('q'), sql<string>`sum(l.net_minor)::text`.as('net'), sql<string>`sum(l.tax_minor)::text`.as('tax')])
    .where('n.invoice_id', '=', inv.id)
    .groupBy('l.invoice_line_id')
    .execute()
  const done = new Map(prior.map((p) => [p.invoice_line_id, { q: Number(p.q), net: Number(p.net), tax: Number(p.tax) }]))
  const wanted = input.full
    ? lines.map((l) => ({ invoiceLineId: l.id, quantityMilli: l.quantity_milli - (done.get(l.id)?.q ?? 0) })).filter((w) => w.quantityMilli > 0)
    : (input.lines ?? [])
  if (wanted.length === 0) throw new AppError('VALIDATION', 400, 'lines: nothing to credit (give lines, or full: true on an invoice with uncredited lines)')
  const seen = new Set<string>()
  const out: { invoiceLineId: string; description: string; quantityMilli: number; taxRateBp: number; netMinor: number; taxMinor: number }[] = []
  for (const w of wanted) {
    const line = lines.find((l) => l.id === w.invoiceLineId)
    if (!line || seen.has(line.id)) throw new AppError('VALIDATION', 400, `lines: ${w.invoiceLineId} is not a line of this invoice (or repeated)`)
    seen.add(line.id)
    const d = done.get(line.id) ?? { q: 0, net: 0, tax: 0 }
    const leftQ = line.quantity_milli - d.q
    if (w.quantityMilli <= 0 || w.quantityMilli > leftQ) throw creditExceeds(`lines: quantityMilli of line ${line.position} is more than its uncredited ${leftQ}`)
    // The last of a line takes exactly what is left, so a line credited in parts sums to its amounts.
    const last = w.quantityMilli === leftQ
    const netMinor = last ? line.net_minor - d.net : Math.min(lineNet(w.quantityMilli, line.unit_minor), line.net_minor - d.net)
    const taxMinor = last ? line.tax_minor - d.tax : Math.min(taxOf(netMinor, line.tax_rate_bp), line.tax_minor - d.tax)
    out.push({ invoiceLineId: line.id, description: line.description, quantityMilli: w.quantityMilli, taxRateBp: line.tax_rate_bp, netMinor, taxMinor })
  }
  const net = out.reduce((a, l) => assertSafe(a + l.netMinor), 0)
  const tax = out.reduce((a, l) => assertSafe(a + l.taxMinor), 0)
  const total = assertSafe(net + tax)
  if (total <= 0) throw new AppError('VALIDATION', 400, 'lines: the credit amounts to nothing')
  const s = (await settlements(db, [inv])).get(inv.id)!
  if (total > s.openMinor) throw creditExceeds(`the credit (${total}) is more than the invoice's open balance (${s.openMinor}); reverse its payments' allocations first`)
  const series = creditSeriesOf(inv.series)
  const seq = await nextNumber(db, orgId, 'credit_note', series)
  const number = formatNumber(series, seq)
  const { id } = await sql<{ id: string }>`select gen_random_uuid() as id`.execute(db).then((r) => r.rows[0]!)
  const journalId = await postJournal(db, orgId, {
    kind: 'credit_note',
    sourceType: 'credit_note',
    sourceId: id,
    currency: inv.currency,
    entryDate: input.issueDate,
    memo: `Nota de crédito ${number} (factura ${inv.number})`,
    lines: [
      { account: 'revenue', debit: net },
      { account: 'tax_payable', debit: tax },
      { account: 'receivables', contactId: inv.contact_id, credit: total },
    ],
  })
  await bdb
    .insertInto('billing_credit_notes')
    .values({
      id,
      org_id: orgId,
      invoice_id: inv.id,
      contact_id: inv.contact_id,
      series,
      seq,
      number,
      currency: inv.currency,
      issue_date: input.issueDate,
      net_minor: net,
      tax_minor: tax,
      total_minor: total,
      reason: input.reason ?? null,
      journal_id: journalId,
      created_by: actorId,
    })
    .execute()
  await bdb.insertInto('billing_credit_note_lines').values(out.map((l) => ({ credit_note_id: id, invoice_line_id: l.invoiceLineId, org_id: orgId, description: l.description, quantity_milli: l.quantityMilli, tax_rate_bp: l.taxRateBp, net_minor: l.netMinor, tax_minor: l.taxMinor }))).execute()
  let invoiceStatus: string = inv.status
  if (s.creditedMinor + total === inv.total_minor) {
    await bdb.updateTable('billing_invoices').set({ status: 'void', voided_at: new Date() }).where('id', '=', inv.id).execute()
    invoiceStatus = 'void'
  }
  await assertContactConsistent(db, orgId, inv.contact_id, inv.currency)
  if (s.openMinor - total === 0) await cancelMail(db, orgId, `dunning:${inv.id}:`)
  return { id, number, totalMinor: total, invoiceStatus }
}

export interface CreditNoteView {
  id: string
  number: string
  invoiceId: string
  contactId: string
  currency: string
  issueDate: string
  netMinor: number
  taxMinor: number
  totalMinor: number
  reason: string | null
  createdAt: string
  lines?: { invoiceLineId: string; description: string; quantityMilli: number; taxRateBp: number; netMinor: number; taxMinor: number }[]
}

type NoteRow = Awaited<ReturnType<typeof noteRows>>[number]
const noteRows = (db: Kysely<Database>, orgId: string) => billingDb(db).selectFrom('billing_credit_notes').selectAll().where('org_id', '=', orgId).execute()

const toView = (n: NoteRow): CreditNoteView => ({
  id: n.id,
  number: n.number,
  invoiceId: n.invoice_id,
  contactId: n.contact_id,
  currency: n.currency,
  issueDate: n.issue_date,
  netMinor: n.net_minor,
  taxMinor: n.tax_minor,
  totalMinor: n.total_minor,
  reason: n.reason,
  createdAt: n.created_at.toISOString(),
})

export async function creditNoteDetail(db: Kysely<Database>, orgId: string, id: string): Promise<CreditNoteView> {
  if (!UUID.test(id)) throw creditNoteNotFound()
  const bdb = billingDb(db)
  const n = await bdb.selectFrom('billing_credit_notes').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
  if (!n) throw creditNoteNotFound()
  const lines = await bdb.selectFrom('billing_credit_note_lines').selectAll().where('credit_note_id', '=', id).orderBy('id').execute()
  return {
    ...toView(n),
    lines: lines.map((l) => ({ invoiceLineId: l.invoice_line_id, description: l.description, quantityMilli: l.quantity_milli, taxRateBp: l.tax_rate_bp, netMinor: l.net_minor, taxMinor: l.tax_minor })),
  }
}

const isPos = (v: unknown): v is [string, string] =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && UUID.test(v[1])

export async function listCreditNotes(db: Kysely<Database>, orgId: string, query: { limit?: number; cursor?: string; invoiceId?: string }): Promise<PageOf<CreditNoteView>> {
  const limit = query.limit ?? 50
  const after = decodeCursor(query.cursor, isPos)
  let q = billingDb(db).selectFrom('billing_credit_notes').selectAll().where('org_id', '=', orgId)
  if (query.invoiceId) {
    const inv = UUID.test(query.invoiceId) ? await billingDb(db).selectFrom('billing_invoices').select('id').where('org_id', '=', orgId).where('id', '=', query.invoiceId).executeTakeFirst() : undefined
    if (!inv) throw invoiceNotFound()
    q = q.where('invoice_id', '=', query.invoiceId)
  }
  if (after) q = q.where(sql<boolean>`(created_at, id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`)
  const rows = await q.select(sql<string>`created_at::text`.as('cts')).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  return pageOf(rows, limit, toView, (r) => [r.cts, r.id])
}
