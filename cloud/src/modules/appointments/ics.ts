/**
 * An iCalendar feed (RFC 5545) of one professional's bookings, for Google Calendar,
 * Outlook or Apple Calendar to subscribe to. Times are UTC (`...Z`, RFC 5545 3.3.5 form
 * 2), so no VTIMEZONE is needed. Lines end in CRLF and are folded at 75 octets (3.1),
 * never inside a UTF-8 sequence; TEXT values escape backslash, semicolon, comma and
 * newlines (3.3.11).
 */

export interface IcsEvent {
  uid: string
  start: Date
  end: Date
  summary: string
  description?: string
  status: 'TENTATIVE' | 'CONFIRMED' | 'CANCELLED'
  /** Bumped when the booking changes, so calendars take the new version (3.8.7.4). */
  sequence: number
  updatedAt: Date
}

export function icsText(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r\n|\r|\n/g, '\\n')
}

/** 20261123T120000Z */
export function icsDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
}

/** Folds one content line into 75-octet pieces, continuation lines starting with a space. */
export function foldLine(line: string): string {
  const out: string[] = []
  let current = ''
  let octets = 0
  // The first line holds 75 octets; continuations 74 plus the leading space.
  let limit = 75
  for (const ch of line) {
    const size = Buffer.byteLength(ch, 'utf8')
    if (octets + size > limit) {
      out.push(current)
      current = ' '
      octets = 1
      limit = 75
    }
    current += ch
    octets += size
  }
  out.push(current)
  return out.join('\r\n')
}

export function buildCalendar(opts: { name: string; now: Date; events: IcsEvent[] }): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Tendero//Turnos//ES',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${icsText(opts.name)}`,
  ]
  for (const e of opts.events) {
    lines.push(
      'BEGIN:VEVENT',
      `UID:${e.uid}`,
      `DTSTAMP:${icsDate(opts.now)}`,
      `DTSTART:${icsDate(e.start)}`,
      `DTEND:${icsDate(e.end)}`,
      `SUMMARY:${icsText(e.summary)}`,
      ...(e.description ? [`DESCRIPTION:${icsText(e.description)}`] : []),
      `STATUS:${e.status}`,
      `SEQUENCE:${e.sequence}`,
      `LAST-MODIFIED:${icsDate(e.updatedAt)}`,
      'END:VEVENT',
    )
  }
  lines.push('END:VCALENDAR')
  return lines.map(foldLine).join('\r\n') + '\r\n'
}
