import Type, { type Static, type TSchema } from 'typebox'
import { compile, type Validator } from '@tendero/protocol'
import { SimulatorError } from '../errors.js'

/**
 * A fault plan: what goes wrong, on which device, and when, in simulated seconds since the
 * scenario started. Times are simulated so that a plan means the same at 1× and at 600×.
 * Each kind has its own `params`; the union below keeps them apart so that a typo in one
 * is reported against that entry (e.g. `/2/params/magnitude: must be number`).
 */

const Seconds = Type.Number({ minimum: 0 })
const Optional = <S extends TSchema>(s: S) => Type.Optional(s)

/** Per-kind parameters, as data: adding a kind is one entry here and one in sensor.ts or injector.ts. */
export const FaultParamsSchemas = {
  /** Sensor reads the same value from `from`: `value` if given, else the first reading seen. */
  stuck: Type.Object({ value: Optional(Type.Number()) }, { additionalProperties: false }),
  /**
   * Offset that grows with time. `linear`: `ratePerHour` units per simulated hour.
   * `random-walk`: each hour adds a gaussian step of `stepPerHour` standard deviation.
   */
  drift: Type.Object(
    {
      mode: Optional(Type.Union([Type.Literal('linear'), Type.Literal('random-walk')])),
      ratePerHour: Optional(Type.Number()),
      stepPerHour: Optional(Type.Number({ minimum: 0 })),
    },
    { additionalProperties: false },
  ),
  /** Poisson spikes: `ratePerHour` on average, each adding ±`magnitude` for `durationS`. */
  spikes: Type.Object(
    {
      ratePerHour: Type.Number({ minimum: 0, maximum: 3600 }),
      magnitude: Type.Number(),
      /** Default 1 s; at most an hour. */
      durationS: Optional(Type.Number({ exclusiveMinimum: 0, maximum: 3600 })),
      /** `up` (default), `down` or `both` (sign drawn per spike). */
      sign: Optional(Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('both')])),
    },
    { additionalProperties: false },
  ),
  /** Gaussian noise of standard deviation `sigma`, fresh every `periodS` (default 1 s). */
  noise: Type.Object(
    { sigma: Type.Number({ minimum: 0 }), periodS: Optional(Type.Number({ exclusiveMinimum: 0 })) },
    { additionalProperties: false },
  ),
  /** Readings go missing with `probability` (default 1: every reading in the window). */
  dropout: Type.Object(
    { probability: Optional(Type.Number({ minimum: 0, maximum: 1 })), periodS: Optional(Type.Number({ exclusiveMinimum: 0 })) },
    { additionalProperties: false },
  ),
  /** The device powers off: stops publishing and closes its MQTT connection until `to`. */
  offline: Type.Object({}, { additionalProperties: false }),
  /** The link black-holes traffic without closing (cable cut, frozen switch) until `to`. */
  partition: Type.Object(
    {
      /** `hold` (default): bytes wait and flow on heal, as TCP retransmission gets them through. `drop`: lost. */
      mode: Optional(Type.Union([Type.Literal('hold'), Type.Literal('drop')])),
    },
    { additionalProperties: false },
  ),
  /** The Modbus server swallows every request. */
  'modbus-timeout': Type.Object({}, { additionalProperties: false }),
  /** The Modbus server answers every request with this exception code (default 0x06, busy). */
  'modbus-exception': Type.Object({ code: Optional(Type.Integer({ minimum: 1, maximum: 255 })) }, { additionalProperties: false }),
  /** A register reads frozen: at `value`, or at what it held when the fault began. */
  'modbus-stuck': Type.Object({ register: Type.String({ minLength: 1 }), value: Optional(Type.Number()) }, { additionalProperties: false }),
} as const

export type FaultKind = keyof typeof FaultParamsSchemas
export const FAULT_KINDS = Object.keys(FaultParamsSchemas) as FaultKind[]
export const SENSOR_FAULT_KINDS = ['stuck', 'drift', 'spikes', 'noise', 'dropout'] as const satisfies readonly FaultKind[]
export const DEVICE_FAULT_KINDS = ['offline', 'partition'] as const satisfies readonly FaultKind[]
export const MODBUS_FAULT_KINDS = ['modbus-timeout', 'modbus-exception', 'modbus-stuck'] as const satisfies readonly FaultKind[]
export type SensorFaultKind = (typeof SENSOR_FAULT_KINDS)[number]

