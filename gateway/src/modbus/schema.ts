import Type, { type Static } from 'typebox'
import { METRIC_PATTERN } from '@tendero/protocol'
import { REGISTER_FNS, REGISTER_TYPES, isBitFn, registerWidth, type RegisterSpec } from './codec.js'

/** One entry of a device's register map (codec.ts); `name` is the metric it is logged as. */
export const ModbusRegisterSchema = Type.Object(
  {
    name: Type.String({ pattern: METRIC_PATTERN }),
    address: Type.Integer({ minimum: 0, maximum: 65_535 }),
    fn: Type.Union(REGISTER_FNS.map((f) => Type.Literal(f))),
    type: Type.Optional(Type.Union(REGISTER_TYPES.map((t) => Type.Literal(t)))),
    wordOrder: Type.Optional(Type.Union([Type.Literal('big'), Type.Literal('little')])),
    scale: Type.Optional(Type.Number()),
    offset: Type.Optional(Type.Number()),
    unit: Type.Optional(Type.String({ maxLength: 16 })),
  },
  { additionalProperties: false },
)

/** A site device's `modbus` section: where it answers, how often to ask, and what. */
export const ModbusDeviceSchema = Type.Object(
  {
    /** Only Modbus TCP for now; RTU over a serial line is planned. */
    transport: Type.Optional(Type.Literal('tcp')),
    host: Type.String({ minLength: 1, maxLength: 253 }),
    /** Default 502. */
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535 })),
    /** Default 1; gateways in front of RTU buses route by it. */
    unitId: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
    /** Poll interval (ms), default 5000. */
    pollMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 3_600_000 })),
    /** Per request and per connect attempt (ms), default 1000. */
    timeoutMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 60_000 })),
    /** Consecutive failed polls before the device is logged offline (unavailable), default 3. */
    unavailableAfter: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    /** Longest wait between retries of a failing device (ms), default 60000. */
    backoffCapMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 3_600_000 })),
    registers: Type.Array(ModbusRegisterSchema, { minItems: 1, maxItems: 256 }),
  },
  { additionalProperties: false },
)
export type ModbusDeviceConfig = Omit<Static<typeof ModbusDeviceSchema>, 'registers'> & { registers: RegisterSpec[] }

/** Checks the schema cannot express; reasons name their JSON path under `path`. */
export function explainModbus(modbus: ModbusDeviceConfig, relays: string[], path: string): string[] {
  const reasons: string[] = []
  const names = new Set<string>()
  modbus.registers.forEach((r, i) => {
    if (names.has(r.name)) reasons.push(`${path}/registers/${i}/name: duplicate register "${r.name}"`)
    names.add(r.name)
    if (r.address + registerWidth(r) > 65_536) reasons.push(`${path}/registers/${i}/address: ${r.type} at ${r.address} runs past address 65535`)
    if (r.scale === 0) reasons.push(`${path}/registers/${i}/scale: must not be 0`)
    if (isBitFn(r.fn) && (r.type !== undefined || r.wordOrder !== undefined))
      reasons.push(`${path}/registers/${i}/type: ${r.fn} registers are single bits; drop type and wordOrder`)
  })
  // relay.set on a Modbus device writes the coil of the same name.
  for (const relay of relays)
    if (!modbus.registers.some((r) => r.name === relay && r.fn === 'coil'))
      reasons.push(`${path}/registers: relay "${relay}" needs a coil register named "${relay}"`)
  return reasons
}
