import Type from 'typebox'
import { STATE_KEY_PATTERN, EpochMs } from './telemetry.js'
import { SyncStatus } from './sync.js'
import { compile } from './validate.js'

/**
 * The downlink of the sync contract (ARCHITECTURE.md, point 7): one WebSocket per
 * gateway, `GET /api/gateway/channel` on the cloud, authenticated with the gateway key as
 * `Authorization: Bearer <key>` like ingest. Every frame is one JSON object with a `type`.
 *
 * Cloud → gateway: `config` (the latest desired config, on connect and on every new
 * version), `command` (each pending, unexpired cloud command) and `config.request`.
 * Gateway → cloud: `config.status` (what became of a version), `command.ack`, `sync.status`
 * and `config.report` (the site config it runs).
 */

const DownlinkCommandId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' })
const DeviceId = Type.String({ minLength: 1, maxLength: 64 })

/**
 * The desired config has the gateway's site config shape (gatewayId, devices, rules,
 * access, timezone...). Only the gateway validates it in full (its own parseSiteConfig),
 * so the protocol pins down the envelope and leaves the body open.
 */
export const DesiredConfigBody = Type.Object(
  {
    gatewayId: Type.String({ minLength: 1, maxLength: 64 }),
    devices: Type.Array(Type.Unknown(), { maxItems: 1000 }),
    rules: Type.Array(Type.Unknown(), { maxItems: 1000 }),
  },
  { additionalProperties: true },
)

export const ConfigMessage = Type.Object(
  {
    type: Type.Literal('config'),
    version: Type.Integer({ minimum: 1 }),
    config: DesiredConfigBody,
  },
  { additionalProperties: false },
)
export type ConfigMessage = Type.Static<typeof ConfigMessage>

/** What a cloud user may ask a device to do; the gateway adds the device-level id and expiry. */
export const CloudCommandIntent = Type.Union([
  Type.Object(
    { kind: Type.Literal('relay.set'), relay: Type.String({ pattern: STATE_KEY_PATTERN }), on: Type.Boolean() },
    { additionalProperties: false },
  ),
  Type.Object(
    { kind: Type.Literal('setpoint.set'), name: Type.String({ pattern: STATE_KEY_PATTERN }), value: Type.Number() },
    { additionalProperties: false },
  ),
  /**
   * Opens an access-controlled door once, through the gateway's access controller (audited
   * like a card). The command's `deviceId` is the door's reader; `doorId` picks the door
   * when that reader serves more than one.
   */
  Type.Object(
    {
      kind: Type.Literal('door.open'),
      doorId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 })),
    },
    { additionalProperties: false },
  ),
])
export type CloudCommandIntent = Type.Static<typeof CloudCommandIntent>

/** The gateway's alarm id (AlarmChange.alarmId) and who acted, as AlarmChange.by carries it. */
const alarmAction = {
  alarmId: Type.String({ minLength: 1, maxLength: 160 }),
  by: Type.String({ minLength: 1, maxLength: 120 }),
  /** What the person wrote with it; kept with the command, not in the alarm's own history. */
  note: Type.Optional(Type.String({ maxLength: 500 })),
}

/**
 * A cloud user acknowledging or clearing one of the gateway's alarms. The gateway runs it
 * through its AlarmService exactly as its local API would, so the change is logged and
 * uplinked like any other and the cloud's mirror follows through ingest. The command's
 * `deviceId` is the alarm's device. These are not device commands: they are kept out of
 * CloudCommandIntent so the generic fleet command route cannot send them (alarms have
 * their own permission and routes), and only widen what a CommandMessage may carry.
 * A gateway older than these kinds drops the message as invalid and never answers; the
 * cloud command then ends `expired`.
 */
export const AlarmCommandIntent = Type.Union([
  Type.Object({ kind: Type.Literal('alarm.ack'), ...alarmAction }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('alarm.clear'), ...alarmAction }, { additionalProperties: false }),
])
export type AlarmCommandIntent = Type.Static<typeof AlarmCommandIntent>
export const ALARM_COMMAND_KINDS = ['alarm.ack', 'alarm.clear'] as const