/** The fields every entry has; `params` is checked per kind. */
const FaultEntryBase = Type.Object(
  {
    deviceId: Type.String({ minLength: 1, maxLength: 64 }),
    /** Sensor faults only: the reading it hits (e.g. `temperature_c`); absent = every reading. */
    metric: Optional(Type.String({ minLength: 1, maxLength: 64 })),
    kind: Type.Union(FAULT_KINDS.map((k) => Type.Literal(k))),
    /** Simulated seconds since the scenario started. */
    from: Seconds,
    /** Exclusive end; absent = until the scenario ends. */
    to: Optional(Seconds),
    /** Seed of this entry's randomness; default derived from the plan seed and the entry's index. */
    seed: Optional(Type.Integer({ minimum: 0, maximum: 4_294_967_295 })),
    params: Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
)

/** Schema a scenario embeds (`faults: FaultPlanSchema`); use `parseFaultPlan` for readable errors. */
export const FaultEntrySchema = Type.Union(
  FAULT_KINDS.map((kind) =>
    Type.Object(
      {
        deviceId: Type.String({ minLength: 1, maxLength: 64 }),
        metric: Optional(Type.String({ minLength: 1, maxLength: 64 })),
        kind: Type.Literal(kind),
        from: Seconds,
        to: Optional(Seconds),
        seed: Optional(Type.Integer({ minimum: 0, maximum: 4_294_967_295 })),
        params: Optional(FaultParamsSchemas[kind]),
      },
      { additionalProperties: false },
    ),
  ),
)
export const FaultPlanSchema = Type.Array(FaultEntrySchema, { maxItems: 1000 })

export type FaultParams<K extends FaultKind = FaultKind> = Static<(typeof FaultParamsSchemas)[K]>
export interface FaultEntry<K extends FaultKind = FaultKind> {
  deviceId: string
  metric?: string
  kind: K
  from: number
  to?: number
  seed?: number
  params?: FaultParams<K>
}
export type FaultPlan = FaultEntry[]

const baseValidator = compile(FaultEntryBase)
const paramValidators = Object.fromEntries(FAULT_KINDS.map((k) => [k, compile(FaultParamsSchemas[k])])) as Record<FaultKind, Validator<unknown>>

export interface FaultPlanCheckOptions {
  /** When given, an entry naming any other device is an error (a scenario passes its device ids). */
  deviceIds?: Iterable<string>
}

/**
 * Reasons a value is not a fault plan, each named by its JSON path under `basePath`
 * (e.g. `/faults/1/params/ratePerHour: must be >= 0`). Empty when it is one.
 */
export function faultPlanErrors(value: unknown, basePath = '', opts: FaultPlanCheckOptions = {}): string[] {
  const known = opts.deviceIds ? new Set(opts.deviceIds) : null
  if (!Array.isArray(value)) return [`${basePath || '/'}: must be an array of fault entries`]
  const errors: string[] = []
  value.forEach((raw: unknown, i) => {
    const at = `${basePath}/${i}`
    if (!baseValidator.check(raw)) {
      for (const e of baseValidator.explain(raw)) errors.push(`${at}${e.startsWith('/:') ? e.slice(1) : e}`)
      return
    }
    const entry = raw as FaultEntry
    const params = entry.params ?? {}
    const v: Validator<unknown> = paramValidators[entry.kind]
    if (!v.check(params)) {
      for (const e of v.explain(params)) errors.push(`${at}/params${e.startsWith('/:') ? e.slice(1) : e}`)
    }
    if (known && !known.has(entry.deviceId)) errors.push(`${at}/deviceId: no device "${entry.deviceId}" in this scenario`)
    if (entry.to !== undefined && !(entry.to > entry.from)) errors.push(`${at}/to: must be greater than from (${entry.from})`)
    if (entry.metric !== undefined && !(SENSOR_FAULT_KINDS as readonly string[]).includes(entry.kind)) {
      errors.push(`${at}/metric: only sensor faults (${SENSOR_FAULT_KINDS.join(', ')}) take a metric`)
    }
  })
  return errors
}

/** Check a plan (from JSON or a scenario) and return it typed; throws SIM_CONFIG_INVALID naming every bad path. */
export function parseFaultPlan(value: unknown, basePath = '', opts: FaultPlanCheckOptions = {}): FaultPlan {
  const errors = faultPlanErrors(value, basePath, opts)
  if (errors.length) throw new SimulatorError('SIM_CONFIG_INVALID', `invalid fault plan: ${errors.join('; ')}`)
  return value as FaultPlan
}

/** Is the entry in force at simulated time `tS`? `from` inclusive, `to` exclusive. */
export function isActiveAt(entry: Pick<FaultEntry, 'from' | 'to'>, tS: number): boolean {
  return tS >= entry.from && (entry.to === undefined || tS < entry.to)
}
