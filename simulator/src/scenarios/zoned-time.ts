/**
 * Local wall time in a scenario's time zone, through Intl (DST included), so a scenario's
 * "10:00" is 10:00 where the shop is, the same way the gateway's rule schedules read it.
 */

export const DEFAULT_SCENARIO_TIME_ZONE = 'America/Argentina/Buenos_Aires'

const formatters = new Map<string, Intl.DateTimeFormat>()

function parts(epochMs: number, timeZone: string): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number> {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(timeZone, f)
  }
  const out: Record<string, number> = {}
  for (const p of f.formatToParts(epochMs)) if (p.type !== 'literal') out[p.type] = Number(p.value)
  return out as Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number>
}

/** The zone's offset from UTC at `epochMs`, ms (-3 h in Buenos Aires). */
function offsetAt(epochMs: number, timeZone: string): number {
  const p = parts(epochMs, timeZone)
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second)
  return asUtc - Math.floor(epochMs / 1000) * 1000
}

/** `HH:MM` of `epochMs` in the zone. */
export function zonedClock(epochMs: number, timeZone: string): string {
  const p = parts(epochMs, timeZone)
  return `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`
}

/**
 * The epoch ms of local `hhmm` on the local calendar day of `dayOf` in the zone (the day
 * a scenario's simulated clock starts). A time skipped by a DST change resolves forward.
 */
export function zonedEpoch(hhmm: string, timeZone: string, dayOf: number = Date.now()): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number]
  const p = parts(dayOf, timeZone)
  const guess = Date.UTC(p.year, p.month - 1, p.day, h, m)
  // Two passes settle the offset on either side of a DST change.
  let epoch = guess - offsetAt(guess, timeZone)
  epoch = guess - offsetAt(epoch, timeZone)
  return epoch
}
