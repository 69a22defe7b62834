import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { PhysicsEvent } from './physics.js'
import { ScenarioRunner } from './runner.js'
import { loadScenario, parseScenario } from './schema.js'

/**
 * A simulated day of the devices the pack rules read and the scenarios used to lack (ice
 * freezer, VIP/storeroom reader, rain gauge, tank): their rules get one reason a day to fire,
 * at the scheduled time, and none otherwise. Driven through the runner's public clock, as
 * the rules would see the readings, every 30 simulated seconds.
 */
const DAY_S = 86_400
const STEP_S = 30

const offline = (name: string, seed: number) =>
  new ScenarioRunner({ scenario: loadScenario(name), mqttUrl: 'mqtt://127.0.0.1:9', password: 'x', speed: 1, seed, logger: pino({ level: 'silent' }) })

/** Scenario clock as minutes after midnight, for a runner that started at `startMin`. */
const clockMin = (runner: ScenarioRunner, startMin: number) => (startMin + runner.simulatedS / 60) % 1440

/** Spans (start, end in clock minutes) where `pred` held on consecutive samples. */
function spans(samples: { min: number; on: boolean }[]): [number, number][] {
  const out: [number, number][] = []
  let from: number | undefined
  for (const s of samples) {
    if (s.on && from === undefined) from = s.min
    if (!s.on && from !== undefined) {
      out.push([from, s.min])
      from = undefined
    }
  }
  if (from !== undefined) out.push([from, samples.at(-1)!.min])
  return out
}

const hm = (h: number, m: number) => h * 60 + m

describe('bar-boliche: ice freezer and VIP/storeroom reader over a night', () => {
  it.each([1, 2, 3])('seed %i: forced once at 04:40 and open 3 min; freezer open 6 min at 05:10 and above −10 °C only after it', (seed) => {
    const runner = offline('bar-boliche', seed)
    const start = hm(23, 0)
    const freezer = runner.physicsOf('freezer-hielo')!
    const reader = runner.physicsOf('lector-vip')!
    const warm: { min: number; on: boolean }[] = []
    const freezerOpen: { min: number; on: boolean }[] = []
    const storeOpen: { min: number; on: boolean }[] = []
    const forcedAt: number[] = []
    const swipesAt: number[] = []
    let coldest = Number.POSITIVE_INFINITY
    // The runner drains events into the nodes; read them from the physics between steps instead.
    const drain = (events: PhysicsEvent[], min: number) => {
      for (const e of events) {
        if (e.kind === 'door.forced') forcedAt.push(min)
        if (e.kind === 'rfid.swipe') swipesAt.push(runner.simulatedS)
      }
    }
    const original = reader.drainEvents.bind(reader)
    reader.drainEvents = () => {
      const events = original()
      drain(events, clockMin(runner, start))
      return events
    }
    while (runner.simulatedS < DAY_S) {
      runner.advance(STEP_S)
      const min = clockMin(runner, start)
      const f = freezer.readings()
      warm.push({ min, on: (f.temperature_c as number) > -10 })
      freezerOpen.push({ min, on: f.door_open === 1 })
      storeOpen.push({ min, on: reader.readings().door_open === 1 })
      coldest = Math.min(coldest, f.temperature_c as number)
    }

    // bar-puerta-forzada: one door.forced a day, at 04:40.
    expect(forcedAt).toEqual([hm(4, 40)])
    // bar-puerta-deposito-abierta (> 2 min): only the forced door is open that long.
    const longStore = spans(storeOpen).filter(([a, b]) => b - a > 2)
    expect(longStore).toEqual([[hm(4, 40), hm(4, 43)]])
    // bar-tarjeta-barridos (> 8 swipes in a minute) never.
    for (let i = 0, j = 0; i < swipesAt.length; i++) {
      while ((swipesAt[i] as number) - (swipesAt[j] as number) >= 60) j++
      expect(i - j + 1).toBeLessThanOrEqual(8)
    }
    expect(swipesAt.length).toBeGreaterThan(5)
    // bar-freezer-puerta (> 5 min): only the 05:10 door.
    // (A routine opening of a few seconds may run into it, so its edges are within a sample.)
    const longFreezer = spans(freezerOpen).filter(([a, b]) => b - a > 5)
    expect(longFreezer).toHaveLength(1)
    const [opened, closed] = longFreezer[0]!
    expect(opened).toBeGreaterThanOrEqual(hm(5, 9.5))
    expect(opened).toBeLessThanOrEqual(hm(5, 10))
    expect(closed).toBeGreaterThanOrEqual(hm(5, 16))
    expect(closed).toBeLessThanOrEqual(hm(5, 16.5))
    // bar-freezer-alto (> −10 °C for 20 min): one long warm spell a day, starting a few minutes
    // into the open door, well over 20 min and under the hour and a quarter. While it recovers
    // through −10 °C a routine opening can lift it back over for a moment: too short to count.
    const warmSpells = spans(warm)
    const long = warmSpells.filter(([a, b]) => b - a >= 20)
    expect(long).toHaveLength(1)
    const [from, to] = long[0]!
    expect(from).toBeGreaterThan(hm(5, 10))
    expect(from).toBeLessThan(hm(5, 16))
    expect(to - from).toBeGreaterThan(25)
    expect(to - from).toBeLessThan(75)
    for (const [a, b] of warmSpells.filter((w) => w !== long[0])) {
      expect(b - a).toBeLessThan(5)
      expect(a).toBeGreaterThan(to)
      expect(a).toBeLessThan(to + 30)
    }
    expect(coldest).toBeGreaterThan(-22)
  })
})

