import Type, { type Static } from 'typebox'
import { METRIC_PATTERN, STATE_KEY_PATTERN } from '@tendero/protocol'

/** `A0`…`A15`: an analog input, by its channel, as johnny-five and the Arduino silkscreen name it. */
const ANALOG_PIN_PATTERN = '^A([0-9]|1[0-5])$'
/** A digital pin number as the board numbers it (an Uno has 0–19; 0 and 1 carry the serial link). */
const DigitalPin = Type.Integer({ minimum: 0, maximum: 127 })

/** One analog input, logged as the metric `metric`: `raw * scale + offset`, raw 0–1023 on an Uno. */
export const FirmataSensorSchema = Type.Object(
  {
    pin: Type.String({ pattern: ANALOG_PIN_PATTERN }),
    metric: Type.String({ pattern: METRIC_PATTERN }),
    scale: Type.Optional(Type.Number()),
    offset: Type.Optional(Type.Number()),
    /** Round the scaled value to this many decimals (the ADC's resolution makes more noise, not data). */
    decimals: Type.Optional(Type.Integer({ minimum: 0, maximum: 6 })),
    /** One reading per window (ms), the median of the window's samples; default 1000. */
    everyMs: Type.Optional(Type.Integer({ minimum: 20, maximum: 3_600_000 })),
    /** Log a reading only when it moved more than this (scaled units) since the last logged one; default 0. */
    threshold: Type.Optional(Type.Number({ minimum: 0 })),
    /** Log it anyway after this long without one (ms), so `stale` rules and charts see a flat signal; default 60000. */
    heartbeatMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 86_400_000 })),
    unit: Type.Optional(Type.String({ maxLength: 16 })),
  },
  { additionalProperties: false },
)
export type FirmataSensorConfig = Static<typeof FirmataSensorSchema>

/** A relay of the device (by its name in the device's `relays`) on a digital output. */
export const FirmataRelaySchema = Type.Object(
  {
    name: Type.String({ pattern: STATE_KEY_PATTERN }),
    pin: DigitalPin,
    /** The module energises its relay on LOW (most cheap opto-isolated boards); default false. */
    activeLow: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type FirmataRelayConfig = Static<typeof FirmataRelaySchema>

/** A digital input (door contact, float switch), logged as the state key `state`: true when HIGH. */
export const FirmataInputSchema = Type.Object(
  {
    pin: DigitalPin,
    state: Type.String({ pattern: STATE_KEY_PATTERN }),
    /** Turn on the board's internal pull-up (a contact to ground then reads LOW when closed). */
    pullup: Type.Optional(Type.Boolean()),
    /** Report the opposite level: true when the pin reads LOW. */
    invert: Type.Optional(Type.Boolean()),
    /** How often the pin is looked at (ms), which also debounces it; default 100. */
    everyMs: Type.Optional(Type.Integer({ minimum: 20, maximum: 60_000 })),
  },
  { additionalProperties: false },
)
export type FirmataInputConfig = Static<typeof FirmataInputSchema>

/** A site device's `firmata` section: a board running StandardFirmata on a serial port. */
export const FirmataDeviceSchema = Type.Object(
  {
    /** The serial device, e.g. `/dev/ttyACM0`; one board per port. */
    port: Type.String({ minLength: 1, maxLength: 255 }),
    /** Default 57600, StandardFirmata's. */
    baudRate: Type.Optional(Type.Integer({ minimum: 300, maximum: 2_000_000 })),
    /** From opening the port to the board's handshake (ms), default 10000: an Uno resets on open and boots for ~2 s. */
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 120_000 })),
    /**
     * With analog sensors: a board that sends no sample for this long (ms) is taken as hung and
     * reconnected; default 5000. StandardFirmata reports analog pins every ~19 ms, changed or not.
     */
    silenceMs: Type.Optional(Type.Integer({ minimum: 200, maximum: 600_000 })),
    /** First retry after a failure (ms), default 2000, doubling with jitter up to `backoffCapMs`. */
    retryMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 3_600_000 })),
    /** Longest wait between reconnect attempts (ms), default 60000. */
    backoffCapMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 3_600_000 })),
    /** At most 64: one reading each, and a telemetry event carries at most 64. */
    sensors: Type.Optional(Type.Array(FirmataSensorSchema, { maxItems: 64 })),
    relays: Type.Optional(Type.Array(FirmataRelaySchema, { maxItems: 32 })),
    inputs: Type.Optional(Type.Array(FirmataInputSchema, { maxItems: 32 })),
  },
  { additionalProperties: false },
)
export type FirmataDeviceConfig = Static<typeof FirmataDeviceSchema>

