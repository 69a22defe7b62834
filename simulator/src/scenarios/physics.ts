import { ColdRoomModel, type ColdRoomInit, type ColdRoomParams } from '../models/cold-room.js'
import { OvenModel, type OvenInit, type OvenParams } from '../models/oven.js'
import { EnergyMeterModel, type LoadSpec } from '../models/energy-meter.js'
import { AmbientModel } from '../models/ambient.js'
import { IrrigationSector } from '../models/irrigation-sector.js'
import { OccupancyModel, type OccupancyInit, type OccupancyParams } from '../models/occupancy.js'
import { DoorContactModel } from '../models/door-contact.js'
import { RfidReaderModel } from '../models/rfid-reader.js'
import { AccessDoorModel } from '../models/access-door.js'
import { mulberry32 } from '../models/seeded-random.js'
import * as presets from '../models/presets.js'
import { SimulatorError } from '../errors.js'
import type { ModelKind } from './schema.js'

/** A discrete happening to publish on the event channel (protocol DeviceEvent, without ts). */
export interface PhysicsEvent {
  kind: string
  data?: Record<string, unknown>
}

/**
 * One model behind the uniform face a scenario node needs: readings named with their unit
 * suffix (the names the gateway's rule packs use), relays by name, events since last drain.
 */
export interface Physics {
  readonly kind: ModelKind
  readonly readingNames: readonly string[]
  readonly relayNames: readonly string[]
  step(dtS: number): void
  readings(): Record<string, number>
  relay(name: string): boolean
  setRelay(name: string, on: boolean): void
  drainEvents(): PhysicsEvent[]
  /** Mains on/off: a cut drops every load and local thermostat; relays come back off. */
  setPowered(on: boolean): void
  /** Scheduled scenario actions beyond relays; false if this physics has no such thing. */
  setDoor?(open: boolean): boolean
  setValve?(open: boolean): boolean
  /** A shower from now on, mm/h; 0 stops it. */
  setRain?(mmPerH: number): boolean
  /** A `setpoint.set` by name; false if this physics has no such setpoint or the value is out of range. */
  setSetpoint?(name: string, value: number): boolean
}

export interface PhysicsSpec {
  kind: ModelKind
  preset?: string | undefined
  params?: Record<string, unknown> | undefined
  init?: Record<string, unknown> | undefined
  /** Hour of day at simulated t = 0, for models with daily profiles. */
  startHour: number
  seed: number
}

const round = (v: number, decimals: number) => Math.round(v * 10 ** decimals) / 10 ** decimals

/** Longest model step for physics with a local thermostat, so it switches near its thresholds. */
const THERMOSTAT_SLICE_S = 10

function sliced(dtS: number, slice: number, step: (dt: number) => void): void {
  let left = dtS
  while (left > 1e-9) {
    const dt = Math.min(slice, left)
    step(dt)
    left -= dt
  }
}

