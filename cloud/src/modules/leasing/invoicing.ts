import type { FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import { issueInvoice, type InvoiceLineInput } from '../billing/api.js'
import { isCurrency, toDecimal, type Currency } from '../common/money.js'
import { auditContext } from '../identity/audit.js'
import { leasesInPeriod } from './charges.js'
import { pgCode } from './errors.js'
import type { MeterReadings } from './metering.js'
import { addMonths } from './rent.js'
import { leasingDb, type ChargeRow, type LeaseRow } from './tables.js'

/**
 * A period's charges of a lease become one invoice (billing/api.ts issueInvoice), with
 * sourceKey `lease:<id>:<period>`, so a rerun returns the same invoice instead of a
 * second one. A line for the rent and one per utility, whose description carries the
 * readings. A charge that needs review is not invoiced: the invoice's notes say so, and
 * once a person resolves it the next run invoices it on its own with the sourceKey
 * `lease:<id>:<period>:<kind>`. Charges in a currency other than the lease's (a USD lease
 * with ARS utilities) go on an invoice of their own, `lease:<id>:<period>:<currency>`.
 * Each invoiced charge keeps the invoice id in `invoice_ref`.
 */

const KIND_LABEL: Record<string, string> = { rent: 'Alquiler / Rent', utility_energy: 'Energía / Energy', utility_water: 'Agua / Water' }
const UNIT: Record<string, string> = { kwh: 'kWh', m3: 'm³', l: 'm³' }

const money = (minor: number, currency: string) => (isCurrency(currency) ? toDecimal(minor, currency) : String(minor))
const milli = (q: number) => (q / 1000).toFixed(3)

function lineOf(charge: ChargeRow, lease: LeaseRow, spaces: string): InvoiceLineInput {
  const detail = charge.detail as Record<string, unknown>
  if (charge.kind === 'rent') {
    const segments = (detail.segments ?? []) as { from: string; to: string; days: number; rentMinor: number }[]
    const days = detail.daysInMonth as number
    const parts = segments.map((s) => `${s.from.slice(8)}-${s.to.slice(8)}: ${s.days}/${days} días a ${money(s.rentMinor, charge.currency)}`)
    return {
      description: `${KIND_LABEL.rent} ${charge.period}, ${spaces} (${parts.join('; ')})`.slice(0, 500),
      quantityMilli: 1000, unitMinor: charge.amount_minor!, taxRateBp: lease.rent_tax_rate_bp, sourceType: 'leasing_charge', sourceId: charge.id,
    }
  }
  const readings = (detail.readings ?? []) as MeterReadings[]
  const tariff = detail.tariff as { priceMinor: number; taxRateBp: number }
  const resolution = detail.resolution as { quantityMilli: number; estimated: boolean } | undefined
  const unit = UNIT[readings[0]?.unit ?? 'kwh']
  const shown = readings.map((r) => r.start && r.end
    ? `${r.deviceId}/${r.metric} ${r.start.value} (${r.start.time.slice(0, 16)}Z) a ${r.end.value} (${r.end.time.slice(0, 16)}Z)`
    : `${r.deviceId}/${r.metric} sin lectura`)
  const how = resolution ? (resolution.estimated ? ` Estimado: ${charge.resolution_note}` : ` Lectura manual: ${charge.resolution_note}`) : ''
  const quantity = resolution?.quantityMilli ?? (detail.quantityMilli as number)
  return {
    description: `${KIND_LABEL[charge.kind]} ${charge.period}, ${spaces}: ${milli(quantity)} ${unit}. Lecturas / Readings: ${shown.join('; ')}.${how}`.slice(0, 500),
    quantityMilli: quantity, unitMinor: tariff.priceMinor, taxRateBp: tariff.taxRateBp, sourceType: 'leasing_charge', sourceId: charge.id, detail: { readings, resolution },
  }
}

async function issueOnce(db: Kysely<Database>, orgId: string, input: Parameters<typeof issueInvoice>[2], actor: Parameters<typeof issueInvoice>[3]) {
  try {
    return await issueInvoice(db, orgId, input, actor)
  } catch (err) {
    // Two runs at once: the loser of the source key's unique constraint gets the winner's invoice.
    if (pgCode(err) === '23505') return issueInvoice(db, orgId, input, actor)
    throw err
  }
}

/** The lease's billing day on or after the issue date. */
export function dueDateOf(issueDate: string, billingDay: number): string {
  const inMonth = `${issueDate.slice(0, 7)}-${String(billingDay).padStart(2, '0')}`
  return inMonth >= issueDate ? inMonth : addMonths(inMonth, 1)
}

export interface InvoiceRunResult {
  period: string
  invoices: number
  existing: number
  heldForReview: number
}

/** Invoices the period's charges not invoiced yet, lease by lease. Idempotent. */
export async function invoicePeriod(db: Kysely<Database>, period: string, opts: { orgId?: string; now: Date; actor?: FastifyRequest }): Promise<InvoiceRunResult> {
  const result = { period, invoices: 0, existing: 0, heldForReview: 0 }
  const actor = opts.actor ? auditContext(opts.actor).actor : { type: 'system' as const, id: null }
  const issueDate = opts.now.toISOString().slice(0, 10)
  for (const lease of await leasesInPeriod(db, period, opts.orgId)) {
    const charges = await leasingDb(db).selectFrom('leasing_charges').selectAll().where('lease_id', '=', lease.id).where('period', '=', period).orderBy('kind').execute()
    const held = charges.filter((c) => c.status === 'needs_review')
    // A line needs a positive quantity: a zero month (a closed space) has nothing to invoice.
    const open = charges.filter((c) => c.status !== 'needs_review' && c.invoice_ref === null && (c.amount_minor ?? 0) > 0)
    result.heldForReview += held.length
    if (open.length === 0) continue
    const codes = await leasingDb(db).selectFrom('leasing_lease_spaces as ls').innerJoin('leasing_spaces as s', 's.id', 'ls.space_id').select('s.code').where('ls.lease_id', '=', lease.id).orderBy('s.code').execute()
    const spaces = `local ${codes.map((c) => c.code).join(', ')}`
    const alreadyInvoiced = charges.some((c) => c.invoice_ref !== null)
    const byCurrency = new Map<string, ChargeRow[]>()
    for (const c of open) byCurrency.set(c.currency, [...(byCurrency.get(c.currency) ?? []), c])
    for (const [currency, group] of byCurrency) {
      const base = `lease:${lease.id}:${period}`
      const sourceKey = alreadyInvoiced ? `${base}:${group.map((c) => c.kind).join('+')}` : currency === lease.currency ? base : `${base}:${currency}`
      const notes = held.length
        ? `Cargos en revisión, no facturados / Charges under review, not invoiced: ${held.map((c) => `${KIND_LABEL[c.kind]} (${c.review_reason})`).join('; ')}`.slice(0, 2000)
        : undefined
      await db.transaction().execute(async (trx) => {
        const invoice = await issueOnce(trx, lease.org_id, {
          contactId: lease.tenant_contact_id, currency: currency as Currency, issueDate, dueDate: dueDateOf(issueDate, lease.billing_day), sourceKey,
          lines: group.map((c) => lineOf(c, lease, spaces)), ...(notes ? { notes } : {}),
        }, actor)
        await leasingDb(trx).updateTable('leasing_charges').set({ invoice_ref: invoice.id }).where('id', 'in', group.map((c) => c.id)).where('invoice_ref', 'is', null).execute()
        if (invoice.created) result.invoices += 1
        else result.existing += 1
      })
    }
  }
  return result
}
