/**
 * The register maps of the simulated Modbus devices, as data: the README tables are written
 * from these, the servers encode from them, and the gateway's driver config can be generated
 * from them, so the three never disagree.
 *
 * Addresses are 0-based protocol (PDU) addresses. Tools that count from 1 (mbpoll without
 * `-0`, many SCADA screens as "30001") add one. A reading is `raw × scale` in `unit`.
 */
export type RegisterTable = 'coil' | 'discrete' | 'input' | 'holding'
export type RegisterType = 'bool' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32'
/**
 * Order of the two 16-bit words of a 32-bit value. Bytes inside a word are always
 * big-endian (the Modbus rule); only the word order varies between vendors.
 * 'big' = high word at the lower address (ABCD, the Modbus convention); 'little' = low
 * word first (CDAB, "word swapped"). Same vocabulary as the gateway's driver config.
 */
export type WordOrder = 'big' | 'little'

export interface RegisterEntry {
  /** Stable key: the device's value name and the gateway's reading name. */
  name: string
  table: RegisterTable
  address: number
  type: RegisterType
  /** Only meaningful for 32-bit types; 16-bit and bool entries carry 'big'. */
  wordOrder: WordOrder
  /** Engineering value = raw × scale. */
  scale: number
  unit: string
  description: string
  writable: boolean
  /** Accepted engineering range for writes (inclusive). */
  writeRange?: readonly [number, number]
}

export interface RegisterMap {
  /** Device model, as the gateway's driver config names it. */
  model: string
  description: string
  /** Modbus unit id (slave id) the server answers to; requests for other ids are ignored. */
  unitId: number
  entries: readonly RegisterEntry[]
}

export function registerCount(type: RegisterType): number {
  return type === 'int32' || type === 'uint32' || type === 'float32' ? 2 : 1
}

/** Modbus function codes that read (and write) each table, for the documentation. */
export const tableFunctions: Readonly<Record<RegisterTable, string>> = Object.freeze({
  coil: 'FC1 read, FC5/FC15 write',
  discrete: 'FC2 read',
  input: 'FC4 read',
  holding: 'FC3 read, FC6/FC16 write',
})

type EntryInit = Omit<RegisterEntry, 'wordOrder' | 'scale' | 'unit' | 'writable'> &
  Partial<Pick<RegisterEntry, 'wordOrder' | 'scale' | 'unit' | 'writable'>>

function entry(init: EntryInit): RegisterEntry {
  return Object.freeze({ wordOrder: 'big', scale: 1, unit: '', writable: false, ...init })
}

/**
 * Cold-room controller (a generic refrigeration controller of the Carel/Dixell kind):
 * its own thermostat drives the compressor relay around the setpoint, with scheduled
 * defrosts. The same probe temperature is also published in every 32-bit type and word
 * order, so one known value exercises each decoding path of a Modbus driver.
 */
export const coldRoomControllerMap: RegisterMap = Object.freeze({
  model: 'tendero-sim-cold-room-controller',
  description: 'Controlador de cámara frigorífica (simulado)',
  unitId: 1,
  entries: Object.freeze([
    entry({ name: 'temperature_c', table: 'input', address: 0, type: 'int16', scale: 0.1, unit: '°C', description: 'Probe temperature, 0.1 °C resolution' }),
    entry({ name: 'humidity_pct', table: 'input', address: 1, type: 'uint16', scale: 0.1, unit: '%RH', description: 'Relative humidity in the room' }),
    entry({ name: 'defrost_state', table: 'input', address: 2, type: 'uint16', description: 'Defrost state: 0 idle, 1 defrosting, 2 dripping' }),
    entry({ name: 'alarm_bits', table: 'input', address: 3, type: 'uint16', description: 'Alarms: bit 0 high temperature, bit 1 low temperature, bit 2 door open too long' }),
    entry({ name: 'compressor_run_h', table: 'input', address: 4, type: 'uint32', wordOrder: 'big', scale: 0.01, unit: 'h', description: 'Compressor run-time counter' }),
    entry({ name: 'door_openings', table: 'input', address: 6, type: 'uint32', wordOrder: 'little', description: 'Door openings since start' }),
    entry({ name: 'temperature_float_big_c', table: 'input', address: 8, type: 'float32', wordOrder: 'big', unit: '°C', description: 'Model temperature, unquantised' }),
    entry({ name: 'temperature_float_little_c', table: 'input', address: 10, type: 'float32', wordOrder: 'little', unit: '°C', description: 'Same value, low word first' }),
    entry({ name: 'temperature_int32_big_c', table: 'input', address: 12, type: 'int32', wordOrder: 'big', scale: 0.001, unit: '°C', description: 'Same value in m°C, signed' }),
    entry({ name: 'temperature_int32_little_c', table: 'input', address: 14, type: 'int32', wordOrder: 'little', scale: 0.001, unit: '°C', description: 'Same value in m°C, low word first' }),
    entry({ name: 'setpoint_c', table: 'holding', address: 0, type: 'int16', scale: 0.1, unit: '°C', writable: true, writeRange: [-40, 30], description: 'Thermostat setpoint' }),
    entry({ name: 'hysteresis_k', table: 'holding', address: 1, type: 'uint16', scale: 0.1, unit: 'K', writable: true, writeRange: [0.2, 10], description: 'Thermostat differential: cuts in at setpoint + hysteresis' }),
    entry({ name: 'defrost_interval_min', table: 'holding', address: 2, type: 'uint16', unit: 'min', writable: true, writeRange: [0, 1440], description: 'Time between scheduled defrosts, 0 = none' }),
    entry({ name: 'defrost_duration_min', table: 'holding', address: 3, type: 'uint16', unit: 'min', writable: true, writeRange: [1, 120], description: 'Length of a defrost' }),
    entry({ name: 'high_alarm_c', table: 'holding', address: 4, type: 'float32', wordOrder: 'little', unit: '°C', writable: true, writeRange: [-40, 40], description: 'High-temperature alarm threshold' }),
    entry({ name: 'compressor', table: 'coil', address: 0, type: 'bool', writable: true, description: 'Compressor relay; writing it switches the thermostat to manual' }),
    entry({ name: 'thermostat_auto', table: 'coil', address: 1, type: 'bool', writable: true, description: 'Thermostat in charge of the relay (1) or manual (0)' }),
    entry({ name: 'defrost_request', table: 'coil', address: 2, type: 'bool', writable: true, description: 'Write 1 to start a defrost, 0 to end it; reads 1 while defrosting' }),
    entry({ name: 'door_open', table: 'discrete', address: 0, type: 'bool', description: 'Door contact, 1 = open' }),
    entry({ name: 'compressor_running', table: 'discrete', address: 1, type: 'bool', description: 'Relay feedback, 1 = compressor running' }),
    entry({ name: 'high_temp_alarm', table: 'discrete', address: 2, type: 'bool', description: 'High-temperature alarm active' }),
  ]),
})