class ColdRoomPhysics implements Physics {
  readonly kind = 'cold-room'
  readonly readingNames = ['temperature_c', 'evaporator_c', 'door_open'] as const
  readonly relayNames = ['compressor', 'defrost'] as const
  private readonly model: ColdRoomModel
  private readonly thermostat: { onAboveC: number; offBelowC: number } | undefined
  private events: PhysicsEvent[] = []
  private powered = true
  constructor(params: Partial<ColdRoomParams>, init: ColdRoomInit & { thermostat?: { onAboveC: number; offBelowC: number } }) {
    this.model = new ColdRoomModel(params, init)
    this.thermostat = init.thermostat
  }
  step(dtS: number): void {
    sliced(dtS, this.thermostat ? THERMOSTAT_SLICE_S : dtS, (dt) => {
      for (const _ of this.model.step(dt).doorOpenedAt) this.events.push({ kind: 'door.opened' })
      const t = this.thermostat
      if (t && this.powered) {
        if (this.model.sensorC > t.onAboveC && !this.model.compressorOn) this.model.setCompressor(true)
        else if (this.model.sensorC < t.offBelowC && this.model.compressorOn) this.model.setCompressor(false)
      }
    })
  }
  readings(): Record<string, number> {
    const m = this.model
    // No coil model: the evaporator runs ~8 K under the room while the compressor pulls and
    // the defrost heater lifts it ~15 K over, which is enough for the end-of-defrost rule.
    const coil = m.sensorC + (m.defrosting ? 15 : m.compressorOn ? -8 : 0)
    return { temperature_c: round(m.sensorC, 1), evaporator_c: round(coil, 1), door_open: m.doorOpen ? 1 : 0 }
  }
  relay(name: string): boolean {
    return name === 'compressor' ? this.model.compressorOn : this.model.defrosting
  }
  setRelay(name: string, on: boolean): void {
    if (name === 'compressor') this.model.setCompressor(on)
    else this.model.setDefrost(on)
  }
  drainEvents(): PhysicsEvent[] {
    const out = this.events
    this.events = []
    return out
  }
  setPowered(on: boolean): void {
    this.powered = on
    if (!on) {
      this.model.setCompressor(false)
      this.model.setDefrost(false)
    }
  }
  /** Held open on top of the model's own openings (a door left open), until let go. */
  setDoor(open: boolean): boolean {
    if (this.model.holdDoor(open)) this.events.push({ kind: 'door.opened' })
    return true
  }
}

class OvenPhysics implements Physics {
  readonly kind = 'oven'
  readonly readingNames = ['temperature_c'] as const
  readonly relayNames = ['burner'] as const
  private readonly model: OvenModel
  constructor(params: Partial<OvenParams>, init: OvenInit) {
    this.model = new OvenModel(params, init)
  }
  step(dtS: number): void {
    this.model.step(dtS)
  }
  readings(): Record<string, number> {
    return { temperature_c: round(this.model.sensorC, 1) }
  }
  relay(): boolean {
    return this.model.isPowered
  }
  setRelay(_name: string, on: boolean): void {
    this.model.setPower(on)
  }
  /** The deck oven's thermostat, `setpoint_c`, within what a deck oven can reach. */
  setSetpoint(name: string, value: number): boolean {
    if (name !== 'setpoint_c' || value < 50 || value > 300) return false
    this.model.setSetpoint(value)
    return true
  }
  drainEvents(): PhysicsEvent[] {
    return []
  }
  setPowered(on: boolean): void {
    if (!on) this.model.setPower(false)
  }
}

class EnergyMeterPhysics implements Physics {
  readonly kind = 'energy-meter'
  readonly readingNames = ['power_kw', 'energy_kwh', 'voltage_v', 'current_a'] as const
  readonly relayNames: readonly string[]
  private readonly model: EnergyMeterModel
  private readonly state = new Map<string, boolean>()
  private beforeCut: Map<string, boolean> | undefined
  constructor(params: Record<string, unknown>, init: { loads?: Record<string, LoadSpec>; startKwh?: number }) {
    const loads = init.loads ?? {}
    this.model = new EnergyMeterModel(params, loads, init.startKwh ?? 0)
    this.relayNames = Object.keys(loads)
    for (const [name, spec] of Object.entries(loads)) this.state.set(name, spec.on === true)
  }
  step(dtS: number): void {
    this.model.step(dtS)
  }
  readings(): Record<string, number> {
    const r = this.model.reading()
    return { power_kw: round(r.kw, 3), energy_kwh: round(r.kwh, 3), voltage_v: round(r.voltageV, 1), current_a: round(r.currentA, 2) }
  }
  relay(name: string): boolean {
    return this.state.get(name) === true
  }
  setRelay(name: string, on: boolean): void {
    this.state.set(name, on)
    this.model.setLoad(name, on)
  }
  drainEvents(): PhysicsEvent[] {
    return []
  }
  /** Loads drop with the mains and come back as they were (a fridge restarts by itself). */
  setPowered(on: boolean): void {
    if (!on) {
      this.beforeCut = new Map(this.state)
      for (const name of this.relayNames) this.model.setLoad(name, false)
      return
    }
    for (const [name, was] of this.beforeCut ?? []) this.model.setLoad(name, was && this.state.get(name) === true)
    this.beforeCut = undefined
  }
}

