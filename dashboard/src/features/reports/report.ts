// What the reports view needs besides the cloud's answer: the site's days, the verdict's
// tone and the lists of a fridge's day in the order an inspector reads them.
import type { BadgeTone } from '../../components/BaseBadge.vue'
import type { FridgeReport, ReportBand, ReportExcursion, ReportGap, ReportLang, ReportVerdict } from '../../api/reports.js'

const DAY_MS = 86_400_000

/** The calendar day (YYYY-MM-DD) of `epochMs` on the clock of `timeZone`. */
export function localDay(epochMs: number, timeZone: string): string {
  // en-CA writes dates as YYYY-MM-DD.
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(epochMs)
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  return `${get('year')}-${get('month')}-${get('day')}`
}

/** A calendar day `days` after `day` (negative: before); plain date arithmetic, no zone. */
export function addDays(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(Date.UTC(y!, m! - 1, d!) + days * DAY_MS).toISOString().slice(0, 10)
}

export const todayIn = (timeZone: string, now = Date.now()): string => localDay(now, timeZone)

/** The report's default day: yesterday on the shop's clock, the last complete one. */
export const yesterdayIn = (timeZone: string, now = Date.now()): string => addDays(todayIn(timeZone, now), -1)

export const VERDICT_TONE: Record<ReportVerdict, BadgeTone> = { ok: 'success', excursion: 'danger', incomplete: 'warning' }

/** The report's language: the UI's (es-AR → es). */
export const reportLang = (locale: string): ReportLang => (locale.startsWith('en') ? 'en' : 'es')

/** The band in a fridge's words: its two limits, or the one it has. */
export type BandShape = { kind: 'range'; min: number; max: number } | { kind: 'atMost'; max: number } | { kind: 'atLeast'; min: number } | { kind: 'none' }

export function bandShape(band: Pick<ReportBand, 'minC' | 'maxC'>): BandShape {
  if (band.minC !== null && band.maxC !== null) return { kind: 'range', min: band.minC, max: band.maxC }
  if (band.maxC !== null) return { kind: 'atMost', max: band.maxC }
  if (band.minC !== null) return { kind: 'atLeast', min: band.minC }
  return { kind: 'none' }
}

/** One line of a fridge's day: an excursion or a gap, listed together by start. */
export type DayEvent = { type: 'excursion'; item: ReportExcursion } | { type: 'gap'; item: ReportGap }

/** Every excursion and gap of the day, by start (none left out, none merged). */
export function dayEvents(fridge: Pick<FridgeReport, 'excursions' | 'gaps'>): DayEvent[] {
  const events: DayEvent[] = [
    ...fridge.excursions.map((item) => ({ type: 'excursion' as const, item })),
    ...fridge.gaps.map((item) => ({ type: 'gap' as const, item })),
  ]
  return events.sort((a, b) => a.item.start - b.item.start || a.item.end - b.item.end)
}

/** Counts for a header line: how many fridges have each verdict. */
export function verdictCounts(fridges: readonly Pick<FridgeReport, 'verdict'>[]): Record<ReportVerdict, number> {
  const counts: Record<ReportVerdict, number> = { ok: 0, excursion: 0, incomplete: 0 }
  for (const f of fridges) counts[f.verdict]++
  return counts
}

/** Gaps that count as missing data (a downsampled stretch still has min/avg/max). */
export const missingGaps = (gaps: readonly ReportGap[]): ReportGap[] => gaps.filter((g) => g.kind !== 'downsampled')
