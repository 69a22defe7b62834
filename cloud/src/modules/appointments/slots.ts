import type { Db } from '../../plugins/db/database.js'
import { addDays, localDate, localIso } from '../reports/zone.js'
import { blockedSpan, freeStarts, openSpans, type DateException, type ServiceTiming, type Span, type WeeklyRange } from './availability.js'
import { badWindow, professionalNotFound, serviceNotOffered } from './errors.js'
import * as repo from './repository.js'
import type { SlotsReply, SlotView } from './schema.js'
import type { ProfessionalRow, ServiceRow } from './tables.js'

/** Slot search: the starts a service fits at, per professional, in a window of at most 31 days. */

export const MAX_WINDOW_MS = 31 * 86_400_000
const DAY = 86_400_000

export const timingOf = (s: ServiceRow): ServiceTiming => ({ durationMin: s.duration_min, bufferBeforeMin: s.buffer_before_min, bufferAfterMin: s.buffer_after_min })

export function checkWindow(from: number, to: number): void {
  if (from >= to) throw badWindow('from: must be before to')
  if (to - from > MAX_WINDOW_MS) throw badWindow('to: at most 31 days after from')
}

/** A professional's open spans in a window, from their weekly hours and exceptions in their zone. */
export async function professionalOpenSpans(db: Db, pro: ProfessionalRow, window: Span): Promise<Span[]> {
  const weekly: WeeklyRange[] = (await repo.weeklyHours(db, [pro.id])).map((r) => ({ weekday: r.weekday, startMin: r.start_min, endMin: r.end_min }))
  const fromDate = addDays(localDate(window.from, pro.time_zone), -1)
  const toDate = addDays(localDate(window.to, pro.time_zone), 1)
  const exceptions: DateException[] = (await repo.exceptionsBetween(db, [pro.id], fromDate, toDate)).map((e) => ({
    date: e.date,
    kind: e.kind,
    startMin: e.start_min,
    endMin: e.end_min,
  }))
  return openSpans(window, pro.time_zone, weekly, exceptions)
}

/**
 * Spans of open waiting-list offers: held for the client offered them, so public booking
 * treats them as taken until the hold ends (staff can still book over a hold).
 */
export async function heldSpans(db: Db, orgId: string, professionalIds: string[], now: Date): Promise<Map<string, Span[]>> {
  const out = new Map<string, Span[]>()
  const offers = await repo.openOffers(db, professionalIds, now)
  for (const o of offers) {
    const service = await repo.findService(db, orgId, o.service_id)
    if (!service) continue
    const { blocked } = blockedSpan(o.start.getTime(), timingOf(service))
    out.set(o.professional_id, [...(out.get(o.professional_id) ?? []), blocked])
  }
  return out
}

export interface SlotSearch {
  service: ServiceRow
  professionalId?: string | undefined
  /** Only these professionals (a booking page's); undefined for all. */
  allowed?: string[] | undefined
  from: number
  to: number
  stepMin: number
  notBefore: number
  honourHolds: boolean
  now: Date
}

export async function candidates(db: Db, orgId: string, service: ServiceRow, professionalId: string | undefined, allowed: string[] | undefined): Promise<ProfessionalRow[]> {
  const offering = await repo.professionalsOffering(db, orgId, service.id)
  if (professionalId !== undefined) {
    const pro = await repo.findProfessional(db, orgId, professionalId)
    if (!pro || pro.archived_at || (allowed && !allowed.includes(pro.id))) throw professionalNotFound()
    if (!offering.some((p) => p.id === pro.id)) throw serviceNotOffered()
    return [pro]
  }
  return allowed ? offering.filter((p) => allowed.includes(p.id)) : offering
}

export async function searchSlots(db: Db, orgId: string, q: SlotSearch): Promise<SlotsReply> {
  checkWindow(q.from, q.to)
  const pros = await candidates(db, orgId, q.service, q.professionalId, q.allowed)
  const timing = timingOf(q.service)
  // Bookings whose buffers reach into the window count too.
  const busy = await repo.busySpans(db, pros.map((p) => p.id), { from: q.from - DAY, to: q.to + DAY })
  const held = q.honourHolds ? await heldSpans(db, orgId, pros.map((p) => p.id), q.now) : new Map<string, Span[]>()
  const slots: SlotView[] = []
  for (const pro of pros) {
    const open = await professionalOpenSpans(db, pro, { from: q.from, to: q.to })
    const taken = [...(busy.get(pro.id) ?? []), ...(held.get(pro.id) ?? [])]
    for (const start of freeStarts(open, taken, timing, q.stepMin, q.notBefore)) {
      const { end } = blockedSpan(start, timing)
      slots.push({ start: new Date(start).toISOString(), end: new Date(end).toISOString(), localStart: localIso(start, pro.time_zone), professionalId: pro.id })
    }
  }
  slots.sort((a, b) => (a.start === b.start ? a.professionalId.localeCompare(b.professionalId) : a.start < b.start ? -1 : 1))
  return { serviceId: q.service.id, slots }
}
