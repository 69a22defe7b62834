import { describe, expect, it } from 'vitest'
import { ApiError } from '../../api/client.js'
import { bookingErrorKey, checkClient, isSlotTaken, slotsByDay } from './booking.js'
import { addDays, formatClock, formatLocalDate, isoWeekday, localToday, splitLocal, utcLabel, weekStart, zonedInstant, newIdempotencyKey } from './clock.js'
import { badRanges, checkService, slugify, toMinor } from './setup.js'

describe('wall-clock time in the professional zone', () => {
  it('reads the cloud localStart as date, clock and offset', () => {
    expect(splitLocal('2026-11-23T09:00:00-03:00')).toEqual({ date: '2026-11-23', time: '09:00', offset: '-03:00' })
    expect(splitLocal('2026-11-23T09:30:00Z')).toEqual({ date: '2026-11-23', time: '09:30', offset: '+00:00' })
    expect(utcLabel('-03:00')).toBe('UTC−03:00')
  })

  it('finds the instant a local day starts, across DST changes', () => {
    expect(new Date(zonedInstant('2026-11-23', '00:00', 'America/Argentina/Buenos_Aires')).toISOString()).toBe('2026-11-23T03:00:00.000Z')
    // Madrid: CET in winter, CEST in summer; the spring-forward day starts at 23:00Z the day before.
    expect(new Date(zonedInstant('2027-01-10', '09:00', 'Europe/Madrid')).toISOString()).toBe('2027-01-10T08:00:00.000Z')
    expect(new Date(zonedInstant('2027-07-10', '09:00', 'Europe/Madrid')).toISOString()).toBe('2027-07-10T07:00:00.000Z')
    expect(new Date(zonedInstant('2027-03-28', '00:00', 'Europe/Madrid')).toISOString()).toBe('2027-03-27T23:00:00.000Z')
    expect(new Date(zonedInstant('2027-03-28', '09:00', 'Europe/Madrid')).toISOString()).toBe('2027-03-28T07:00:00.000Z')
  })

  it('walks calendar days and weeks', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
    expect(addDays('2027-03-01', -1)).toBe('2027-02-28')
    expect(isoWeekday('2026-11-23')).toBe(1)
    expect(isoWeekday('2026-11-29')).toBe(7)
    expect(weekStart('2026-11-29')).toBe('2026-11-23')
    expect(localToday('America/Argentina/Buenos_Aires', Date.parse('2026-11-24T02:00:00Z'))).toBe('2026-11-23')
  })

  it('words dates and clocks in the locale, whatever the browser zone', () => {
    expect(formatClock('09:05', 'es-AR')).toBe('09:05')
    expect(formatClock('21:00', 'en')).toMatch(/09:00\s?PM/)
    expect(formatLocalDate('2026-11-23', 'es-AR', { weekday: 'long', day: 'numeric', month: 'long' })).toBe('lunes, 23 de noviembre')
  })

  it('makes idempotency keys the cloud accepts', () => {
    const key = newIdempotencyKey()
    expect(key).toMatch(/^[A-Za-z0-9_.:-]{8,128}$/)
    expect(newIdempotencyKey()).not.toBe(key)
  })
})

describe('booking form checks', () => {
  it('asks for a name, a valid email and a plausible phone', () => {
    expect(checkClient({ name: 'A', email: 'ana@', phone: 'abc' })).toEqual({ name: 'booking.errors.name', email: 'booking.errors.email', phone: 'booking.errors.phone' })
    expect(checkClient({ name: 'Ana', email: 'ana@example.com', phone: '' })).toEqual({})
    expect(checkClient({ name: 'Ana', email: '', phone: '+54 11 5555-1234' }, false)).toEqual({})
  })

  it('groups slots by the professional day and shows each time once for anyone', () => {
    const slot = (start: string, localStart: string, professionalId: string) => ({ start, end: start, localStart, professionalId })
    const slots = [
      slot('2026-11-24T12:00:00Z', '2026-11-24T09:00:00-03:00', 'b'),
      slot('2026-11-24T12:00:00Z', '2026-11-24T09:00:00-03:00', 'a'),
      slot('2026-11-24T02:30:00Z', '2026-11-23T23:30:00-03:00', 'a'),
    ]
    const any = slotsByDay(slots, true)
    expect(any.map((d) => d.date)).toEqual(['2026-11-23', '2026-11-24'])
    expect(any[1]!.slots.map((s) => s.time)).toEqual(['09:00'])
    expect(slotsByDay(slots, false)[1]!.slots).toHaveLength(2)
  })

  it('words the cloud refusals', () => {
    expect(bookingErrorKey(new ApiError(409, 'SLOT_TAKEN', ''))).toBe('booking.apiErrors.SLOT_TAKEN')
    expect(bookingErrorKey(new ApiError(0, 'NETWORK_ERROR', ''))).toBe('errors.NETWORK_ERROR')
    expect(bookingErrorKey(new Error('x'))).toBe('errors.UNKNOWN')
    expect(isSlotTaken(new ApiError(409, 'SLOT_TAKEN', ''))).toBe(true)
  })
})

describe('setup form checks', () => {
  it('reads prices as people write them, into minor units', () => {
    expect(toMinor('15.000,50', 'ARS')).toBe(1_500_050)
    expect(toMinor('1500.5', 'ARS')).toBe(150_050)
    expect(toMinor('$ 12.000', 'COP')).toBe(1_200_000)
    expect(toMinor('0', 'ARS')).toBe(0)
    expect(toMinor('5000', 'CLP')).toBe(5000)
    expect(toMinor('doce', 'ARS')).toBeNull()
    expect(toMinor('', 'ARS')).toBeNull()
  })

  it('checks a service as the cloud will', () => {
    expect(checkService({ name: '', duration: '3', before: '-1', after: '300', price: 'x', currency: 'ARS' })).toEqual({
      name: 'appointments.services.errors.name',
      duration: 'appointments.services.errors.duration',
      before: 'appointments.services.errors.buffer',
      after: 'appointments.services.errors.buffer',
      price: 'appointments.services.errors.price',
    })
    expect(checkService({ name: 'Corte', duration: '45', before: '0', after: '10', price: '8000', currency: 'ARS' })).toEqual({})
  })

  it('finds weekly ranges that end before they start', () => {
    expect(badRanges([{ weekday: 1, start: '09:00', end: '13:00' }, { weekday: 1, start: '14:00', end: '14:00' }, { weekday: 2, start: '18:00', end: '24:00' }, { weekday: 3, start: '9', end: '10:00' }])).toEqual([1, 3])
  })

  it('makes a page address from its title', () => {
    expect(slugify('Turnos Clínica San Martín')).toBe('turnos-clinica-san-martin')
    expect(slugify('  Peluquería Ñandú! ')).toBe('peluqueria-nandu')
  })
})

describe('the agenda status filter in the query', () => {
  it('reads Spanish words, ignores anything else, and leaves "all" out', async () => {
    const { statusFromQuery, statusToQuery, AGENDA_STATUSES } = await import('./filters.js')
    expect(statusFromQuery('pendiente')).toBe('pending')
    expect(statusFromQuery(['ausente', 'x'])).toBe('no_show')
    expect(statusFromQuery('pending')).toBe('')
    expect(statusFromQuery(undefined)).toBe('')
    expect(statusToQuery('')).toBeUndefined()
    for (const s of AGENDA_STATUSES) expect(statusFromQuery(statusToQuery(s))).toBe(s)
  })
})
