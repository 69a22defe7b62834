import { describe, expect, it } from 'vitest'
import { buildCalendar, foldLine, icsDate, icsText } from './ics.js'

describe('iCalendar writing (RFC 5545)', () => {
  it('escapes TEXT values', () => {
    expect(icsText('a\\b; c, d\ne')).toBe('a\\\\b\\; c\\, d\\ne')
  })

  it('writes UTC date-times without separators or milliseconds', () => {
    expect(icsDate(new Date('2027-03-02T12:00:00.123Z'))).toBe('20270302T120000Z')
  })

  it('folds at 75 octets without splitting a UTF-8 character, and unfolds to the original', () => {
    const line = `SUMMARY:${'ñ'.repeat(100)}`
    const folded = foldLine(line)
    const parts = folded.split('\r\n')
    expect(parts.length).toBeGreaterThan(1)
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(75)
    for (const p of parts.slice(1)) expect(p.startsWith(' ')).toBe(true)
    expect(parts.map((p, i) => (i === 0 ? p : p.slice(1))).join('')).toBe(line)
    expect(foldLine('SHORT:x')).toBe('SHORT:x')
  })

  it('ends every line with CRLF, the last one too', () => {
    const body = buildCalendar({ name: 'Turnos', now: new Date(0), events: [] })
    expect(body).toBe('BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Tendero//Turnos//ES\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:Turnos\r\nEND:VCALENDAR\r\n')
  })
})
