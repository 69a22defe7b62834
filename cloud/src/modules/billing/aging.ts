import { sql, type Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import { billingDb } from './tables.js'
import { csv, csvMoney } from './format.js'
import { daysBetween } from './util.js'

/**
 * Receivables aging ("deudas"): every posted invoice with an open balance, by days past its
 * due date at `asOf`: current (not yet due), 1-30, 31-60, 61-90, over 90. Per contact and
 * currency, and totals per currency. Open = total - active allocations - credit notes.
 */
export const BUCKETS = ['current', 'd1_30', 'd31_60', 'd61_90', 'over90'] as const
export type Bucket = (typeof BUCKETS)[number]

export function bucketOf(daysPastDue: number): Bucket {
  if (daysPastDue <= 0) return 'current'
  if (daysPastDue <= 30) return 'd1_30'
  if (daysPastDue <= 60) return 'd31_60'
  if (daysPastDue <= 90) return 'd61_90'
  return 'over90'
}

export type BucketAmounts = Record<Bucket, number> & { totalMinor: number }
export interface AgingRow extends BucketAmounts {
  contactId: string
  contactName: string
  currency: string
  invoices: number
}
export interface AgingReport {
  asOf: string
  rows: AgingRow[]
  totals: (BucketAmounts & { currency: string })[]
}

const zero = (): BucketAmounts => ({ current: 0, d1_30: 0, d31_60: 0, d61_90: 0, over90: 0, totalMinor: 0 })

export interface OpenInvoice {
  id: string
  org_id: string
  number: string | null
  contact_id: string
  contact_name: string
  contact_email: string | null
  currency: string
  issue_date: string
  due_date: string
  total_minor: number
  open_minor: number
}

/** Posted invoices with something left to pay (one org, or all for the dunning job). */
export async function openInvoices(db: Kysely<Database>, opts: { orgId?: string; contactId?: string; issuedBy?: string }): Promise<OpenInvoice[]> {
  let q = billingDb(db)
    .selectFrom('billing_invoices as i')
    .innerJoin('contacts as c', 'c.id', 'i.contact_id')
    .select([
      'i.id',
      'i.org_id',
      'i.number',
      'i.contact_id',
      'c.name as contact_name',
      'c.email as contact_email',
      'i.currency',
      'i.issue_date',
      'i.due_date',
      'i.total_minor',
      sql<string>`(i.total_minor
        - coalesce((select sum(a.amount_minor) from billing_allocations a where a.invoice_id = i.id and a.reversal_journal_id is null), 0)
        - coalesce((select sum(n.total_minor) from billing_credit_notes n where n.invoice_id = i.id), 0))::text`.as('open'),
    ])
    .where('i.status', '=', 'posted')
  if (opts.orgId) q = q.where('i.org_id', '=', opts.orgId)
  if (opts.contactId) q = q.where('i.contact_id', '=', opts.contactId)
  if (opts.issuedBy) q = q.where('i.issue_date', '<=', opts.issuedBy)
  const rows = await q.orderBy('i.due_date').orderBy('i.id').execute()
  return rows.map(({ open, ...r }) => ({ ...r, open_minor: Number(open) })).filter((r) => r.open_minor > 0)
}

export async function agingReport(db: Kysely<Database>, orgId: string, asOf: string): Promise<AgingReport> {
  const open = await openInvoices(db, { orgId, issuedBy: asOf })
  const rows = new Map<string, AgingRow>()
  const totals = new Map<string, BucketAmounts & { currency: string }>()
  for (const inv of open) {
    const b = bucketOf(daysBetween(inv.due_date, asOf))
    const key = `${inv.contact_id}:${inv.currency}`
    const row = rows.get(key) ?? { contactId: inv.contact_id, contactName: inv.contact_name, currency: inv.currency, invoices: 0, ...zero() }
    row[b] += inv.open_minor
    row.totalMinor += inv.open_minor
    row.invoices += 1
    rows.set(key, row)
    const t = totals.get(inv.currency) ?? { currency: inv.currency, ...zero() }
    t[b] += inv.open_minor
    t.totalMinor += inv.open_minor
    totals.set(inv.currency, t)
  }
  return {
    asOf,
    rows: [...rows.values()].sort((a, b) => a.currency.localeCompare(b.currency) || b.totalMinor - a.totalMinor || a.contactName.localeCompare(b.contactName)),
    totals: [...totals.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
  }
}

export const AGING_LABELS: Record<Bucket, string> = { current: 'A vencer', d1_30: '1-30 días', d31_60: '31-60 días', d61_90: '61-90 días', over90: 'Más de 90 días' }

export function agingCsv(r: AgingReport): string {
  const head = ['cliente', 'cliente_id', 'moneda', 'facturas', 'a_vencer', 'vencido_1_30', 'vencido_31_60', 'vencido_61_90', 'vencido_mas_90', 'total']
  const line = (name: string, id: string, a: BucketAmounts & { currency: string }, n: number | null) => [name, id, a.currency, n, ...BUCKETS.map((b) => csvMoney(a[b], a.currency)), csvMoney(a.totalMinor, a.currency)]
  return csv([head, ...r.rows.map((x) => line(x.contactName, x.contactId, x, x.invoices)), ...r.totals.map((t) => line('TOTAL', '', t, null))])
}
