import Type from 'typebox'
import { CloudCommandIntent, DesiredConfigBody } from '@tendero/protocol'
import { Page, PageQuery } from '../common/pagination.js'
import { GatewayStatus } from '../sync/schema.js'

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

// ---- Provisioning (claim codes) -------------------------------------------------------

export const CLAIM_DEFAULT_TTL_H = 24
export const CLAIM_MAX_TTL_H = 7 * 24

export const SiteParams = Type.Object({ siteId: Type.String({ maxLength: 64 }) })

const GatewayName = Type.String({ minLength: 1, maxLength: 120 })

export const CreateClaimCodeBody = Type.Object(
  {
    /** The name the gateway will get (e.g. "Gateway depósito"); else the one it proposes, else its id. */
    name: Type.Optional(GatewayName),
    /** How long the code stays valid; default 24 h. */
    expiresInHours: Type.Optional(Type.Integer({ minimum: 1, maximum: CLAIM_MAX_TTL_H })),
  },
  { additionalProperties: false },
)
export type CreateClaimCodeBody = Type.Static<typeof CreateClaimCodeBody>

export const ClaimCodeView = Type.Object({
  id: Type.String(),
  /** Shown once: the cloud keeps only its hash. Typed on the gateway as GATEWAY_CLAIM_CODE. */
  code: Type.String(),
  siteId: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  expiresAt: EpochMs,
  createdAt: EpochMs,
})
export type ClaimCodeView = Type.Static<typeof ClaimCodeView>

export const ClaimCodeParams = Type.Object({ siteId: Type.String({ maxLength: 64 }), codeId: Type.String({ maxLength: 64 }) })

/** A code as lists show it: never the code itself, which only its creator saw. */
export const ClaimCodeItem = Type.Object({
  id: Type.String(),
  siteId: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  /** `open`: can still be claimed; `used`: a gateway claimed it (`gatewayId`); `expired`: past its time or revoked. */
  status: Type.Union([Type.Literal('open'), Type.Literal('used'), Type.Literal('expired')]),
  gatewayId: Type.Union([Type.String(), Type.Null()]),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: EpochMs,
  expiresAt: EpochMs,
  usedAt: NullableEpochMs,
})
export type ClaimCodeItem = Type.Static<typeof ClaimCodeItem>
export const ClaimCodeList = Page(ClaimCodeItem)
export const ClaimCodesQuery = Type.Object({ ...PageQuery })
export type ClaimCodesQuery = Type.Static<typeof ClaimCodesQuery>

