import Type from 'typebox'
import { Severity } from '@tendero/protocol'
import { Page, PageQuery } from '../common/pagination.js'
import { CommandStatus } from '../fleet/schema.js'
import { AlarmItem } from '../sites/schema.js'

const EpochMs = Type.Integer({ minimum: 0 })

export const AlarmActionParams = Type.Object({
  siteId: Type.String({ maxLength: 64 }),
  alarmId: Type.String({ minLength: 1, maxLength: 160 }),
})

/** The body is optional: an owner on a phone just taps. */
export const AlarmActionBody = Type.Union([
  Type.Object({ note: Type.Optional(Type.String({ maxLength: 500, description: 'Why, in the user\'s words; kept with the command and in the audit trail' })) }, { additionalProperties: false }),
  Type.Null(),
])
export type AlarmActionBody = Type.Static<typeof AlarmActionBody>

export const ALARM_ACTIONS = ['ack', 'clear'] as const
export type AlarmAction = (typeof ALARM_ACTIONS)[number]

/**
 * The answer to an acknowledge or clear: the command sent down to the gateway, not the
 * alarm's new state. The alarm changes when the gateway has applied it and its own log
 * event comes back up through ingest (then the site's `alarm` push carries it). The
 * command's outcome is at GET /api/gateways/:gatewayId/commands/:commandId.
 */
export const AlarmCommandView = Type.Object({
  commandId: Type.String(),
  siteId: Type.String(),
  alarmId: Type.String(),
  action: Type.Union([Type.Literal('ack'), Type.Literal('clear')]),
  gatewayId: Type.String(),
  /** `sent`: handed to the gateway's open channel; `pending`: the gateway is offline and gets it when it reconnects, until expiresAt. */
  status: CommandStatus,
  gatewayOnline: Type.Boolean(),
  by: Type.String(),
  createdAt: EpochMs,
  expiresAt: EpochMs,
  /** The gateway's reason when it refused (`failed`) or the command expired. */
  result: Type.Union([Type.String(), Type.Null()]),
})
export type AlarmCommandView = Type.Static<typeof AlarmCommandView>

export const OrgAlarmsQuery = Type.Object(
  {
    ...PageQuery,
    /** `active` (default, as on the site's list): raised or acknowledged. */
    state: Type.Optional(
      Type.Union([Type.Literal('active'), Type.Literal('raised'), Type.Literal('acknowledged'), Type.Literal('cleared'), Type.Literal('all')]),
    ),
    severity: Type.Optional(Severity),
    siteId: Type.Optional(Type.String({ maxLength: 64 })),
    /** Alarms whose last change falls in [from, to], epoch ms. */
    from: Type.Optional(EpochMs),
    to: Type.Optional(EpochMs),
  },
  { additionalProperties: false },
)
export type OrgAlarmsQuery = Type.Static<typeof OrgAlarmsQuery>

/** A site's alarm item, with the site it belongs to. */
export const OrgAlarmItem = Type.Object({ ...AlarmItem.properties, siteId: Type.String(), siteName: Type.String() })
export type OrgAlarmItem = Type.Static<typeof OrgAlarmItem>
export const OrgAlarmPage = Page(OrgAlarmItem)
