import type { FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import { lineNet, taxOf } from '../common/money.js'
import { auditContext, recordAudit } from '../identity/audit.js'
import { startOfLocalDay } from '../reports/zone.js'
import { chargeView, findCharge, leasesInPeriod, type RunResult } from './charges.js'
import { chargeNotInReview, badInput, noTariff } from './errors.js'
import { lastDay } from './leases.js'
import { addDays, consumptionMilli, periodBounds } from './rent.js'
import * as repo from './repository.js'
import type { SourcedReading } from './repository.js'
import type { ChargeView, ResolveBody } from './schema.js'
import { leasingDb, type ChargeKind, type MeterKind, type MeterRow } from './tables.js'

/**
 * Metered utilities: a space's energy or water sub-meter is a counter a device publishes
 * as telemetry (the simulator's energy meter sends `energy_kwh`; a water meter a volume
 * counter in m³ or litres). A month's consumption is the counter at the period's end minus
 * the counter at its start, each from the reading closest to the boundary (local midnight
 * on the meter's site) within READING_TOLERANCE_MS. Times the tariff, it becomes the
 * lease's utility charge, which keeps the readings it came from.
 *
 * A month with a hole in it is never billed as zero, nor silently: the charge is written
 * with status `needs_review`, no amount and the reason, when a boundary has no reading
 * near it, the counter went down (a reset or a swapped meter), the gateway recorded a
 * data gap (`data_gaps`) on the device within the month, or discarded events for good
 * (`absent_ranges`) between the two readings, or the readings stop for longer
 * than MAX_SILENCE_MS. A person resolves it with a reading taken on site or an estimate.
 */

export const READING_TOLERANCE_MS = 6 * 3_600_000
export const MAX_SILENCE_MS = 24 * 3_600_000

const CHARGE_KIND: Record<MeterKind, ChargeKind> = { energy: 'utility_energy', water: 'utility_water' }

interface Reading {
  value: number
  time: string
}

export interface MeterReadings {
  meterId: string
  spaceId: string
  siteId: string
  deviceId: string
  metric: string
  unit: MeterRow['unit']
  start: Reading | null
  end: Reading | null
  quantityMilli: number | null
  problem: string | null
}

/** What is wrong with the readings between two times, or null. */
async function readingProblem(db: Kysely<Database>, meter: MeterRow, start: SourcedReading, end: SourcedReading): Promise<string | null> {
  const from = new Date(start.time)
  const to = new Date(end.time)
  const steps = await repo.counterSteps(db, meter, from, to)
  if (steps.drops > 0) return `counter went down ${steps.drops} time(s) within the period (reset or meter change)`
  if (steps.silenceS !== null && steps.silenceS * 1000 > MAX_SILENCE_MS) return `no readings for ${Math.round(steps.silenceS / 3600)} h within the period`
  const gap = await repo.dataGapBetween(db, meter, from, to)
  if (gap) return `the gateway recorded a data gap (${gap.reason}) from ${gap.from_time.toISOString()} to ${gap.to_time.toISOString()}`
  // Events the gateway discarded for good (its disk budget) between the two readings: the
  // seqs say when, though not which device, so any such range on the meter's gateway counts.
  if (start.gatewayId === end.gatewayId) {
    const absent = await repo.absentRangeBetween(db, start.gatewayId, start.seq, end.seq)
    if (absent) return `the gateway discarded events ${absent.from_seq}-${absent.to_seq} between the two readings`
  }
  return null
}

export async function meterReadings(db: Kysely<Database>, meter: MeterRow, fromMs: number, toMs: number): Promise<MeterReadings> {
  const start = await repo.closestReading(db, meter, fromMs, READING_TOLERANCE_MS)
  const end = await repo.closestReading(db, meter, toMs, READING_TOLERANCE_MS)
  const shown = (r: SourcedReading | null): Reading | null => (r ? { value: r.value, time: r.time } : null)
  const base = { meterId: meter.id, spaceId: meter.space_id, siteId: meter.site_id, deviceId: meter.device_id, metric: meter.metric, unit: meter.unit, start: shown(start), end: shown(end) }
  if (!start) return { ...base, quantityMilli: null, problem: `no reading within 6 h of the start (${new Date(fromMs).toISOString()})` }
  if (!end) return { ...base, quantityMilli: null, problem: `no reading within 6 h of the end (${new Date(toMs).toISOString()})` }
  if (end.value < start.value) return { ...base, quantityMilli: null, problem: 'the counter went down: lower at the end than at the start (reset or meter change)' }
  const problem = await readingProblem(db, meter, start, end)
  return { ...base, quantityMilli: problem ? null : consumptionMilli(start.value, end.value, meter.unit), problem }
}

/**
 * Writes the period's utility charges (one per lease and utility that has meters on its
 * spaces). Run after the period ended; idempotent like the rent run.
 */
export async function runUtilities(db: Kysely<Database>, period: string, opts: { orgId?: string; actor?: FastifyRequest } = {}): Promise<RunResult> {
  const result = { period, created: 0, existing: 0, needsReview: 0 }
  const ldb = leasingDb(db)
  const { first, last } = periodBounds(period)
  for (const lease of await leasesInPeriod(db, period, opts.orgId)) {
    const meters = await ldb
      .selectFrom('leasing_meters as m')
      .innerJoin('leasing_lease_spaces as ls', 'ls.space_id', 'm.space_id')
      .selectAll('m')
      .where('ls.lease_id', '=', lease.id)
      .orderBy('m.id')
      .execute()
    if (meters.length === 0) continue
    const fromDay = lease.starts_on > first ? lease.starts_on : first
    const toDay = addDays(lastDay(lease) < last ? lastDay(lease) : last, 1)
    for (const kind of ['energy', 'water'] as const) {
      const ofKind = meters.filter((m) => m.kind === kind)
      if (ofKind.length === 0) continue
      const exists = await ldb.selectFrom('leasing_charges').select('id').where('lease_id', '=', lease.id).where('period', '=', period).where('kind', '=', CHARGE_KIND[kind]).executeTakeFirst()
      if (exists) {
        result.existing += 1
        continue
      }
      const readings: MeterReadings[] = []
      for (const meter of ofKind) {
        const tz = (await repo.siteTimezone(db, meter.site_id)) ?? 'UTC'
        readings.push(await meterReadings(db, meter, startOfLocalDay(fromDay, tz), startOfLocalDay(toDay, tz)))
      }
      const tariff = await ldb.selectFrom('leasing_tariffs').selectAll().where('mall_id', '=', lease.mall_id).where('kind', '=', kind).executeTakeFirst()
      const problems = readings.filter((r) => r.problem).map((r) => `${r.deviceId}/${r.metric}: ${r.problem}`)
      if (!tariff) problems.push(`the mall has no ${kind} tariff`)
      const quantityMilli = problems.length ? null : readings.reduce((a, r) => a + r.quantityMilli!, 0)
      const amount = quantityMilli === null ? null : lineNet(quantityMilli, tariff!.price_minor)
      const row = await ldb.insertInto('leasing_charges').values({
        org_id: lease.org_id, lease_id: lease.id, period, kind: CHARGE_KIND[kind], currency: tariff?.currency ?? lease.currency,
        amount_minor: amount, tax_minor: amount === null ? 0 : taxOf(amount, tariff!.tax_rate_bp),
        status: amount === null ? 'needs_review' : 'ok', review_reason: problems.length ? problems.join('; ') : null,
        detail: JSON.stringify({ from: fromDay, to: toDay, quantityMilli, unit: kind === 'energy' ? 'kWh' : 'm3', readings,
          tariff: tariff ? { priceMinor: tariff.price_minor, taxRateBp: tariff.tax_rate_bp, currency: tariff.currency } : null }),
      }).onConflict((oc) => oc.columns(['lease_id', 'period', 'kind']).doNothing()).returning(['id', 'status']).executeTakeFirst()
      if (!row) {
        result.existing += 1
        continue
      }
      result.created += 1
      if (row.status === 'needs_review') result.needsReview += 1
      await recordAudit(db, {
        ...(opts.actor ? auditContext(opts.actor) : { actor: { type: 'system', id: null } }),
        orgId: lease.org_id, action: 'leasing.utility.charge', target: { type: 'leasing_charge', id: row.id },
        after: { leaseId: lease.id, period, kind, amountMinor: amount, problems },
      })
    }
  }
  return result
}

/**
 * Resolves a utility charge that needs review: both counter values read on site (one
 * meter), or an estimated consumption in thousandths of the unit, with a note. The amount
 * comes from the tariff the charge was computed with (or the mall's current one).
 */
export async function resolveCharge(db: Kysely<Database>, request: FastifyRequest, id: string, body: ResolveBody): Promise<ChargeView> {
  const orgId = request.user.orgId
  const charge = await findCharge(db, orgId, id)
  if (charge.status !== 'needs_review' || charge.kind === 'rent') throw chargeNotInReview()
  const detail = charge.detail as { readings: MeterReadings[]; tariff: { priceMinor: number; taxRateBp: number; currency: string } | null }
  let quantityMilli: number
  if (body.estimatedQuantityMilli !== undefined) quantityMilli = body.estimatedQuantityMilli
  else {
    if (body.startValue === undefined || body.endValue === undefined) throw badInput('give startValue and endValue, or estimatedQuantityMilli')
    if (detail.readings.length !== 1) throw badInput('several meters: give estimatedQuantityMilli for the whole charge')
    if (body.endValue < body.startValue) throw badInput('endValue: lower than startValue')
    quantityMilli = consumptionMilli(body.startValue, body.endValue, detail.readings[0]!.unit)
  }
  let tariff = detail.tariff
  if (!tariff) {
    const lease = await leasingDb(db).selectFrom('leasing_leases').select('mall_id').where('id', '=', charge.lease_id).executeTakeFirstOrThrow()
    const kind = charge.kind === 'utility_energy' ? 'energy' : 'water'
    const row = await leasingDb(db).selectFrom('leasing_tariffs').selectAll().where('mall_id', '=', lease.mall_id).where('kind', '=', kind).executeTakeFirst()
    if (!row) throw noTariff(kind)
    tariff = { priceMinor: row.price_minor, taxRateBp: row.tax_rate_bp, currency: row.currency }
  }
  const amount = lineNet(quantityMilli, tariff.priceMinor)
  const resolution = { quantityMilli, startValue: body.startValue ?? null, endValue: body.endValue ?? null, estimated: body.estimatedQuantityMilli !== undefined }
  const row = await db.transaction().execute(async (trx) => {
    const updated = await leasingDb(trx).updateTable('leasing_charges').set({
      amount_minor: amount, tax_minor: taxOf(amount, tariff.taxRateBp), currency: tariff.currency, status: 'resolved', resolution_note: body.note,
      resolved_by: request.user.kind === 'api_key' ? null : request.user.id, resolved_at: new Date(),
      detail: JSON.stringify({ ...detail, tariff, resolution }),
    }).where('id', '=', id).where('status', '=', 'needs_review').returningAll().executeTakeFirst()
    if (!updated) throw chargeNotInReview()
    await recordAudit(trx, { ...auditContext(request), action: 'leasing.charge.resolve', target: { type: 'leasing_charge', id },
      before: { status: charge.status, reviewReason: charge.review_reason }, after: { status: 'resolved', amountMinor: amount, note: body.note, ...resolution } })
    return updated
  })
  return chargeView(row)
}
