import { sql } from 'kysely'
import type { Db } from '../../plugins/db/database.js'
import { isCurrency, toDecimal } from '../common/money.js'
import { badWindow, windowTooLong } from './errors.js'
import type { FunnelReport } from './schema.js'
import { crmDb } from './tables.js'

/**
 * Funnel and conversion over a window [from, to) (epoch ms; default the last 90 days),
 * from the stage history alone:
 * - entered: distinct deals with a stay in the stage that began in the window;
 * - conversionToNextPct: entered(next active stage) / entered(this one), in % with one
 *   decimal (a deal that skips a stage counts only where it entered);
 * - avgDaysInStage: mean length of the stays that began in the window and have ended
 *   (a move, or the close: closing from another stage passes through the closing stage
 *   with a zero-length stay);
 * - won / lost: deals closed in the window, count and value per currency (never summed
 *   across currencies), and the win rate over both.
 * Deleted stages appear after the active ones, only when they have entries in the window.
 */
const DAY_MS = 86_400_000
const MAX_WINDOW_MS = 3 * 366 * DAY_MS

export function reportWindow(q: { from?: number | undefined; to?: number | undefined }, now = Date.now(), defaultDays = 90) {
  const to = q.to ?? now
  const from = q.from ?? to - defaultDays * DAY_MS
  if (from >= to) throw badWindow()
  if (to - from > MAX_WINDOW_MS) throw windowTooLong()
  return { from, to }
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits

export async function funnelReport(db: Db, orgId: string, q: { from?: number | undefined; to?: number | undefined }): Promise<FunnelReport> {
  const { from, to } = reportWindow(q)
  const crm = crmDb(db)
  const fromDate = new Date(from)
  const toDate = new Date(to)
  const stages = await crm.selectFrom('crm_stages').select(['id', 'name', 'position', 'deleted_at']).where('org_id', '=', orgId)
    .orderBy(sql`deleted_at is not null`).orderBy('position').orderBy('id').execute()
  const entered = await crm.selectFrom('crm_deal_stage_history')
    .select(['stage_id', sql<number>`count(distinct deal_id)`.as('n')])
    .where('org_id', '=', orgId).where('entered_at', '>=', fromDate).where('entered_at', '<', toDate).groupBy('stage_id').execute()
  const stays = await crm.selectFrom('crm_deal_stage_history')
    .select(['stage_id', sql<string>`avg(extract(epoch from (left_at - entered_at)))`.as('seconds')])
    .where('org_id', '=', orgId).where('entered_at', '>=', fromDate).where('entered_at', '<', toDate).where('left_at', 'is not', null)
    .groupBy('stage_id').execute()
  const closed = await crm.selectFrom('crm_deals')
    .select(['status', 'currency', (eb) => eb.fn.countAll<number>().as('n'), sql<string>`sum(value_minor)`.as('total')])
    .where('org_id', '=', orgId).where('status', '<>', 'open').where('closed_at', '>=', fromDate).where('closed_at', '<', toDate)
    .groupBy(['status', 'currency']).orderBy('currency').execute()

  const enteredBy = new Map(entered.map((r) => [r.stage_id, Number(r.n)]))
  const daysBy = new Map(stays.map((r) => [r.stage_id, round(Number(r.seconds) / 86_400, 2)]))
  const visible = stages.filter((s) => s.deleted_at === null || enteredBy.has(s.id))
  const active = visible.filter((s) => s.deleted_at === null)
  const report: FunnelReport['stages'] = visible.map((s) => {
    const n = enteredBy.get(s.id) ?? 0
    const i = active.indexOf(s)
    const next = i >= 0 ? active[i + 1] : undefined
    return {
      stageId: s.id,
      name: s.name,
      position: s.position,
      deleted: s.deleted_at !== null,
      entered: n,
      conversionToNextPct: next && n > 0 ? round(((enteredBy.get(next.id) ?? 0) / n) * 100, 1) : null,
      avgDaysInStage: daysBy.get(s.id) ?? null,
    }
  })
  const money = (status: 'won' | 'lost') =>
    closed.filter((r) => r.status === status).map((r) => ({ currency: r.currency, count: Number(r.n), valueMinor: Number(r.total) }))
  const won = money('won')
  const lost = money('lost')
  const wonCount = won.reduce((s, r) => s + r.count, 0)
  const lostCount = lost.reduce((s, r) => s + r.count, 0)
  return {
    from, to, stages: report, won, lost, wonCount, lostCount,
    winRatePct: wonCount + lostCount > 0 ? round((wonCount / (wonCount + lostCount)) * 100, 1) : null,
  }
}

const FORMULA_START = /^[=+\-@\t\r]/
function cell(value: string | number | null): string {
  if (value === null) return ''
  const text = typeof value === 'number' ? String(value).replace('.', ',') : FORMULA_START.test(value) ? `'${value}` : value
  return /[;"\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export const FUNNEL_CSV_HEADER = [
  'Sección / Section', 'Etapa / Stage', 'Posición / Position', 'Ingresaron / Entered', 'Conversión a la siguiente (%) / Conversion to next (%)',
  'Días promedio en la etapa / Avg days in stage', 'Moneda / Currency', 'Negocios / Deals', 'Valor / Value',
]

/**
 * One flat table, so a spreadsheet filter never separates a row from its section: a row
 * per stage, then one per outcome and currency. `;` between fields and a decimal comma
 * (Excel in es-AR / es-CO opens it with a double click), UTF-8 with BOM, CRLF.
 */
export function funnelCsv(report: FunnelReport): string {
  const line = (cells: (string | number | null)[]) => cells.map(cell).join(';') + '\r\n'
  let out = '\uFEFF' + line(FUNNEL_CSV_HEADER)
  for (const s of report.stages) {
    out += line(['Etapa / Stage', s.deleted ? `${s.name} (eliminada / deleted)` : s.name, s.position + 1, s.entered, s.conversionToNextPct, s.avgDaysInStage, null, null, null])
  }
  for (const [label, rows] of [['Ganados / Won', report.won], ['Perdidos / Lost', report.lost]] as const) {
    for (const r of rows) {
      const value = isCurrency(r.currency) ? toDecimal(r.valueMinor, r.currency) : String(r.valueMinor)
      out += line([label, null, null, null, null, null, r.currency, r.count, value.replace('.', ',')])
    }
  }
  return out
}

/**
 * Leads created in the window by source and period (UTC day, ISO week or month): contacts
 * that are leads now, or that lead capture created (they may have become customers since).
 */
export async function leadsBySource(db: Db, orgId: string, q: { from?: number | undefined; to?: number | undefined; bucket?: 'day' | 'week' | 'month' | undefined }) {
  const { from, to } = reportWindow(q)
  const bucket = q.bucket ?? 'week'
  const period = sql<string>`to_char(date_trunc(${sql.lit(bucket)}, contacts.created_at at time zone 'UTC'), 'YYYY-MM-DD')`
  const rows = await crmDb(db).selectFrom('contacts')
    .select([period.as('period'), sql<string>`coalesce(contacts.source, '')`.as('source'), (eb) => eb.fn.countAll<number>().as('n')])
    .where('contacts.org_id', '=', orgId).where('contacts.created_at', '>=', new Date(from)).where('contacts.created_at', '<', new Date(to))
    .where((eb) => eb.or([
      eb('contacts.kind', '=', 'lead'),
      eb.exists(eb.selectFrom('crm_lead_attempts').select('crm_lead_attempts.id').whereRef('crm_lead_attempts.contact_id', '=', 'contacts.id').where('crm_lead_attempts.outcome', '=', 'created')),
    ]))
    .groupBy([sql`1`, sql`2`]).orderBy(sql`1`).orderBy(sql`2`).execute()
  return { from, to, bucket, rows: rows.map((r) => ({ period: r.period, source: r.source || '(sin fuente / none)', leads: Number(r.n) })) }
}
