import Type, { type Static } from 'typebox'

/**
 * Wall-clock time in the site's time zone, through Intl (DST included), so the gateway
 * needs no time zone database of its own and its UTC clock stays the only clock. Shared
 * by rule schedules and door schedules, so both read a window the same way.
 */

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Weekday = (typeof WEEKDAYS)[number]
export const DEFAULT_TIME_ZONE = 'America/Argentina/Buenos_Aires'

const HHMM = '^([01][0-9]|2[0-3]):[0-5][0-9]$'
export const TimeWindowSchema = Type.Object(
  {
    days: Type.Array(Type.Union(WEEKDAYS.map((d) => Type.Literal(d)) as [ReturnType<typeof Type.Literal<Weekday>>]), {
      minItems: 1,
      maxItems: 7,
      uniqueItems: true,
    }),
    /** Local `HH:MM`, inclusive. */
    from: Type.String({ pattern: HHMM }),
    /** Local `HH:MM`, exclusive (`24:00` = to midnight); earlier than `from` means the window crosses midnight. */
    to: Type.String({ pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$' }),
  },
  { additionalProperties: false },
)
export type TimeWindow = Static<typeof TimeWindowSchema>

export interface LocalTime {
  day: Weekday
  /** Minutes since local midnight, 0-1439. */
  minute: number
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone })
    return true
  } catch {
    return false
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>()
const SHORT: Record<string, Weekday> = { Mon: 'mon', Tue: 'tue', Wed: 'wed', Thu: 'thu', Fri: 'fri', Sat: 'sat', Sun: 'sun' }

// Local time only changes once a minute (every zone in use has whole-minute offsets), and
// a dry run over a week asks for it 600k times: remember the last answer per zone.
const lastAnswer = new Map<string, { minute: number; t: LocalTime }>()

export function localTime(epochMs: number, timeZone: string): LocalTime {
  const utcMinute = Math.floor(epochMs / 60_000)
  const cached = lastAnswer.get(timeZone)
  if (cached?.minute === utcMinute) return cached.t
  const t = formatLocal(epochMs, timeZone)
  lastAnswer.set(timeZone, { minute: utcMinute, t })
  return t
}

function formatLocal(epochMs: number, timeZone: string): LocalTime {
  let fmt = formatters.get(timeZone)
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    formatters.set(timeZone, fmt)
  }
  let day: Weekday = 'mon'
  let hour = 0
  let minute = 0
  for (const part of fmt.formatToParts(epochMs)) {
    if (part.type === 'weekday') day = SHORT[part.value] ?? day
    else if (part.type === 'hour') hour = Number(part.value) % 24
    else if (part.type === 'minute') minute = Number(part.value)
  }
  return { day, minute: hour * 60 + minute }
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))
const previousDay = (day: Weekday) => WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7]!

/**
 * Whether `t` is inside one of the windows. A window belongs to the day it starts on:
 * `fri 22:00-06:00` covers Friday night up to Saturday 06:00.
 */
export function withinWindows(windows: TimeWindow[], t: LocalTime): boolean {
  return windows.some((w) => {
    const from = toMinutes(w.from)
    const to = toMinutes(w.to)
    if (from < to) return w.days.includes(t.day) && t.minute >= from && t.minute < to
    return (w.days.includes(t.day) && t.minute >= from) || (w.days.includes(previousDay(t.day)) && t.minute < to)
  })
}
