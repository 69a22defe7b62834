import Type from 'typebox'

/**
 * Metric names carry their unit as a suffix (`temperature_c`, `humidity_pct`,
 * `power_kw`), so a reading needs no separate unit field. Booleans such as a door
 * contact are sent as 0/1 so every reading is one time series of numbers.
 */
export const METRIC_PATTERN = '^[a-z][a-z0-9_]{0,47}$'
export const STATE_KEY_PATTERN = '^[a-z][a-z0-9_]{0,47}$'

/** Epoch milliseconds. Devices without a synced clock omit it. */
export const EpochMs = Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000 })

/** One value per metric, at least one and at most 64. */
export const Readings = Type.Record(Type.String({ pattern: METRIC_PATTERN }), Type.Number(), {
  minProperties: 1,
  additionalProperties: false,
  maxProperties: 64,
})
export type Readings = Type.Static<typeof Readings>

export const Telemetry = Type.Object(
  {
    ts: Type.Optional(EpochMs),
    /** The node's own counter, so readings replayed from its ring buffer can be told apart. */
    seq: Type.Optional(Type.Integer({ minimum: 0, maximum: 4_294_967_295 })),
    readings: Readings,
  },
  { additionalProperties: false },
)
export type Telemetry = Type.Static<typeof Telemetry>

export const StateValue = Type.Union([Type.Boolean(), Type.Number(), Type.String({ maxLength: 64 })])

/** The device's own view of itself: relays (true = energised), setpoints, firmware. */
export const DeviceState = Type.Object(
  {
    ts: Type.Optional(EpochMs),
    state: Type.Record(Type.String({ pattern: STATE_KEY_PATTERN }), StateValue, {
      minProperties: 1,
      additionalProperties: false,
      maxProperties: 64,
    }),
  },
  { additionalProperties: false },
)
export type DeviceState = Type.Static<typeof DeviceState>

/** A discrete happening on the device: a door opened, a card swiped. */
export const DeviceEvent = Type.Object(
  {
    ts: Type.Optional(EpochMs),
    kind: Type.String({ pattern: '^[a-z][a-z0-9_.]{0,63}$' }),
    data: Type.Optional(
      Type.Record(Type.String({ pattern: STATE_KEY_PATTERN }), StateValue, { maxProperties: 32, additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
)
export type DeviceEvent = Type.Static<typeof DeviceEvent>
