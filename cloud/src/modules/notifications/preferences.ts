import { Severity, SEVERITIES } from '@tendero/protocol'
import Type from 'typebox'

/**
 * A user's notification preferences: which alarm severities reach them on which channel,
 * the phone number WhatsApp and SMS go to, and quiet hours in their local time. Pure
 * functions only; the database keeps the document as it is (notification_preferences).
 */

export const PERSON_CHANNELS = ['email', 'whatsapp', 'sms'] as const
export type PersonChannel = (typeof PERSON_CHANNELS)[number]

const SeverityList = Type.Array(Severity, { maxItems: SEVERITIES.length, uniqueItems: true })
const ChannelPrefs = Type.Object(
  {
    enabled: Type.Boolean(),
    /** Alarm severities sent on this channel. */
    severities: SeverityList,
  },
  { additionalProperties: false },
)
const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'Local time, HH:MM (24 h)' })

export const NotificationPrefs = Type.Object(
  {
    channels: Type.Object({ email: ChannelPrefs, whatsapp: ChannelPrefs, sms: ChannelPrefs }, { additionalProperties: false }),
    /** E.164, for WhatsApp and SMS. */
    phone: Type.Union([Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$' }), Type.Null()]),
    /** IANA zone for quiet hours; null = the alarm's site's zone. */
    timeZone: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]),
    /** Nothing is sent between start and end (local time; may wrap midnight); it waits until end. */
    quietHours: Type.Union([
      Type.Object(
        {
          start: HHMM,
          end: HHMM,
          /** Critical and emergency alarms go out at once even in quiet hours. */
          allowCritical: Type.Boolean(),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
  },
  { additionalProperties: false },
)
export type NotificationPrefs = Type.Static<typeof NotificationPrefs>

/** What a user gets before saving anything: email for warnings and worse, no quiet hours. */
export function defaultPrefs(): NotificationPrefs {
  return {
    channels: {
      email: { enabled: true, severities: ['warning', 'critical', 'emergency'] },
      whatsapp: { enabled: false, severities: ['critical', 'emergency'] },
      sms: { enabled: false, severities: ['emergency'] },
    },
    phone: null,
    timeZone: null,
    quietHours: null,
  }
}

export const isUrgent = (severity: Severity): boolean => severity === 'critical' || severity === 'emergency'

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** Channels an alarm of `severity` goes to for this user (those with an address). */
export function channelsFor(prefs: NotificationPrefs, severity: Severity): PersonChannel[] {
  return PERSON_CHANNELS.filter((channel) => {
    const p = prefs.channels[channel]
    if (!p.enabled || !p.severities.includes(severity)) return false
    return channel === 'email' || prefs.phone !== null
  })
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

/** Minutes since local midnight (with seconds as a fraction) at `now` in `zone`. */
export function localMinutes(now: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
    .formatToParts(new Date(now))
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0)
  return get('hour') * 60 + get('minute') + get('second') / 60
}

/**
 * When a notification held by quiet hours may go out: undefined when it may go now.
 * `severity` null is a message without one (a rule's notify), which quiet hours hold.
 * Counted in minutes on the local clock, so a DST change inside the window moves the
 * end by that hour; Argentina has none.
 */
export function quietUntil(prefs: NotificationPrefs, severity: Severity | null, zone: string, now: number): Date | undefined {
  const quiet = prefs.quietHours
  if (!quiet) return undefined
  if (quiet.allowCritical && severity !== null && isUrgent(severity)) return undefined
  const start = minutesOf(quiet.start)
  const end = minutesOf(quiet.end)
  if (start === end) return undefined
  const local = localMinutes(now, zone)
  const inside = start < end ? local >= start && local < end : local >= start || local < end
  if (!inside) return undefined
  const wait = (end - local + 24 * 60) % (24 * 60)
  return new Date(now + Math.ceil(wait * 60_000))
}