class AmbientPhysics implements Physics {
  readonly kind = 'ambient'
  readonly readingNames = ['temperature_c', 'humidity_pct'] as const
  readonly relayNames = [] as const
  private readonly model: AmbientModel
  constructor(params: Record<string, unknown>) {
    this.model = new AmbientModel(params)
  }
  step(dtS: number): void {
    this.model.step(dtS)
  }
  readings(): Record<string, number> {
    const s = this.model.sensor
    return { temperature_c: round(s.temperatureC, 1), humidity_pct: round(s.humidityPct, 0) }
  }
  relay(): boolean {
    return false
  }
  setRelay(): void {}
  drainEvents(): PhysicsEvent[] {
    return []
  }
  setPowered(): void {}
}

/**
 * The whole irrigated sector: the controller's valve and meter, the soil probe, the weather
 * station, the rain gauge and the tank level are nodes on this one physics (`of`), so the
 * rain the gauge reads is the rain that wets the soil, and the tank falls by what the meter counts.
 */
class IrrigationPhysics implements Physics {
  readonly kind = 'irrigation-sector'
  readonly readingNames = [
    'flow_lpm',
    'volume_l',
    'soil_moisture_pct',
    'temperature_c',
    'humidity_pct',
    'rain_mm_h',
    'rain_24h_mm',
    'rain_mm',
    'level_pct',
  ] as const
  // The pump has no hydraulics here: the supply pressure is the mains'.
  readonly relayNames = ['valve_1', 'pump'] as const
  private readonly sector: IrrigationSector
  private pump = false
  constructor(params: Record<string, unknown>, init: Record<string, never>, startHour: number) {
    const ambient = { ...((params.ambient as object | undefined) ?? {}), startHour }
    this.sector = new IrrigationSector({ ...params, ambient }, init)
  }
  step(dtS: number): void {
    this.sector.step(dtS)
  }
  readings(): Record<string, number> {
    const flow = this.sector.meter.reading()
    const air = this.sector.ambient.sensor
    return {
      flow_lpm: round(flow.flowLpm, 2),
      volume_l: round(flow.liters, 1),
      soil_moisture_pct: round(this.sector.soil.sensorPct, 1),
      temperature_c: round(air.temperatureC, 1),
      humidity_pct: round(air.humidityPct, 0),
      rain_mm_h: round(this.sector.rain.rateMmPerH, 1),
      rain_24h_mm: round(this.sector.rain.last24hMm, 1),
      rain_mm: round(this.sector.rain.totalMm, 1),
      level_pct: round(this.sector.tank.levelPct, 1),
    }
  }
  relay(name: string): boolean {
    return name === 'pump' ? this.pump : this.sector.valve.commanded
  }
  setRelay(name: string, on: boolean): void {
    if (name === 'pump') this.pump = on
    else this.sector.command(on)
  }
  drainEvents(): PhysicsEvent[] {
    return []
  }
  setPowered(on: boolean): void {
    if (!on) {
      this.pump = false
      this.sector.command(false)
    }
  }
  setValve(open: boolean): boolean {
    this.sector.command(open)
    return true
  }
  setRain(mmPerH: number): boolean {
    this.sector.setRain(mmPerH)
    return true
  }
}

class OccupancyPhysics implements Physics {
  readonly kind = 'occupancy'
  readonly readingNames = ['people', 'co2_ppm', 'noise_dba', 'entries'] as const
  readonly relayNames = ['fan', 'extractor'] as const
  private readonly model: OccupancyModel
  private entries = 0
  constructor(params: Partial<OccupancyParams>, init: OccupancyInit) {
    this.model = new OccupancyModel(params, init)
  }
  step(dtS: number): void {
    this.entries += this.model.step(dtS).arrivals.length
  }
  readings(): Record<string, number> {
    const n = this.model.occupancy
    // No acoustic model: a quiet room near 40 dBA, crowd noise rising with the log of the crowd.
    const noise = 40 + 12 * Math.log10(1 + n)
    return { people: n, co2_ppm: Math.round(this.model.co2Ppm), noise_dba: round(noise, 1), entries: this.entries }
  }
  relay(): boolean {
    return this.model.fanOn
  }
  // `fan` (clinic) and `extractor` (bar) are the same forced ventilation, named as each pack does.
  setRelay(_name: string, on: boolean): void {
    this.model.setFan(on)
  }
  drainEvents(): PhysicsEvent[] {
    return []
  }
  setPowered(on: boolean): void {
    if (!on) this.model.setFan(false)
  }
}