/**
 * A cloud command. `expiresAt` is checked against the gateway's clock before anything is
 * done: one that expired while the gateway was offline is acked `expired`, never run late.
 */
export const CommandMessage = Type.Object(
  {
    type: Type.Literal('command'),
    id: DownlinkCommandId,
    deviceId: DeviceId,
    issuedAt: EpochMs,
    expiresAt: EpochMs,
    command: Type.Union([CloudCommandIntent, AlarmCommandIntent]),
  },
  { additionalProperties: false },
)
export type CommandMessage = Type.Static<typeof CommandMessage>

/**
 * The cloud asks for the site config the gateway runs; it answers `config.report` at once
 * and again whenever that config changes, for as long as the channel stays open. Sent on
 * every connect. A gateway older than this message drops it as invalid.
 */
export const ConfigRequestMessage = Type.Object({ type: Type.Literal('config.request') }, { additionalProperties: false })
export type ConfigRequestMessage = Type.Static<typeof ConfigRequestMessage>

export const DownlinkMessage = Type.Union([ConfigMessage, CommandMessage, ConfigRequestMessage])
export type DownlinkMessage = Type.Static<typeof DownlinkMessage>

/** The gateway's verdict on a config version. `reason` lists validation failures with their JSON paths. */
export const ConfigStatusMessage = Type.Object(
  {
    type: Type.Literal('config.status'),
    version: Type.Integer({ minimum: 1 }),
    ok: Type.Boolean(),
    reason: Type.Optional(Type.String({ maxLength: 4000 })),
    /** The version the gateway runs after this verdict (the last known good one on failure; 0 for none). */
    running: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
)
export type ConfigStatusMessage = Type.Static<typeof ConfigStatusMessage>

/** `error` is e.g. `expired`, `unknown_device`, or the send failure. */
export const CommandAckMessage = Type.Object(
  {
    type: Type.Literal('command.ack'),
    id: DownlinkCommandId,
    ok: Type.Boolean(),
    error: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
)
export type CommandAckMessage = Type.Static<typeof CommandAckMessage>

/** The gateway's sync health (sync contract 8), sent on connect and about every 10 s. */
export const SyncStatusMessage = Type.Object(
  { type: Type.Literal('sync.status'), status: SyncStatus },
  { additionalProperties: false },
)
export type SyncStatusMessage = Type.Static<typeof SyncStatusMessage>

export const UplinkChannelMessage = Type.Union([ConfigStatusMessage, CommandAckMessage, SyncStatusMessage])
export type UplinkChannelMessage = Type.Static<typeof UplinkChannelMessage>

/**
 * The site config the gateway runs, whole and already validated by it: the answer to
 * `config.request`, and sent again while the channel is open whenever it changes (a new
 * desired version applied, a rule edited on the local API). Until the
 * cloud has stored a desired version, this is the only copy of the gateway's config it
 * has, and what its editors start from. `running` is the desired version it came from
 * (0: the gateway's own site file, with the local API's rules).
 */
export const ConfigReportMessage = Type.Object(
  {
    type: Type.Literal('config.report'),
    running: Type.Integer({ minimum: 0 }),
    config: DesiredConfigBody,
  },
  { additionalProperties: false },
)
export type ConfigReportMessage = Type.Static<typeof ConfigReportMessage>

/** Everything a gateway may send on the channel (UplinkChannelMessage predates `config.report`). */
export const GatewayChannelMessage = Type.Union([ConfigStatusMessage, CommandAckMessage, SyncStatusMessage, ConfigReportMessage])
export type GatewayChannelMessage = Type.Static<typeof GatewayChannelMessage>

/** Close codes the cloud uses on the channel, so the gateway can tell a bad key from a restart. */
export const CHANNEL_CLOSE = { unauthorized: 4401, replaced: 4409 } as const

export const downlinkValidators = {
  downlink: compile(DownlinkMessage),
  upstream: compile(UplinkChannelMessage),
  /** What the cloud accepts from a gateway: UplinkChannelMessage plus `config.report`. */
  gatewayChannel: compile(GatewayChannelMessage),
  desiredConfig: compile(DesiredConfigBody),
  intent: compile(CloudCommandIntent),
  alarmIntent: compile(AlarmCommandIntent),
}
