import Type, { type Static } from 'typebox'
import { Compile } from 'typebox/compile'
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isDeviceId } from '@tendero/protocol'
import { SimulatorError } from '../errors.js'

/** The physics a scenario device can run; `pos-terminal` reuses the RFID generator for card taps. */
export const MODEL_KINDS = [
  'cold-room',
  'oven',
  'energy-meter',
  'ambient',
  'irrigation-sector',
  'occupancy',
  'door-contact',
  'rfid-reader',
  'pos-terminal',
  'access-door',
] as const
export type ModelKind = (typeof MODEL_KINDS)[number]

const DeviceIdText = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' })
/** Time of day on the scenario clock, "HH:MM" (24 h). */
const ClockTime = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' })

export const ScenarioDevice = Type.Object(
  {
    id: DeviceIdText,
    /** Spanish label shown to people (status, logs). */
    name: Type.String({ minLength: 1, maxLength: 120 }),
    /** Own physics: one of MODEL_KINDS. Exactly one of `model` and `of`. */
    model: Type.Optional(Type.Enum([...MODEL_KINDS])),
    /**
     * A second node on the physics of another device of the scenario (the soil probe in the
     * irrigated sector, the fan relay of the waiting room): publishes the readings and owns
     * the relays listed here.
     */
    of: Type.Optional(DeviceIdText),
    /** A named parameter set from src/models/presets.ts, under `params`. */
    preset: Type.Optional(Type.String({ minLength: 1 })),
    /** Model parameters (Partial<…Params> of the model), merged over the preset. */
    params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** Initial state of the model (`startTempC`, `compressorOn`, …). */
    init: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** Readings to publish (default: all the model offers). */
    readings: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }), { minItems: 1 })),
    /** Relays this node owns (default: all the model offers). */
    relays: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$' }))),
    /** Simulated seconds between telemetry messages. */
    intervalS: Type.Number({ minimum: 1, maximum: 86_400 }),
  },
  { additionalProperties: false },
)
export type ScenarioDevice = Static<typeof ScenarioDevice>

export const EVENT_ACTIONS = [
  'door.open',
  'door.close',
  'power.cut',
  'power.restore',
  'relay.set',
  'valve.set',
  'rain.start',
  'rain.stop',
] as const
export type EventAction = (typeof EVENT_ACTIONS)[number]

export const ScheduledEvent = Type.Object(
  {
    /** Scenario clock time; the first time it comes after the start. */
    at: ClockTime,
    device: DeviceIdText,
    action: Type.Enum([...EVENT_ACTIONS]),
    /** For relay.set. */
    relay: Type.Optional(Type.String({ minLength: 1 })),
    on: Type.Optional(Type.Boolean()),
    /** For rain.start: rain rate, mm/h, over whatever the weather brings. */
    mmH: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 300 })),
    /** Undo the action after this many simulated seconds (door closes, power returns). */
    durationS: Type.Optional(Type.Number({ minimum: 1, maximum: 86_400 })),
    /** Why this event is here, in Spanish. */
    note: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)
export type ScheduledEvent = Static<typeof ScheduledEvent>

/**
 * A rule of the scenario's pack that should fire in a window of the scenario clock, because
 * of a scheduled event or of the day's routine (a schedule, the morning pull-down). The
 * scenario-day test (test/e2e/scenario-day.test.ts) runs the day on a real gateway and
 * checks every expectation, and that no alarm fires outside them.
 */
export const RuleExpectation = Type.Object(
  {
    rule: Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$' }),
    /** Window on the scenario clock, `from` inclusive, `to` exclusive; `to` < `from` crosses midnight. */
    from: ClockTime,
    to: ClockTime,
    /** Why it fires then, in Spanish. */
    note: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)
export type RuleExpectation = Static<typeof RuleExpectation>

export const Scenario = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$' }),
    title: Type.String({ minLength: 1 }),
    description: Type.String({ minLength: 1 }),
    /** Gateway rule pack the device ids and metric names line up with (gateway/src/rules/packs). */
    pack: Type.Optional(Type.String()),
    /** Scenario clock time at start. */
    startAt: ClockTime,
    /** IANA time zone of the scenario clock; the pack's. Default America/Argentina/Buenos_Aires. */
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    devices: Type.Array(ScenarioDevice, { minItems: 1, maxItems: 200 }),
    events: Type.Array(ScheduledEvent),
    /** Where the pack's rules should fire over a simulated day from `startAt`. */
    expect: Type.Optional(Type.Array(RuleExpectation)),
  },
  { additionalProperties: false },
)
export type Scenario = Static<typeof Scenario>

