import Type from 'typebox'
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

export const Command = Type.Union([RelaySetCommand, SetpointSetCommand])
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
