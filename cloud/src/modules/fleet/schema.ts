import Type from 'typebox'
import { CloudCommandIntent, DesiredConfigBody } from '@tendero/protocol'

const EpochMs = Type.Integer({ minimum: 0 })
const NullableEpochMs = Type.Union([EpochMs, Type.Null()])

export const GatewayParams = Type.Object({ id: Type.String({ maxLength: 64 }) })
export const CommandParams = Type.Object({ id: Type.String({ maxLength: 64 }), commandId: Type.String({ maxLength: 64 }) })

/** The site config shape; the gateway validates the rest (devices, rules, access) with its own parser. */
export const PutConfigBody = DesiredConfigBody

export const ConfigView = Type.Object({
  gatewayId: Type.String(),
  /** The latest desired config, null before the first PUT. */
  desired: Type.Union([
    Type.Object({ version: Type.Integer(), config: Type.Unknown(), createdAt: EpochMs, createdBy: Type.Union([Type.String(), Type.Null()]) }),
    Type.Null(),
  ]),
  /** What the gateway last said it runs (0 = its local site file) and why it refused a version, if it did. */
  reported: Type.Object({
    version: Type.Integer(),
    at: NullableEpochMs,
    error: Type.Union([Type.Object({ version: Type.Integer(), reason: Type.String() }), Type.Null()]),
  }),
})
export type ConfigView = Type.Static<typeof ConfigView>

export const COMMAND_MAX_TTL_S = 86_400

export const CreateCommandBody = Type.Object(
  {
    deviceId: Type.String({ minLength: 1, maxLength: 64 }),
    command: CloudCommandIntent,
    /** After this the gateway refuses it (acked `expired`) instead of acting late. */
    expiresInSeconds: Type.Integer({ minimum: 1, maximum: COMMAND_MAX_TTL_S }),
  },
  { additionalProperties: false },
)
export type CreateCommandBody = Type.Static<typeof CreateCommandBody>

export const CommandStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('sent'),
  Type.Literal('acked'),
  Type.Literal('failed'),
  Type.Literal('expired'),
])
export type CommandStatus = Type.Static<typeof CommandStatus>

export const CommandView = Type.Object({
  id: Type.String(),
  gatewayId: Type.String(),
  deviceId: Type.String(),
  command: Type.Unknown(),
  status: CommandStatus,
  /** The gateway's error for `failed`/`expired`, e.g. `expired` or `unknown device "x"`. */
  result: Type.Union([Type.String(), Type.Null()]),
  createdAt: EpochMs,
  expiresAt: EpochMs,
  sentAt: NullableEpochMs,
  doneAt: NullableEpochMs,
})
export type CommandView = Type.Static<typeof CommandView>