const compiled = Compile(Scenario)

function invalid(source: string, reasons: string[]): SimulatorError {
  return new SimulatorError('SIM_CONFIG_INVALID', `Invalid scenario ${source}:\n  ${reasons.join('\n  ')}`)
}

/** Checks a parsed scenario; every reason names the JSON path (`/devices/2/intervalS: …`). */
export function parseScenario(value: unknown, source = '(inline)'): Scenario {
  if (!compiled.Check(value)) {
    const reasons = [
      ...new Set(
        [...compiled.Errors(value)]
          .filter((e) => e.keyword !== 'boolean')
          .map((e) => {
            const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues
            return `${e.instancePath || '/'}: ${allowed ? `must be one of ${allowed.join(', ')}` : e.message}`
          }),
      ),
    ].slice(0, 8)
    throw invalid(source, reasons.length ? reasons : ['/: schema violation'])
  }
  const reasons: string[] = []
  const byId = new Map<string, { index: number; device: ScenarioDevice }>()
  value.devices.forEach((device, index) => {
    if (!isDeviceId(device.id)) reasons.push(`/devices/${index}/id: invalid device id "${device.id}"`)
    if (byId.has(device.id)) reasons.push(`/devices/${index}/id: duplicate device id "${device.id}"`)
    byId.set(device.id, { index, device })
    if ((device.model === undefined) === (device.of === undefined)) reasons.push(`/devices/${index}: needs exactly one of "model" and "of"`)
  })
  value.devices.forEach((device, index) => {
    if (device.of === undefined) return
    const host = byId.get(device.of)
    if (!host) reasons.push(`/devices/${index}/of: unknown device "${device.of}"`)
    else if (host.device.of !== undefined) reasons.push(`/devices/${index}/of: "${device.of}" itself shares another device's physics`)
    if (device.preset !== undefined || device.params !== undefined || device.init !== undefined)
      reasons.push(`/devices/${index}: a device with "of" takes no preset, params or init (they belong to "${device.of}")`)
  })
  value.events.forEach((event, index) => {
    if (!byId.has(event.device)) reasons.push(`/events/${index}/device: unknown device "${event.device}"`)
    if (event.action === 'relay.set' && (event.relay === undefined || event.on === undefined))
      reasons.push(`/events/${index}: relay.set needs "relay" and "on"`)
    if (event.action === 'valve.set' && event.on === undefined) reasons.push(`/events/${index}: valve.set needs "on"`)
    if (event.action === 'rain.start' && event.mmH === undefined) reasons.push(`/events/${index}: rain.start needs "mmH"`)
    if (event.action !== 'rain.start' && event.mmH !== undefined) reasons.push(`/events/${index}/mmH: only rain.start takes a rain rate`)
    if (event.action === 'rain.stop' && event.durationS !== undefined)
      reasons.push(`/events/${index}/durationS: rain.stop cannot be undone; give rain.start a durationS instead`)
  })
  if (value.timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: value.timezone })
    } catch {
      reasons.push(`/timezone: unknown time zone "${value.timezone}"`)
    }
  }
  if (reasons.length) throw invalid(source, reasons)
  return value
}

export const SCENARIO_DIR = join(dirname(fileURLToPath(import.meta.url)), 'files')

export function scenarioNames(dir = SCENARIO_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort()
}

/** Loads `<dir>/<name>.json`; throws SIM_SCENARIO_INVALID (unknown name, bad JSON, schema). */
export function loadScenario(name: string, dir = SCENARIO_DIR): Scenario {
  const names = scenarioNames(dir)
  if (!names.includes(name)) throw new SimulatorError('SIM_CONFIG_INVALID', `Unknown scenario "${name}"; known: ${names.join(', ')}`)
  const file = join(dir, `${name}.json`)
  let value: unknown
  try {
    value = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw invalid(`${name}.json`, [`/: ${(err as Error).message}`])
  }
  const scenario = parseScenario(value, `${name}.json`)
  if (scenario.name !== name) throw invalid(`${name}.json`, [`/name: "${scenario.name}" must match the file name "${name}"`])
  return scenario
}