/** Circuits of the simulated meter, in register-block order. */
export const energyMeterCircuits = Object.freeze(['camara', 'horno', 'iluminacion'] as const)
export type EnergyMeterCircuit = (typeof energyMeterCircuits)[number]
/** Registers per circuit block: circuit n starts at input register n × 10. */
export const ENERGY_CIRCUIT_STRIDE = 10
const TOTALS_BASE = 100

function circuitEntries(circuit: string, index: number): RegisterEntry[] {
  const base = index * ENERGY_CIRCUIT_STRIDE
  const phase = `L${index + 1}`
  return [
    entry({ name: `${circuit}_kw`, table: 'input', address: base, type: 'float32', wordOrder: 'big', unit: 'kW', description: `Active power, circuit ${circuit} (${phase})` }),
    entry({ name: `${circuit}_kwh`, table: 'input', address: base + 2, type: 'uint32', wordOrder: 'big', scale: 0.01, unit: 'kWh', description: `Active energy imported, circuit ${circuit}` }),
    entry({ name: `${circuit}_voltage_v`, table: 'input', address: base + 4, type: 'uint16', scale: 0.1, unit: 'V', description: `Voltage ${phase}–N` }),
    entry({ name: `${circuit}_current_a`, table: 'input', address: base + 5, type: 'uint16', scale: 0.01, unit: 'A', description: `Current, circuit ${circuit}` }),
    entry({ name: `${circuit}_power_factor`, table: 'input', address: base + 6, type: 'int16', scale: 0.001, description: `Power factor, circuit ${circuit}` }),
  ]
}

/** A 3-phase meter with one circuit per phase (the usual shop sub-metering). */
export const energyMeterMap: RegisterMap = Object.freeze({
  model: 'tendero-sim-energy-meter',
  description: 'Medidor de energía trifásico por circuito (simulado)',
  unitId: 1,
  entries: Object.freeze([
    ...energyMeterCircuits.flatMap((c, i) => circuitEntries(c, i)),
    entry({ name: 'total_kw', table: 'input', address: TOTALS_BASE, type: 'float32', wordOrder: 'little', unit: 'kW', description: 'Total active power, all circuits' }),
    entry({ name: 'total_kwh', table: 'input', address: TOTALS_BASE + 2, type: 'uint32', wordOrder: 'little', scale: 0.01, unit: 'kWh', description: 'Total active energy imported' }),
    entry({ name: 'frequency_hz', table: 'input', address: TOTALS_BASE + 4, type: 'uint16', scale: 0.01, unit: 'Hz', description: 'Grid frequency' }),
  ]),
})

export const registerMaps: readonly RegisterMap[] = Object.freeze([coldRoomControllerMap, energyMeterMap])

/**
 * The map as the gateway's Modbus driver declares registers (gateway/src/modbus/codec.ts
 * RegisterSpec), so a device config can be generated instead of retyped. Bits carry no
 * type or word order there.
 */
export function toDriverRegisters(map: RegisterMap) {
  return map.entries.map((e) => {
    const bit = e.table === 'coil' || e.table === 'discrete'
    return {
      name: e.name,
      address: e.address,
      fn: e.table,
      ...(bit ? {} : { type: e.type as Exclude<RegisterType, 'bool'>, wordOrder: e.wordOrder }),
      ...(e.scale !== 1 ? { scale: e.scale } : {}),
      ...(e.unit ? { unit: e.unit } : {}),
    }
  })
}