export const FIRMATA_DEFAULTS = {
  baudRate: 57_600,
  timeoutMs: 10_000,
  silenceMs: 5000,
  retryMs: 2000,
  backoffCapMs: 60_000,
  sensorEveryMs: 1000,
  heartbeatMs: 60_000,
  inputEveryMs: 100,
} as const

/**
 * Checks the schema cannot express; reasons name their JSON path under `path`. `relays` are
 * the device's relay names: each needs a pin, and each pin must be one of them, or rules
 * could not address it.
 */
export function explainFirmata(firmata: FirmataDeviceConfig, relays: string[], path: string): string[] {
  const reasons: string[] = []
  const sensors = firmata.sensors ?? []
  const outputs = firmata.relays ?? []
  const inputs = firmata.inputs ?? []
  if (sensors.length + outputs.length + inputs.length === 0) reasons.push(`${path}: declare at least one of sensors, relays, inputs`)
  const pins = new Map<string, string>()
  const claim = (pin: string, where: string) => {
    const owner = pins.get(pin)
    if (owner) reasons.push(`${where}: pin ${pin} is already used by ${owner}`)
    else pins.set(pin, where)
  }
  const metrics = new Set<string>()
  sensors.forEach((s, i) => {
    const at = `${path}/sensors/${i}`
    claim(s.pin, `${at}/pin`)
    if (metrics.has(s.metric)) reasons.push(`${at}/metric: duplicate metric "${s.metric}"`)
    metrics.add(s.metric)
    if (s.scale === 0) reasons.push(`${at}/scale: must not be 0`)
  })
  const keys = new Set<string>()
  outputs.forEach((r, i) => {
    const at = `${path}/relays/${i}`
    claim(String(r.pin), `${at}/pin`)
    if (keys.has(r.name)) reasons.push(`${at}/name: duplicate relay "${r.name}"`)
    keys.add(r.name)
    if (!relays.includes(r.name)) reasons.push(`${at}/name: "${r.name}" is not in the device's relays; add it there so rules can switch it`)
  })
  inputs.forEach((input, i) => {
    const at = `${path}/inputs/${i}`
    claim(String(input.pin), `${at}/pin`)
    // Inputs and relays share the device's state keys; one key, one meaning.
    if (keys.has(input.state)) reasons.push(`${at}/state: "${input.state}" is already a relay or input of this device`)
    keys.add(input.state)
  })
  for (const relay of relays)
    if (!outputs.some((r) => r.name === relay)) reasons.push(`${path}/relays: relay "${relay}" of the device needs a pin here`)
  return reasons
}

/**
 * One Firmata board per serial port: two devices on one port (or a board on a Modbus RTU
 * bus's port) would fight over it, and neither would work.
 */
export function explainFirmataPorts(
  devices: readonly { firmata?: FirmataDeviceConfig | undefined; modbus?: { transport?: string | undefined; path?: string | undefined } | undefined }[],
): string[] {
  const reasons: string[] = []
  const seen = new Map<string, string>()
  devices.forEach((d, i) => {
    if (d.modbus?.transport === 'rtu' && d.modbus.path !== undefined && !seen.has(d.modbus.path)) seen.set(d.modbus.path, `/devices/${i}/modbus/path`)
  })
  devices.forEach((d, i) => {
    if (!d.firmata) return
    const first = seen.get(d.firmata.port)
    if (first !== undefined) reasons.push(`/devices/${i}/firmata/port: ${d.firmata.port} is already taken by ${first}`)
    else seen.set(d.firmata.port, `/devices/${i}/firmata/port`)
  })
  return reasons
}