class DoorContactPhysics implements Physics {
  readonly kind = 'door-contact'
  readonly readingNames = ['door_open', 'openings'] as const
  readonly relayNames = [] as const
  private readonly model: DoorContactModel
  private events: PhysicsEvent[] = []
  constructor(params: Record<string, unknown>) {
    this.model = new DoorContactModel(params)
  }
  step(dtS: number): void {
    for (const e of this.model.step(dtS)) if (e.open) this.events.push({ kind: 'door.opened' })
  }
  readings(): Record<string, number> {
    return { door_open: this.model.isOpen ? 1 : 0, openings: this.model.openingCount }
  }
  relay(): boolean {
    return false
  }
  setRelay(): void {}
  drainEvents(): PhysicsEvent[] {
    const out = this.events
    this.events = []
    return out
  }
  setPowered(): void {}
  setDoor(open: boolean): boolean {
    const e = this.model.propOpen(open)
    if (e?.open) this.events.push({ kind: 'door.opened' })
    return true
  }
}

/** RFID access reader (`rfid.swipe`) or, with `pos: true`, a cashless terminal (`pos.charge`). */
class CardPhysics implements Physics {
  readonly readingNames = ['door_open', 'swipes'] as const
  readonly relayNames = [] as const
  private readonly model: RfidReaderModel
  private readonly random: () => number
  private events: PhysicsEvent[] = []
  private tx = 0
  constructor(
    readonly kind: 'rfid-reader' | 'pos-terminal',
    params: Record<string, unknown>,
    private readonly init: { door?: string; currency?: string; minAmountMinor?: number; maxAmountMinor?: number },
    seed: number,
  ) {
    this.model = new RfidReaderModel(params)
    this.random = mulberry32(seed ^ 0x5eed)
  }
  step(dtS: number): void {
    for (const swipe of this.model.step(dtS)) {
      if (this.kind === 'rfid-reader') {
        this.events.push({ kind: 'rfid.swipe', data: { card: swipe.cardId, ...(this.init.door ? { door: this.init.door } : {}) } })
        continue
      }
      if (swipe.retry) continue
      const min = this.init.minAmountMinor ?? 100_000
      const max = Math.max(min, this.init.maxAmountMinor ?? 1_000_000)
      // Prices in whole hundreds, as a bar's menu has them.
      const amount = Math.max(1, Math.round((min + this.random() * (max - min)) / 10_000) * 10_000)
      this.tx += 1
      this.events.push({
        kind: 'pos.charge',
        data: { tx: `sim-${this.tx}`, card: swipe.cardId, amount_minor: amount, currency: this.init.currency ?? 'ARS' },
      })
    }
  }
  readings(): Record<string, number> {
    // The heartbeat the `lector-entrada` stale rule watches: the door is shut between swipes.
    return { door_open: 0, swipes: this.model.swipeCount }
  }
  relay(): boolean {
    return false
  }
  setRelay(): void {}
  drainEvents(): PhysicsEvent[] {
    const out = this.events
    this.events = []
    return out
  }
  setPowered(): void {}
}

/**
 * A reader on a locked door with a contact (VIP room, storeroom): `rfid.swipe` for every card,
 * `door.opened` for every opening, and `door.forced` for an opening no granted swipe explains
 * (a scheduled `door.open` with no card before it).
 */
