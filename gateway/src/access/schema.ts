import Type, { type Static } from 'typebox'
import { CARD_ID_PATTERN, CurrencyCode, DEVICE_ID_PATTERN } from '@tendero/protocol'
import { TimeWindowSchema } from '../local-time.js'

/**
 * The `access` block of the site config: doors with their readers and schedules, the
 * terminals that may charge or top up, and the cards. Everything the gateway needs to
 * decide a swipe or a charge with no cloud.
 */

const Minor = Type.Integer({ minimum: 0, maximum: 1_000_000_000_000 })
const DoorId = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' })

/** Open on `days` from `from` to `to`, local time, read like every schedule (see local-time.ts). */
export const ScheduleWindow = TimeWindowSchema
export type ScheduleWindow = Static<typeof ScheduleWindow>

const Door = Type.Object(
  {
    id: DoorId,
    name: Type.Optional(Type.String({ maxLength: 120 })),
    /** The reader that reports swipes for this door and gets the `access.result`. */
    deviceId: Type.String({ pattern: DEVICE_ID_PATTERN }),
    /** Absent: open at all hours to cards allowed on it. */
    schedule: Type.Optional(Type.Array(ScheduleWindow, { minItems: 1, maxItems: 32 })),
  },
  { additionalProperties: false },
)

const Terminal = Type.Object(
  {
    deviceId: Type.String({ pattern: DEVICE_ID_PATTERN }),
    /** The cashier: may also top cards up (`pos.topup`). Bar terminals only charge. */
    topup: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

const Card = Type.Object(
  {
    id: Type.String({ pattern: CARD_ID_PATTERN }),
    holder: Type.String({ minLength: 1, maxLength: 120 }),
    /** Door ids this card opens, or `*` for every door. */
    doors: Type.Union([Type.Literal('*'), Type.Array(DoorId, { maxItems: 64, uniqueItems: true })]),
    blocked: Type.Optional(Type.Boolean()),
    /** Opening balance, credited once when the card is first seen in the config. */
    balanceMinor: Type.Optional(Minor),
    /** Overrides the site's `offlineLimitMinor` for this card. */
    offlineLimitMinor: Type.Optional(Minor),
  },
  { additionalProperties: false },
)

export const AccessConfigSchema = Type.Object(
  {
    currency: CurrencyCode,
    /** What a card may spend in all while the cloud link is down, unless the card says otherwise. */
    offlineLimitMinor: Minor,
    /** The link counts as down once its last successful upload is this old and an upload has failed since (default 60). */
    offlineAfterSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    doors: Type.Array(Door, { maxItems: 256 }),
    terminals: Type.Optional(Type.Array(Terminal, { maxItems: 256 })),
    cards: Type.Array(Card, { maxItems: 100_000 }),
  },
  { additionalProperties: false },
)
export type AccessConfig = Static<typeof AccessConfigSchema>
export type DoorConfig = Static<typeof Door>
export type CardConfig = Static<typeof Card>
export type TerminalConfig = Static<typeof Terminal>

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

/** Card ids are compared the way readers disagree least: case-insensitively. */
export const normalizeCardId = (id: string) => id.toUpperCase()

/** Checks JSON Schema cannot express: duplicates and references to devices and doors. */
export function explainAccess(access: AccessConfig, deviceIds: Set<string>, path = '/access'): string[] {
  const reasons: string[] = []
  const doorIds = new Set<string>()
  access.doors.forEach((door, i) => {
    if (doorIds.has(door.id)) reasons.push(`${path}/doors/${i}/id: duplicate door id "${door.id}"`)
    doorIds.add(door.id)
    if (!deviceIds.has(door.deviceId)) reasons.push(`${path}/doors/${i}/deviceId: unknown device "${door.deviceId}"`)
    door.schedule?.forEach((w, j) => {
      if (minutes(w.from) === minutes(w.to))
        reasons.push(`${path}/doors/${i}/schedule/${j}/to: must differ from "from" (use 00:00-24:00 for a whole day)`)
    })
  })
  const terminals = new Set<string>()
  access.terminals?.forEach((t, i) => {
    if (terminals.has(t.deviceId)) reasons.push(`${path}/terminals/${i}/deviceId: duplicate terminal "${t.deviceId}"`)
    terminals.add(t.deviceId)
    if (!deviceIds.has(t.deviceId)) reasons.push(`${path}/terminals/${i}/deviceId: unknown device "${t.deviceId}"`)
  })
  const cardIds = new Set<string>()
  access.cards.forEach((card, i) => {
    const id = normalizeCardId(card.id)
    if (cardIds.has(id)) reasons.push(`${path}/cards/${i}/id: duplicate card id "${card.id}"`)
    cardIds.add(id)
    if (card.doors === '*') return
    card.doors.forEach((d, j) => {
      if (!doorIds.has(d)) reasons.push(`${path}/cards/${i}/doors/${j}: unknown door "${d}"`)
    })
  })
  return reasons
}
