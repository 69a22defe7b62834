import type { Kysely } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import { DEFAULT_LIMIT, decodeCursor, pageOf } from '../common/pagination.js'
import { queueMail } from '../mail/queue.js'
import { findMall, isUuid } from './catalog.js'
import { badInput } from './errors.js'
import { lastDay, todayUtc } from './leases.js'
import { addDays, daysBetween, isIsoDate } from './rent.js'
import type { OccupancyView, RentIncomeView } from './schema.js'
import * as repo from './repository.js'

/** Occupancy, expirations and their reminders, and the rent income report's figures. */

type OccRow = OccupancyView['total']
const pct = (occupied: number, total: number): number => (total === 0 ? 0 : Math.round((occupied * 10_000) / total) / 100)

/**
 * Occupancy on a day: a space is occupied when a lease holds it that day (terminated
 * leases up to their termination). Square metres and counts, by zone and by space type.
 */
export async function occupancy(db: Kysely<Database>, orgId: string, q: { at?: string; mallId?: string }): Promise<OccupancyView> {
  const at = q.at ?? todayUtc()
  if (!isIsoDate(at)) throw badInput('at: not a calendar date')
  if (q.mallId) await findMall(db, orgId, q.mallId)
  const spaces = await repo.spacesWithOccupancy(db, orgId, at, q.mallId)
  const group = (key: (s: (typeof spaces)[number]) => [string, string]) => {
    const out = new Map<string, OccRow>()
    for (const s of spaces) {
      const [k, name] = key(s)
      const row = out.get(k) ?? { key: k, name, occupiedCentiM2: 0, totalCentiM2: 0, occupiedPct: 0, occupiedSpaces: 0, totalSpaces: 0 }
      row.totalCentiM2 += s.area_centi_m2
      row.totalSpaces += 1
      if (s.occupied) {
        row.occupiedCentiM2 += s.area_centi_m2
        row.occupiedSpaces += 1
      }
      out.set(k, row)
    }
    return [...out.values()].map((r) => ({ ...r, occupiedPct: pct(r.occupiedCentiM2, r.totalCentiM2) })).sort((a, b) => a.name.localeCompare(b.name))
  }
  const total = group(() => ['total', 'Total'])[0] ?? { key: 'total', name: 'Total', occupiedCentiM2: 0, totalCentiM2: 0, occupiedPct: 0, occupiedSpaces: 0, totalSpaces: 0 }
  return {
    at,
    total,
    byZone: group((s) => [s.zone_id ?? 'none', s.zone_name ?? 'Sin zona']),
    byType: group((s) => [s.type, s.type]),
  }
}

const isExpCursor = (v: unknown): v is [string, string] => Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && isIsoDate(v[0]) && isUuid(v[1])

/**
 * Leases whose last day falls within the next `within` days (from `at`, default today),
 * soonest first. A lease already renewed into a new term is left out: it does not expire.
 */
export async function expirations(db: Kysely<Database>, orgId: string, q: { within?: number; at?: string; cursor?: string; limit?: number }) {
  const at = q.at ?? todayUtc()
  const until = addDays(at, q.within ?? 90)
  const after = decodeCursor(q.cursor, isExpCursor)
  const limit = q.limit ?? DEFAULT_LIMIT
  const rows = await repo.expiringLeases(db, { orgId, at, until, after, limit: limit + 1 })
  const codes = await repo.spaceCodes(db, rows.map((r) => r.id))
  return pageOf(rows, limit, (r) => ({
    leaseId: r.id, tenantName: r.tenant_name, endsOn: r.last_day, daysLeft: daysBetween(at, r.last_day), spaces: codes.get(r.id) ?? [], rentMinor: r.rent_minor, currency: r.currency,
  }), (r) => [r.last_day, r.id])
}

export const EXPIRY_THRESHOLDS = [90, 60, 30] as const

/**
 * Queues expiry reminders at 90, 60 and 30 days before a lease's last day, to the
 * tenant's email and to the organization's admins. Only the nearest threshold reached is
 * sent (a lease created 40 days before its end gets the 60-day notice, not the 90-day
 * one too); the dedup key (lease, threshold, recipient) makes reruns queue nothing more.
 */
export async function queueExpiryReminders(db: Kysely<Database>, now: Date): Promise<{ queued: number }> {
  const at = todayUtc(now)
  const leases = await repo.expiringLeases(db, { at, until: addDays(at, 90) })
  let queued = 0
  for (const lease of leases) {
    const daysLeft = daysBetween(at, lease.last_day)
    const threshold = [...EXPIRY_THRESHOLDS].reverse().find((t) => daysLeft <= t)!
    const admins = await repo.adminEmails(db, lease.org_id)
    const codes = (await repo.spaceCodes(db, [lease.id])).get(lease.id) ?? []
    const recipients = [...new Set([lease.tenant_email, ...admins].filter((e): e is string => !!e))]
    for (const to of recipients) {
      const ok = await queueMail(db, {
        orgId: lease.org_id,
        to,
        kind: 'leasing.expiry',
        dedupKey: `lease-expiry:${lease.id}:${threshold}:${to}`,
        subject: `Vencimiento de contrato en ${daysLeft} días / Lease expires in ${daysLeft} days: ${lease.tenant_name}`,
        text:
          `El contrato de ${lease.tenant_name} (locales ${codes.join(', ')}) vence el ${lease.last_day}, en ${daysLeft} días.\n` +
          `Para renovarlo, contacte a la administración del centro comercial.\n\n` +
          `The lease of ${lease.tenant_name} (spaces ${codes.join(', ')}) ends on ${lease.last_day}, in ${daysLeft} days.`,
      })
      if (ok) queued += 1
    }
  }
  return { queued }
}

/** Rent and utilities charged per period, currency, zone and kind (a lease over several zones counts under its first space's zone). */
export async function rentIncome(db: Kysely<Database>, orgId: string, from: string, to: string): Promise<RentIncomeView> {
  if (from > to) throw badInput('from: after to')
  const out = (await repo.chargedByZone(db, orgId, from, to)).map((r) => ({ ...r, zone: r.zone ?? 'Sin zona' }))
  const totals = new Map<string, number>()
  for (const r of out) totals.set(r.currency, (totals.get(r.currency) ?? 0) + r.amountMinor)
  return { from, to, rows: out, totals: [...totals].sort().map(([currency, amountMinor]) => ({ currency, amountMinor })) }
}

export { lastDay }