describe('riego: rain gauge and tank over a day', () => {
  it.each([1, 2, 3])('seed %i: rain only 15:00–15:45 and it wets the soil; irrigation lifts the substrate over 40 % in under an hour; the tank dips and stays above 15 %', (seed) => {
    const runner = offline('riego', seed)
    const start = hm(5, 0)
    const sector = runner.physicsOf('riego-ctrl')!
    expect(runner.physicsOf('pluviometro')).toBe(sector)
    expect(runner.physicsOf('tanque')).toBe(sector)
    const raining: { min: number; on: boolean }[] = []
    let lowest = Number.POSITIVE_INFINITY
    let lowestAt = 0
    let soilBefore = 0
    let soilAfter = 0
    let levelAt0550 = 0
    let soilAt0510 = 0
    let soilAt0546 = 0
    while (runner.simulatedS < DAY_S) {
      runner.advance(STEP_S)
      const min = clockMin(runner, start)
      // What riego-regar does on the gateway: the substrate dawns under 30 %, so it waters
      // from 05:10 until the probe reads over 40 % (about 35 minutes at 20 mm/h).
      if (min === hm(5, 10)) {
        soilAt0510 = sector.readings().soil_moisture_pct!
        sector.setRelay('valve_1', true)
      }
      if (min === hm(5, 46)) {
        soilAt0546 = sector.readings().soil_moisture_pct!
        sector.setRelay('valve_1', false)
      }
      const r = sector.readings()
      raining.push({ min, on: (r.rain_mm_h as number) > 0.5 })
      if (r.level_pct! < lowest) {
        lowest = r.level_pct!
        lowestAt = min
      }
      if (min === hm(15, 0)) soilBefore = r.soil_moisture_pct!
      if (min === hm(15, 45)) soilAfter = r.soil_moisture_pct!
      if (min === hm(5, 50)) levelAt0550 = r.level_pct!
      if (min === hm(15, 30)) expect(r.rain_mm_h).toBe(4)
    }
    // riego-corte-lluvia reads rain_mm_h > 0.5: only the scheduled shower.
    expect(spans(raining)).toEqual([[hm(15, 0), hm(15, 45)]])
    const end = sector.readings()
    expect(end.rain_mm).toBe(3)
    expect(end.rain_24h_mm).toBe(3) // under the 5 mm that hold irrigation back
    // The same rain wet the substrate (3 mm into a 100 mm root zone is about +3 %, less the ET of the hour).
    expect(soilAfter).toBeGreaterThan(soilBefore + 2)
    // riego-regar: under 30 % before, over its 40 % re-arm point after 36 minutes of water.
    expect(soilAt0510).toBeLessThan(30)
    expect(soilAt0546).toBeGreaterThan(40)
    // riego-tanque-bajo reads level_pct < 15: the tank bottoms out as the valve closes.
    expect(lowest).toBeGreaterThan(50)
    expect(lowest).toBeLessThan(90)
    expect(lowestAt).toBeGreaterThanOrEqual(hm(5, 45))
    expect(lowestAt).toBeLessThanOrEqual(hm(5, 48))
    expect(levelAt0550).toBeLessThan(90)
    expect(end.level_pct).toBe(100) // refilled by the float valve
  })
})

describe('rain events in scenario files', () => {
  const base = (event: Record<string, unknown>, model = 'irrigation-sector') => ({
    name: 'x',
    title: 'x',
    description: 'x',
    startAt: '05:00',
    devices: [{ id: 'sector', name: 'Sector', model, intervalS: 60 }],
    events: [{ at: '15:00', device: 'sector', ...event }],
  })
  it('rain.start needs a rate, only it takes one, and rain.stop has no undo', () => {
    expect(() => parseScenario(base({ action: 'rain.start' }))).toThrow(/events\/0: rain.start needs "mmH"/)
    expect(() => parseScenario(base({ action: 'door.open', mmH: 3 }))).toThrow(/events\/0\/mmH/)
    expect(() => parseScenario(base({ action: 'rain.stop', durationS: 60 }))).toThrow(/events\/0\/durationS/)
    expect(() => parseScenario(base({ action: 'rain.start', mmH: 0 }))).toThrow(/mmH/)
    expect(parseScenario(base({ action: 'rain.start', mmH: 4, durationS: 600 })).events[0]?.mmH).toBe(4)
  })
  it('the runner refuses rain on a device with no sky', () => {
    const scenario = parseScenario(base({ action: 'rain.start', mmH: 4 }, 'cold-room'))
    expect(
      () => new ScenarioRunner({ scenario, mqttUrl: 'mqtt://127.0.0.1:9', password: 'x', speed: 1, seed: 1, logger: pino({ level: 'silent' }) }),
    ).toThrow(/no weather to rain on/)
  })
})
