import Type from 'typebox'
import { AccessReason, CardId, CurrencyCode, MinorUnits, PaymentReason } from './access.js'
import { EpochMs, STATE_KEY_PATTERN } from './telemetry.js'

const CommandId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' })

/**
 * Every command carries an id (for the ack) and an expiry: a device that reconnects
 * after the expiry must drop the command instead of acting on stale intent.
 */
const commandBase = {
  id: CommandId,
  issuedAt: EpochMs,
  expiresAt: EpochMs,
}

export const RelaySetCommand = Type.Object(
  {
    ...commandBase,
    kind: Type.Literal('relay.set'),
    relay: Type.String({ pattern: STATE_KEY_PATTERN }),
    on: Type.Boolean(),
  },
  { additionalProperties: false },
)
export type RelaySetCommand = Type.Static<typeof RelaySetCommand>

export const SetpointSetCommand = Type.Object(
  {
    ...commandBase,
    kind: Type.Literal('setpoint.set'),
    name: Type.String({ pattern: STATE_KEY_PATTERN }),
    value: Type.Number(),
  },
  { additionalProperties: false },
)
export type SetpointSetCommand = Type.Static<typeof SetpointSetCommand>

/**
 * Tells a node what each relay must do on its own when it loses the gateway (MQTT
 * keepalive expired, gateway process dead): `off`/`on`, or a duty cycle so a compressor
 * keeps a cold room roughly cold. Sent by the gateway every time the node connects.
 */
export const FailsafeSetCommand = Type.Object(
  {
    ...commandBase,
    kind: Type.Literal('failsafe.set'),
    relay: Type.String({ pattern: STATE_KEY_PATTERN }),
    mode: Type.Union([Type.Literal('off'), Type.Literal('on'), Type.Literal('duty')]),
    /** For `duty`: seconds on, then seconds off, repeating. */
    onSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    offSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
  },
  { additionalProperties: false },
)
export type FailsafeSetCommand = Type.Static<typeof FailsafeSetCommand>

/**
 * The gateway's answer to an RFID swipe: the reader opens the door or shows the refusal.
 * Also sent for a remote opening from the cloud (`reason: 'remote_open'`, no card).
 */
export const AccessResultCommand = Type.Object(
  {
    ...commandBase,
    kind: Type.Literal('access.result'),
    /** Absent for a remote opening. */
    cardId: Type.Optional(CardId),
    doorId: Type.String({ minLength: 1, maxLength: 64 }),
    allow: Type.Boolean(),
    reason: AccessReason,
    /** How long to hold the door unlocked; absent: the reader's own default. */
    seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 })),
  },
  { additionalProperties: false },
)
export type AccessResultCommand = Type.Static<typeof AccessResultCommand>

/** The gateway's answer to a cashless charge request from a bar terminal. */
export const ChargeResultCommand = Type.Object(
  {
    ...commandBase,
    kind: Type.Literal('charge.result'),
    txId: Type.String({ minLength: 1, maxLength: 64 }),
    cardId: CardId,
    approved: Type.Boolean(),
    reason: PaymentReason,
    balanceMinor: MinorUnits,
    currency: CurrencyCode,
  },
  { additionalProperties: false },
)
export type ChargeResultCommand = Type.Static<typeof ChargeResultCommand>

export const Command = Type.Union([RelaySetCommand, SetpointSetCommand, FailsafeSetCommand, AccessResultCommand, ChargeResultCommand])
export type Command = Type.Static<typeof Command>

export const CommandAck = Type.Object(
  {
    id: CommandId,
    ts: Type.Optional(EpochMs),
    ok: Type.Boolean(),
    /** Why the device refused or failed, e.g. `expired`, `unknown_relay`. */
    error: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
)
export type CommandAck = Type.Static<typeof CommandAck>