export const ClaimBody = Type.Object(
  {
    /** As the technician read it; case, spaces and dashes do not matter. */
    code: Type.String({ minLength: 1, maxLength: 32 }),
    /** Used when the claim code carries no name. */
    name: Type.Optional(GatewayName),
    /** Serial number or MAC, kept for the technician. */
    hardwareId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    /**
     * A secret the gateway made up and kept before claiming. Presenting the same code and
     * nonce again, while the code is still within its validity, returns the same gateway
     * with a new key (the old one stops working): a reply lost on the way is not fatal.
     */
    nonce: Type.Optional(Type.String({ minLength: 16, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
)
export type ClaimBody = Type.Static<typeof ClaimBody>

export const ClaimReply = Type.Object({
  gatewayId: Type.String(),
  /** Returned once: the cloud stores only its hash. The gateway sends it as `Authorization: Bearer`. */
  gatewayKey: Type.String(),
  siteId: Type.String(),
  name: Type.String(),
})
export type ClaimReply = Type.Static<typeof ClaimReply>

// ---- Device registry -------------------------------------------------------------------

export const DeviceParams = Type.Object({ id: Type.String({ maxLength: 64 }), deviceId: Type.String({ maxLength: 64 }) })

const DeviceId = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' })
const DeviceName = Type.String({ minLength: 1, maxLength: 120 })
const DeviceKind = Type.String({ pattern: '^[a-z][a-z0-9_]{0,47}$' })

const Celsius = Type.Number({ minimum: -100, maximum: 200 })

/**
 * The temperature band a fridge must hold, °C, for the cold-chain report. A bound may be
 * null (a freezer has only a maximum); null as a whole means the default of the device's
 * kind (modules/reports/bands.ts). minC must be below maxC (DEVICE_BAD_COLD_BAND).
 */
export const ColdBand = Type.Object(
  { minC: Type.Union([Celsius, Type.Null()]), maxC: Type.Union([Celsius, Type.Null()]) },
  { additionalProperties: false },
)
export type ColdBand = Type.Static<typeof ColdBand>

export const DeviceView = Type.Object({
  id: Type.String(),
  gatewayId: Type.String(),
  siteId: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  coldBand: Type.Union([ColdBand, Type.Null()]),
})
export type DeviceView = Type.Static<typeof DeviceView>

export const DeviceList = Page(DeviceView)
export const DevicesQuery = Type.Object({ ...PageQuery })
export type DevicesQuery = Type.Static<typeof DevicesQuery>

export const CreateDeviceBody = Type.Object(
  { id: DeviceId, name: DeviceName, kind: DeviceKind, coldBand: Type.Optional(Type.Union([ColdBand, Type.Null()])) },
  { additionalProperties: false },
)
export type CreateDeviceBody = Type.Static<typeof CreateDeviceBody>

export const PatchDeviceBody = Type.Object(
  { name: Type.Optional(DeviceName), kind: Type.Optional(DeviceKind), coldBand: Type.Optional(Type.Union([ColdBand, Type.Null()])) },
  { additionalProperties: false, minProperties: 1 },
)
export type PatchDeviceBody = Type.Static<typeof PatchDeviceBody>

// ---- Gateway status ---------------------------------------------------------------------

export const GatewaysQuery = Type.Object({
  ...PageQuery,
  /** Only this site's gateways. */
  siteId: Type.Optional(Type.String({ maxLength: 64 })),
})
export type GatewaysQuery = Type.Static<typeof GatewaysQuery>

/**
 * One gateway in the fleet view: the sync health the site detail shows (sync/schema.ts),
 * the lag figures lifted to the top for lists, and desired vs reported config version.
 */
export const GatewaySummary = Type.Object({
  ...GatewayStatus.properties,
  /** Events the cloud has not acknowledged and the age of the oldest, as last reported; null before any report. */
  lagEvents: Type.Union([Type.Integer(), Type.Null()]),
  lagSeconds: Type.Union([Type.Number(), Type.Null()]),
  config: Type.Object({
    /** The latest desired version; null when the cloud never sent one. */
    desiredVersion: Type.Union([Type.Integer(), Type.Null()]),
    /** What the gateway says it runs (0 = its local site file). */
    reportedVersion: Type.Integer(),
    reportedAt: NullableEpochMs,
    /** The gateway runs the latest desired version (true when there is none to run). */
    upToDate: Type.Boolean(),
    error: Type.Union([Type.Object({ version: Type.Integer(), reason: Type.String() }), Type.Null()]),
  }),
  hardwareId: Type.Union([Type.String(), Type.Null()]),
  claimedAt: NullableEpochMs,
  createdAt: EpochMs,
})
export type GatewaySummary = Type.Static<typeof GatewaySummary>
export const GatewayList = Page(GatewaySummary)

// ---- What a device can be told to do ----------------------------------------------------

/** A device as the gateway's config declares it, with what the command form may offer. */
export const CommandTarget = Type.Object({
  id: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  kind: Type.String(),
  /** Relays the device accepts in `relay.set` (the config's `relays`). */
  relays: Type.Array(Type.String()),
  /** Doors this device is the reader of (`access.doors[].deviceId`): `door.open` targets. */
  doors: Type.Array(Type.String()),
})
export type CommandTarget = Type.Static<typeof CommandTarget>

export const CommandTargets = Type.Object({
  gatewayId: Type.String(),
  /** `desired`: the cloud's latest desired config; `reported`: what the gateway said it runs; `none`: neither is known yet. */
  source: Type.Union([Type.Literal('desired'), Type.Literal('reported'), Type.Literal('none')]),
  version: Type.Union([Type.Integer(), Type.Null()]),
  devices: Type.Array(CommandTarget),
})
export type CommandTargets = Type.Static<typeof CommandTargets>