class AccessDoorPhysics implements Physics {
  readonly kind = 'access-door'
  readonly readingNames = ['door_open', 'swipes'] as const
  readonly relayNames = [] as const
  private readonly model: AccessDoorModel
  private events: PhysicsEvent[] = []
  private readonly door: Record<string, string>
  constructor(params: Record<string, unknown>, init: { door?: string }) {
    this.model = new AccessDoorModel(params)
    this.door = init.door ? { door: init.door } : {}
  }
  step(dtS: number): void {
    for (const e of this.model.step(dtS)) {
      if (e.kind === 'swipe') this.events.push({ kind: 'rfid.swipe', data: { card: e.swipe.cardId, ...this.door } })
      else this.pushDoor(e.open, e.forced)
    }
  }
  readings(): Record<string, number> {
    return { door_open: this.model.isOpen ? 1 : 0, swipes: this.model.swipeCount }
  }
  relay(): boolean {
    return false
  }
  setRelay(): void {}
  drainEvents(): PhysicsEvent[] {
    const out = this.events
    this.events = []
    return out
  }
  setPowered(): void {}
  setDoor(open: boolean): boolean {
    const edge = this.model.holdDoor(open)
    if (edge) this.pushDoor(edge.open, edge.forced)
    return true
  }
  private pushDoor(open: boolean, forced: boolean): void {
    if (!open) return
    this.events.push({ kind: 'door.opened', ...(this.door.door ? { data: { ...this.door } } : {}) })
    if (forced) this.events.push({ kind: 'door.forced', ...(this.door.door ? { data: { ...this.door } } : {}) })
  }
}

const PRESETS: Record<string, Partial<Record<ModelKind, object>>> = {
  vaccineFridge: { 'cold-room': presets.vaccineFridge },
  butcherColdRoom: { 'cold-room': presets.butcherColdRoom },
  iceFreezer: { 'cold-room': presets.iceFreezer },
  bakeryDeckOven: { oven: presets.bakeryDeckOven },
  clinicWaitingRoom: { occupancy: presets.clinicWaitingRoom },
  barFloor: { occupancy: presets.barFloor },
}

export const presetNames = (): string[] => Object.keys(PRESETS)

/** Models whose params take `startHour` (daily profiles). */
const DAILY: ReadonlySet<ModelKind> = new Set(['ambient', 'occupancy', 'door-contact', 'rfid-reader', 'pos-terminal', 'access-door'])

/** Builds the physics of one scenario device; throws with `where` (a JSON path) on bad input. */
export function buildPhysics(spec: PhysicsSpec, where: string): Physics {
  let base: object = {}
  if (spec.preset !== undefined) {
    const preset = PRESETS[spec.preset]?.[spec.kind]
    if (!preset) throw new SimulatorError('SIM_CONFIG_INVALID', `${where}/preset: no preset "${spec.preset}" for model ${spec.kind} (known: ${presetNames().join(', ')})`)
    base = preset
  }
  const params: Record<string, unknown> = { ...base, seed: spec.seed, ...(DAILY.has(spec.kind) ? { startHour: spec.startHour } : {}), ...spec.params }
  const init = (spec.init ?? {}) as Record<string, never>
  try {
    switch (spec.kind) {
      case 'cold-room':
        return new ColdRoomPhysics(params, init)
      case 'oven':
        return new OvenPhysics(params, init)
      case 'energy-meter':
        return new EnergyMeterPhysics(params, init)
      case 'ambient':
        return new AmbientPhysics(params)
      case 'irrigation-sector':
        return new IrrigationPhysics(params, init, spec.startHour)
      case 'occupancy':
        return new OccupancyPhysics(params, init)
      case 'door-contact':
        return new DoorContactPhysics(params)
      case 'rfid-reader':
      case 'pos-terminal':
        return new CardPhysics(spec.kind, params, init, spec.seed)
      case 'access-door':
        return new AccessDoorPhysics(params, init)
    }
  } catch (err) {
    if (err instanceof RangeError || err instanceof TypeError) throw new SimulatorError('SIM_CONFIG_INVALID', `${where}/params: ${err.message}`)
    throw err
  }
}
