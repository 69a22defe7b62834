import { WEEKDAYS, type ScheduleWindow, type Weekday } from './schema.js'

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
const SHORT_DAYS: Record<string, Weekday> = { Mon: 'mon', Tue: 'tue', Wed: 'wed', Thu: 'thu', Fri: 'fri', Sat: 'sat', Sun: 'sun' }

/** Weekday and minute of day in `timeZone` (IANA), DST included, via Intl: no tz database of our own. */
export function localTime(epochMs: number, timeZone: string): LocalTime {
  let fmt = formatters.get(timeZone)
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    formatters.set(timeZone, fmt)
  }
  let day: Weekday = 'mon'
  let hour = 0
  let minute = 0
  for (const part of fmt.formatToParts(epochMs)) {
    if (part.type === 'weekday') day = SHORT_DAYS[part.value] ?? day
    else if (part.type === 'hour') hour = Number(part.value) % 24
    else if (part.type === 'minute') minute = Number(part.value)
  }
  return { day, minute: hour * 60 + minute }
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))
const previousDay = (day: Weekday) => WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7]!

/**
 * Whether local time `t` falls in one of the windows. A window belongs to the day it
 * starts: `fri 22:00-06:00` covers Friday night up to Saturday 06:00, the way a night
 * club's Friday is spoken of. `from` is inclusive, `to` exclusive.
 */
export function withinSchedule(windows: ScheduleWindow[], t: LocalTime): boolean {
  return windows.some((w) => {
    const from = toMinutes(w.from)
    const to = toMinutes(w.to)
    if (from < to) return w.days.includes(t.day) && t.minute >= from && t.minute < to
    return (w.days.includes(t.day) && t.minute >= from) || (w.days.includes(previousDay(t.day)) && t.minute < to)
  })
}
