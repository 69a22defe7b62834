import { sql, type Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import { findContact } from '../common/contacts.js'
import { AppError } from '../../errors.js'
import { assertSafe, isCurrency, lineNet, taxOf, type Currency } from '../common/money.js'
import { decodeCursor, pageOf, type PageOf } from '../common/pagination.js'
import { recordAudit, type AuditEntry } from '../identity/audit.js'
import { dueBeforeIssue, invoiceEmpty, invoiceNotFound, invoiceNotPosted, invoicePosted } from './errors.js'
import { assertContactConsistent, postJournal } from './ledger.js'
import { billingDb, type InvoiceLineRow, type InvoiceRow, type InvoiceStatus } from './tables.js'
import { checkDate, inTx, UUID } from './util.js'

export const DEFAULT_SERIES = 'A-0001'

export interface LineInput {
  description: string
  quantityMilli: number
  unitMinor: number
  taxRateBp: number
  sourceType?: string
  sourceId?: string
  detail?: unknown
}

export interface DraftInput {
  contactId: string
  currency: Currency
  issueDate: string
  dueDate: string
  series?: string
  lines: LineInput[]
  sourceKey?: string
  notes?: string
}

type Actor = AuditEntry['actor'] | null
export interface AuditCtx {
  actor: AuditEntry['actor']
  requestId?: string
  ip?: string
}

export interface ComputedLine extends LineInput {
  netMinor: number
  taxMinor: number
}

/** Line nets and taxes (tax per line, half away from zero), and the invoice's totals. */
export function computeLines(lines: LineInput[]): { lines: ComputedLine[]; netMinor: number; taxMinor: number; totalMinor: number } {
  let net = 0
  let tax = 0
  const out = lines.map((l) => {
    const netMinor = lineNet(l.quantityMilli, l.unitMinor)
    const taxMinor = taxOf(netMinor, l.taxRateBp)
    net = assertSafe(net + netMinor, 'net')
    tax = assertSafe(tax + taxMinor, 'tax')
    return { ...l, netMinor, taxMinor }
  })
  return { lines: out, netMinor: net, taxMinor: tax, totalMinor: assertSafe(net + tax, 'total') }
}

export const formatNumber = (series: string, seq: number): string => `${series}-${String(seq).padStart(8, '0')}`

/** The next number of a series, under the counter's row lock: held until commit, given back on rollback. */
export async function nextNumber(db: Kysely<Database>, orgId: string, kind: 'invoice' | 'credit_note', series: string): Promise<number> {
  const row = await billingDb(db)
    .insertInto('billing_sequences')
    .values({ org_id: orgId, kind, series, last_number: 1 })
    .onConflict((oc) => oc.columns(['org_id', 'kind', 'series']).doUpdateSet({ last_number: sql`billing_sequences.last_number + 1` }))
    .returning('last_number')
    .executeTakeFirstOrThrow()
  return Number(row.last_number)
}

function checkDates(input: { issueDate: string; dueDate: string }): void {
  checkDate(input.issueDate, 'issueDate')
  checkDate(input.dueDate, 'dueDate')
  if (input.dueDate < input.issueDate) throw dueBeforeIssue()
}

const SERIES = /^[A-Z0-9]{1,4}-[0-9]{4}$/

/** The checks the routes' schema makes, for callers in code (issueInvoice). */
function checkInput(input: Omit<DraftInput, 'sourceKey'>): void {
  const bad = (m: string) => new AppError('VALIDATION', 400, m)
  if (!isCurrency(input.currency)) throw bad('currency: not a supported ISO 4217 code')
  if (input.series !== undefined && !SERIES.test(input.series)) throw bad('series: letter and point of sale, e.g. A-0001')
  if (input.lines.length > 500) throw bad('lines: at most 500')
  input.lines.forEach((l, i) => {
    if (typeof l.description !== 'string' || l.description.length < 1 || l.description.length > 500) throw bad(`lines[${i}].description: 1-500 characters`)
    if (!Number.isSafeInteger(l.quantityMilli) || l.quantityMilli < 1 || l.quantityMilli > 1_000_000_000) throw bad(`lines[${i}].quantityMilli: a positive integer (thousandths)`)
    if (!Number.isSafeInteger(l.unitMinor) || l.unitMinor < 0) throw bad(`lines[${i}].unitMinor: a non-negative integer (minor units)`)
    if (!Number.isSafeInteger(l.taxRateBp) || l.taxRateBp < 0 || l.taxRateBp > 100_000) throw bad(`lines[${i}].taxRateBp: basis points, 0-100000`)
  })
}

async function writeLines(db: Kysely<Database>, orgId: string, invoiceId: string, lines: ComputedLine[]): Promise<void> {
  await billingDb(db)
    .insertInto('billing_invoice_lines')
    .values(
      lines.map((l, i) => ({
        invoice_id: invoiceId,
        org_id: orgId,
        position: i + 1,
        description: l.description,
        quantity_milli: l.quantityMilli,
        unit_minor: l.unitMinor,
        tax_rate_bp: l.taxRateBp,
        net_minor: l.netMinor,
        tax_minor: l.taxMinor,
        source_type: l.sourceType ?? null,
        source_id: l.sourceId ?? null,
        detail: l.detail === undefined ? null : JSON.stringify(l.detail),
      })),
    )
    .execute()
}

/** A draft invoice (no number, no journal). */
export async function createDraft(db: Kysely<Database>, orgId: string, input: DraftInput, actor: Actor): Promise<string> {
  checkInput(input)
  checkDates(input)
  if (input.lines.length === 0) throw invoiceEmpty()
  await findContact(db, orgId, input.contactId)
  const totals = computeLines(input.lines)
  const bdb = billingDb(db)
  const { id } = await bdb
    .insertInto('billing_invoices')
    .values({
      org_id: orgId,
      contact_id: input.contactId,
      series: input.series ?? DEFAULT_SERIES,
      currency: input.currency,
      issue_date: input.issueDate,
      due_date: input.dueDate,
      net_minor: totals.netMinor,
      tax_minor: totals.taxMinor,
      total_minor: totals.totalMinor,
      source_key: input.sourceKey ?? null,
      notes: input.notes ?? null,
      created_by: actor?.id ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  await writeLines(db, orgId, id, totals.lines)
  return id
}

/** Locks the organization's invoice row (404 for another org's or a malformed id). */
export async function lockInvoice(db: Kysely<Database>, orgId: string, id: string): Promise<InvoiceRow> {
  if (!UUID.test(id)) throw invoiceNotFound()
  const row = await billingDb(db).selectFrom('billing_invoices').selectAll().where('org_id', '=', orgId).where('id', '=', id).forUpdate().executeTakeFirst()
  if (!row) throw invoiceNotFound()
  return row
}

/** Numbers the draft and writes its journal: Dr receivables / Cr revenue, Cr tax_payable. */
export async function postDraft(db: Kysely<Database>, orgId: string, id: string): Promise<InvoiceRow> {
  const inv = await lockInvoice(db, orgId, id)
  if (inv.status !== 'draft') throw invoicePosted()
  const seq = await nextNumber(db, orgId, 'invoice', inv.series)
  const number = formatNumber(inv.series, seq)
  const journalId = await postJournal(db, orgId, {
    kind: 'invoice',
    sourceType: 'invoice',
    sourceId: id,
    currency: inv.currency,
    entryDate: inv.issue_date,
    memo: `Factura ${number}`,
    lines: [
      { account: 'receivables', contactId: inv.contact_id, debit: inv.total_minor },
      { account: 'revenue', credit: inv.net_minor },
      { account: 'tax_payable', credit: inv.tax_minor },
    ],
  })
  const posted = await billingDb(db)
    .updateTable('billing_invoices')
    .set({ status: 'posted', seq, number, journal_id: journalId, posted_at: new Date(), updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
  await assertContactConsistent(db, orgId, inv.contact_id, inv.currency)
  return posted
}

/** Serializes callers issuing under one sourceKey (two rent jobs, a retried request) until commit. */
export async function lockSourceKey(db: Kysely<Database>, orgId: string, sourceKey: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`billing-source:${orgId}:${sourceKey}`}))`.execute(db)
}

/** Creates and posts an invoice in one go; a repeated sourceKey returns the first invoice. */
export async function issue(
  db: Kysely<Database>,
  orgId: string,
  input: DraftInput,
  audit: Actor | AuditCtx,
): Promise<{ id: string; number: string; totalMinor: number; created: boolean }> {
  const ctx: AuditCtx | null = audit === null ? null : 'actor' in audit ? audit : { actor: audit }
  return inTx(db, async (trx) => {
    if (input.sourceKey !== undefined) {
      await lockSourceKey(trx, orgId, input.sourceKey)
      const existing = await billingDb(trx)
        .selectFrom('billing_invoices')
        .select(['id', 'number', 'total_minor', 'status'])
        .where('org_id', '=', orgId)
        .where('source_key', '=', input.sourceKey)
        .executeTakeFirst()
      if (existing) {
        if (existing.status === 'draft') {
          const posted = await postDraft(trx, orgId, existing.id)
          return { id: posted.id, number: posted.number!, totalMinor: posted.total_minor, created: false }
        }
        return { id: existing.id, number: existing.number!, totalMinor: existing.total_minor, created: false }
      }
    }
    const id = await createDraft(trx, orgId, input, ctx?.actor ?? null)
    const posted = await postDraft(trx, orgId, id)
    await recordAudit(trx, {
      orgId,
      actor: ctx?.actor ?? { type: 'system', id: null },
      action: 'invoice.issue',
      target: { type: 'invoice', id },
      after: { number: posted.number, contactId: posted.contact_id, currency: posted.currency, totalMinor: posted.total_minor, sourceKey: posted.source_key },
      requestId: ctx?.requestId,
      ip: ctx?.ip,
    })
    return { id, number: posted.number!, totalMinor: posted.total_minor, created: true }
  })
}

/** Replaces a draft's header and lines. */
export async function updateDraft(db: Kysely<Database>, orgId: string, id: string, input: Omit<DraftInput, 'sourceKey'>): Promise<void> {
  const inv = await lockInvoice(db, orgId, id)
  if (inv.status !== 'draft') throw invoicePosted()
  checkInput(input)
  checkDates(input)
  if (input.lines.length === 0) throw invoiceEmpty()
  await findContact(db, orgId, input.contactId)
  const totals = computeLines(input.lines)
  const bdb = billingDb(db)
  await bdb.deleteFrom('billing_invoice_lines').where('invoice_id', '=', id).execute()
  await bdb
    .updateTable('billing_invoices')
    .set({
      contact_id: input.contactId,
      series: input.series ?? inv.series,
      currency: input.currency,
      issue_date: input.issueDate,
      due_date: input.dueDate,
      net_minor: totals.netMinor,
      tax_minor: totals.taxMinor,
      total_minor: totals.totalMinor,
      notes: input.notes ?? null,
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .execute()
  await writeLines(db, orgId, id, totals.lines)
}

export async function deleteDraft(db: Kysely<Database>, orgId: string, id: string): Promise<InvoiceRow> {
  const inv = await lockInvoice(db, orgId, id)
  if (inv.status !== 'draft') throw invoicePosted()
  await billingDb(db).deleteFrom('billing_invoices').where('id', '=', id).execute()
  return inv
}

export interface Settlement {
  paidMinor: number
  creditedMinor: number
  openMinor: number
}

/** What has been applied to each invoice: active allocations and credit notes. */
export async function settlements(db: Kysely<Database>, invoices: Pick<InvoiceRow, 'id' | 'status' | 'total_minor'>[]): Promise<Map<string, Settlement>> {
  const out = new Map<string, Settlement>()
  if (invoices.length === 0) return out
  const ids = invoices.map((i) => i.id)
  const bdb = billingDb(db)
  const paid = await bdb
    .selectFrom('billing_allocations')
    .select(['invoice_id', sql<string>`sum(amount_minor)::text`.as('s')])
    .where('invoice_id', 'in', ids)
    .where('reversal_journal_id', 'is', null)
    .groupBy('invoice_id')
    .execute()
  const credited = await bdb
    .selectFrom('billing_credit_notes')
    .select(['invoice_id', sql<string>`sum(total_minor)::text`.as('s')])
    .where('invoice_id', 'in', ids)
    .groupBy('invoice_id')
    .execute()
  const p = new Map(paid.map((r) => [r.invoice_id, Number(r.s)]))
  const c = new Map(credited.map((r) => [r.invoice_id, Number(r.s)]))
  for (const inv of invoices) {
    const paidMinor = p.get(inv.id) ?? 0
    const creditedMinor = c.get(inv.id) ?? 0
    const openMinor = inv.status === 'draft' ? 0 : inv.total_minor - paidMinor - creditedMinor
    out.set(inv.id, { paidMinor, creditedMinor, openMinor })
  }
  return out
}

export interface InvoiceView {
  id: string
  status: InvoiceStatus
  series: string
  number: string | null
  contactId: string
  contactName: string
  currency: string
  issueDate: string
  dueDate: string
  netMinor: number
  taxMinor: number
  totalMinor: number
  paidMinor: number
  creditedMinor: number
  openMinor: number
  taxes: { rateBp: number; netMinor: number; taxMinor: number }[]
  sourceKey: string | null
  notes: string | null
  postedAt: string | null
  createdAt: string
}

export interface InvoiceLineView {
  id: string
  position: number
  description: string
  quantityMilli: number
  unitMinor: number
  taxRateBp: number
  netMinor: number
  taxMinor: number
  sourceType: string | null
  sourceId: string | null
  detail: unknown
}

export interface InvoiceDetail extends InvoiceView {
  lines: InvoiceLineView[]
  contact: { name: string; company: string | null; taxId: string | null; email: string | null }
}

type InvoiceWithContact = InvoiceRow & { contact_name: string }

function toView(r: InvoiceWithContact, s: Settlement, lines: InvoiceLineRow[] | null): InvoiceView {
  const taxes = new Map<number, { rateBp: number; netMinor: number; taxMinor: number }>()
  for (const l of lines ?? []) {
    const t = taxes.get(l.tax_rate_bp) ?? { rateBp: l.tax_rate_bp, netMinor: 0, taxMinor: 0 }
    t.netMinor += l.net_minor
    t.taxMinor += l.tax_minor
    taxes.set(l.tax_rate_bp, t)
  }
  return {
    id: r.id,
    status: r.status,
    series: r.series,
    number: r.number,
    contactId: r.contact_id,
    contactName: r.contact_name,
    currency: r.currency,
    issueDate: r.issue_date,
    dueDate: r.due_date,
    netMinor: r.net_minor,
    taxMinor: r.tax_minor,
    totalMinor: r.total_minor,
    ...s,
    taxes: [...taxes.values()].sort((a, b) => b.rateBp - a.rateBp),
    sourceKey: r.source_key,
    notes: r.notes,
    postedAt: r.posted_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
  }
}

const lineView = (l: InvoiceLineRow): InvoiceLineView => ({
  id: l.id,
  position: l.position,
  description: l.description,
  quantityMilli: l.quantity_milli,
  unitMinor: l.unit_minor,
  taxRateBp: l.tax_rate_bp,
  netMinor: l.net_minor,
  taxMinor: l.tax_minor,
  sourceType: l.source_type,
  sourceId: l.source_id,
  detail: l.detail ?? null,
})

/** One invoice with its lines; `where` picks the scope (own org, or the portal's linked contacts). */
export async function invoiceDetail(db: Kysely<Database>, scope: { orgId: string } | { linkedOrgId: string }, id: string): Promise<InvoiceDetail> {
  if (!UUID.test(id)) throw invoiceNotFound()
  const bdb = billingDb(db)
  let q = bdb
    .selectFrom('billing_invoices as i')
    .innerJoin('contacts as c', 'c.id', 'i.contact_id')
    .selectAll('i')
    .select(['c.name as contact_name', 'c.company as contact_company', 'c.tax_id as contact_tax_id', 'c.email as contact_email'])
    .where('i.id', '=', id)
  q = 'orgId' in scope ? q.where('i.org_id', '=', scope.orgId) : q.where('c.linked_org_id', '=', scope.linkedOrgId).where('i.status', '!=', 'draft')
  const r = await q.executeTakeFirst()
  if (!r) throw invoiceNotFound()
  const lines = await bdb.selectFrom('billing_invoice_lines').selectAll().where('invoice_id', '=', id).orderBy('position').execute()
  const s = (await settlements(db, [r])).get(id)!
  return {
    ...toView(r, s, lines),
    lines: lines.map(lineView),
    contact: { name: r.contact_name, company: r.contact_company, taxId: r.contact_tax_id, email: r.contact_email },
  }
}

export interface InvoiceListQuery {
  limit?: number
  cursor?: string
  status?: InvoiceStatus
  contactId?: string
}

const isPos = (v: unknown): v is [string, string] =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && UUID.test(v[1])

/** Newest first, keyset on (created_at, id). */
export async function listInvoices(db: Kysely<Database>, scope: { orgId: string } | { linkedOrgId: string }, query: InvoiceListQuery): Promise<PageOf<InvoiceView>> {
  const limit = query.limit ?? 50
  const after = decodeCursor(query.cursor, isPos)
  let q = billingDb(db).selectFrom('billing_invoices as i').innerJoin('contacts as c', 'c.id', 'i.contact_id').selectAll('i').select('c.name as contact_name')
  q = 'orgId' in scope ? q.where('i.org_id', '=', scope.orgId) : q.where('c.linked_org_id', '=', scope.linkedOrgId).where('i.status', '!=', 'draft')
  if (query.status) q = q.where('i.status', '=', query.status)
  if (query.contactId) {
    // A filter naming a contact that is not the organization's is a 404, not an empty page.
    if ('orgId' in scope) await findContact(db, scope.orgId, query.contactId)
    q = UUID.test(query.contactId) ? q.where('i.contact_id', '=', query.contactId) : q.where(sql<boolean>`false`)
  }
  if (after) q = q.where(sql<boolean>`(i.created_at, i.id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`)
  const rows = await q.select(sql<string>`i.created_at::text`.as('cts')).orderBy('i.created_at', 'desc').orderBy('i.id', 'desc').limit(limit + 1).execute()
  const s = await settlements(db, rows)
  return pageOf(rows, limit, (r) => toView(r, s.get(r.id)!, null), (r) => [r.cts, r.id])
}

export { invoiceNotPosted }
