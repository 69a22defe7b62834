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
    /** `tcp` (default): Modbus TCP to `host`:`port`. `rtu`: a serial line at `path`. */
    transport: Type.Optional(Type.Union([Type.Literal('tcp'), Type.Literal('rtu')])),
    host: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
    /** Default 502. */
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535 })),
    /** RTU: the serial device, e.g. `/dev/ttyUSB0`; every device on it shares the bus. */
    path: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    /** RTU line settings; defaults 9600 8N1. */
    baudRate: Type.Optional(Type.Integer({ minimum: 300, maximum: 921_600 })),
    parity: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('even'), Type.Literal('odd')])),
    dataBits: Type.Optional(Type.Union([Type.Literal(7), Type.Literal(8)])),
    stopBits: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)])),
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
    /** At most 64: one reading each, and a telemetry event carries at most 64 (protocol Readings). */
    registers: Type.Array(ModbusRegisterSchema, { minItems: 1, maxItems: 64 }),
  },
  { additionalProperties: false },
)
export type ModbusDeviceConfig = Omit<Static<typeof ModbusDeviceSchema>, 'registers'> & { registers: RegisterSpec[] }

/** Checks the schema cannot express; reasons name their JSON path under `path`. */
export function explainModbus(modbus: ModbusDeviceConfig, relays: string[], path: string): string[] {
  const reasons: string[] = []
  if ((modbus.transport ?? 'tcp') === 'tcp') {
    if (modbus.host === undefined) reasons.push(`${path}/host: required for Modbus TCP`)
    if (modbus.path !== undefined) reasons.push(`${path}/path: only for transport "rtu"`)
  } else {
    if (modbus.path === undefined) reasons.push(`${path}/path: required for Modbus RTU (e.g. /dev/ttyUSB0)`)
    if (modbus.host !== undefined || modbus.port !== undefined) reasons.push(`${path}/host: only for transport "tcp"`)
  }
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

const LINE_SETTINGS = ['baudRate', 'parity', 'dataBits', 'stopBits'] as const

/** Devices sharing a serial port must agree on its line settings and have distinct unit ids. */
export function explainSerialBuses(devices: { modbus?: ModbusDeviceConfig }[]): string[] {
  const reasons: string[] = []
  const buses = new Map<string, { index: number; modbus: ModbusDeviceConfig; units: Set<number> }>()
  devices.forEach((d, i) => {
    const m = d.modbus
    if (m?.transport !== 'rtu' || m.path === undefined) return
    const unit = m.unitId ?? 1
    const bus = buses.get(m.path)
    if (!bus) {
      buses.set(m.path, { index: i, modbus: m, units: new Set([unit]) })
      return
    }
    for (const key of LINE_SETTINGS)
      if (m[key] !== bus.modbus[key]) reasons.push(`/devices/${i}/modbus/${key}: differs from /devices/${bus.index} on the same bus ${m.path}`)
    if (bus.units.has(unit)) reasons.push(`/devices/${i}/modbus/unitId: ${unit} is already used on ${m.path}`)
    bus.units.add(unit)
  })
  return reasons
}
