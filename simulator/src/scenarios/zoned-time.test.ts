import { describe, expect, it } from 'vitest'
import { zonedClock, zonedEpoch } from './zoned-time.js'

describe('zoned time', () => {
  it('reads the local clock of the shop', () => {
    // Buenos Aires is UTC-3 all year.
    expect(zonedClock(Date.parse('2026-11-23T13:05:00Z'), 'America/Argentina/Buenos_Aires')).toBe('10:05')
    expect(zonedClock(Date.parse('2026-11-23T13:05:00Z'), 'America/Bogota')).toBe('08:05')
  })

  it('finds the epoch of a local time on a local day', () => {
    const day = Date.parse('2026-11-23T15:00:00Z')
    expect(new Date(zonedEpoch('07:00', 'America/Argentina/Buenos_Aires', day)).toISOString()).toBe('2026-11-23T10:00:00.000Z')
    expect(new Date(zonedEpoch('23:30', 'America/Bogota', day)).toISOString()).toBe('2026-11-24T04:30:00.000Z')
    // Across a DST change (Madrid, 2026-03-29 02:00 → 03:00): before and after it.
    const spring = Date.parse('2026-03-29T12:00:00Z')
    expect(new Date(zonedEpoch('01:00', 'Europe/Madrid', spring)).toISOString()).toBe('2026-03-29T00:00:00.000Z')
    expect(new Date(zonedEpoch('10:00', 'Europe/Madrid', spring)).toISOString()).toBe('2026-03-29T08:00:00.000Z')
  })
})
