import { describe, expect, it } from 'vitest'
import { isValidTimeZone, localTime, withinWindows } from './local-time.js'

const BA = 'America/Argentina/Buenos_Aires' // UTC-3, no DST
const nightClub = [{ days: ['fri' as const, 'sat' as const], from: '23:00', to: '06:00' }]

describe('door schedules in the site time zone', () => {
  it('reads weekday and minute in the site zone, not UTC', () => {
    // 2025-11-22T02:30Z is Friday 23:30 in Buenos Aires and already Saturday in UTC.
    const t = Date.UTC(2025, 10, 22, 2, 30)
    expect(localTime(t, BA)).toEqual({ day: 'fri', minute: 23 * 60 + 30 })
    expect(localTime(t, 'UTC')).toEqual({ day: 'sat', minute: 2 * 60 + 30 })
  })

  it('a window past midnight belongs to the day it starts', () => {
    expect(withinWindows(nightClub, { day: 'fri', minute: 23 * 60 })).toBe(true)
    expect(withinWindows(nightClub, { day: 'sat', minute: 5 * 60 + 59 })).toBe(true) // Friday's night
    expect(withinWindows(nightClub, { day: 'sun', minute: 5 * 60 })).toBe(true) // Saturday's night
    expect(withinWindows(nightClub, { day: 'sat', minute: 6 * 60 })).toBe(false) // `to` is exclusive
    expect(withinWindows(nightClub, { day: 'fri', minute: 5 * 60 })).toBe(false) // Thursday night is closed
    expect(withinWindows(nightClub, { day: 'mon', minute: 1 * 60 })).toBe(false)
    expect(withinWindows(nightClub, { day: 'fri', minute: 22 * 60 + 59 })).toBe(false)
  })

  it('same-day windows and a whole day up to 24:00', () => {
    const office = [
      { days: ['mon' as const], from: '09:00', to: '18:00' },
      { days: ['sun' as const], from: '00:00', to: '24:00' },
    ]
    expect(withinWindows(office, { day: 'mon', minute: 9 * 60 })).toBe(true)
    expect(withinWindows(office, { day: 'mon', minute: 18 * 60 })).toBe(false)
    expect(withinWindows(office, { day: 'tue', minute: 10 * 60 })).toBe(false)
    expect(withinWindows(office, { day: 'sun', minute: 0 })).toBe(true)
    expect(withinWindows(office, { day: 'sun', minute: 1439 })).toBe(true)
    expect(withinWindows(office, { day: 'mon', minute: 0 })).toBe(false)
  })

  it('knows real IANA zones from typos', () => {
    expect(isValidTimeZone(BA)).toBe(true)
    expect(isValidTimeZone('America/Buenos_Ayres_Typo')).toBe(false)
  })
})
