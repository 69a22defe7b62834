import { describe, expect, it } from 'vitest'
import { ColdRoomModel, defaultColdRoomParams } from './cold-room.js'

const closedDoor = { doorOpeningsPerHour: 0 }
const HOUR = 3600

function trajectory(model: ColdRoomModel, steps: number, dtS: number): number[] {
  const temps: number[] = []
  for (let i = 0; i < steps; i++) {
    model.step(dtS)
    temps.push(model.temperatureC)
  }
  return temps
}

describe('cold room model', () => {
  it('warms monotonically with the compressor off and never passes its equilibrium', () => {
    const model = new ColdRoomModel({ ...closedDoor, productLoadW: 0 }, { startTempC: 2 })
    const temps = trajectory(model, 2_000, 60)
    for (let i = 1; i < temps.length; i++) expect(temps[i]!).toBeGreaterThanOrEqual(temps[i - 1]!)
    // Without internal load the room cannot get warmer than the air around it.
    expect(Math.max(...temps)).toBeLessThanOrEqual(defaultColdRoomParams.ambientC)
    expect(temps.at(-1)!).toBeCloseTo(defaultColdRoomParams.ambientC, 1)
  })

  it('with the default internal load settles Q_product / UA above ambient, not beyond', () => {
    const model = new ColdRoomModel(closedDoor, { startTempC: 2 })
    const offEquilibrium = 24 + 50 / 50 // T_amb + Q_product / UA = 25 °C
    expect(model.equilibriumC(false)).toBeCloseTo(offEquilibrium, 9)
    const temps = trajectory(model, 500, 600)
    expect(Math.max(...temps)).toBeLessThanOrEqual(offEquilibrium)
    expect(temps.at(-1)!).toBeCloseTo(offEquilibrium, 2)
  })

  it('cools with the compressor on and converges to T_amb − (Q_comp − Q_product) / UA', () => {
    const model = new ColdRoomModel(closedDoor, { startTempC: 6, compressorOn: true })
    const onEquilibrium = 24 - (2_800 - 50) / 50 // −31 °C with the defaults
    expect(model.equilibriumC(true)).toBeCloseTo(onEquilibrium, 9)
    const temps = trajectory(model, 200, 1_000) // 20 time constants (C/UA = 10 000 s)
    for (let i = 1; i < temps.length; i++) expect(temps[i]!).toBeLessThanOrEqual(temps[i - 1]!)
    expect(Math.min(...temps)).toBeGreaterThanOrEqual(onEquilibrium)
    expect(temps.at(-1)!).toBeCloseTo(onEquilibrium, 3)
  })

  it('pulls a warm room down at a realistic rate (≈ 12 K/h at 4 °C)', () => {
    const model = new ColdRoomModel(closedDoor, { startTempC: 4, compressorOn: true })
    model.step(60)
    const perHour = (model.temperatureC - 4) * 60
    expect(perHour).toBeLessThan(-10)
    expect(perHour).toBeGreaterThan(-15)
  })

  it('door openings raise the rate of rise', () => {
    const shut = new ColdRoomModel(closedDoor, { startTempC: 2 })
    const busy = new ColdRoomModel({ doorOpeningsPerHour: 20, doorOpenMeanS: 60, seed: 7 }, { startTempC: 2 })
    shut.step(HOUR)
    const { doorOpenedAt } = busy.step(HOUR)
    expect(doorOpenedAt.length).toBeGreaterThan(5)
    expect(busy.temperatureC - 2).toBeGreaterThan((shut.temperatureC - 2) * 1.2)
  })

  it('replays the same trajectory from the same seed, and a different door schedule from another', () => {
    const run = (seed: number) => {
      const model = new ColdRoomModel({ seed, doorOpeningsPerHour: 10 }, { startTempC: 3 })
      const openings: number[] = []
      const temps: number[] = []
      for (let i = 0; i < 500; i++) {
        if (i === 250) model.setCompressor(true)
        openings.push(...model.step(40).doorOpenedAt)
        temps.push(model.temperatureC)
      }
      return { openings, temps }
    }
    const a = run(42)
    expect(run(42)).toEqual(a)
    expect(a.openings.length).toBeGreaterThan(0)
    expect(run(43).openings).not.toEqual(a.openings)
  })

  it('gives the same result however time is sliced', () => {
    const coarse = new ColdRoomModel({ seed: 5, doorOpeningsPerHour: 12 }, { startTempC: 3 })
    const fine = new ColdRoomModel({ seed: 5, doorOpeningsPerHour: 12 }, { startTempC: 3 })
    coarse.step(2 * HOUR)
    for (let i = 0; i < 7_200; i++) fine.step(1)
    expect(fine.temperatureC).toBeCloseTo(coarse.temperatureC, 6)
    expect(fine.snapshot().doorOpenings).toBe(coarse.snapshot().doorOpenings)
  })

  it('stays finite and bounded under a huge dt', () => {
    const on = new ColdRoomModel(closedDoor, { startTempC: 5, compressorOn: true })
    on.step(1e12)
    expect(Number.isFinite(on.temperatureC)).toBe(true)
    expect(on.temperatureC).toBeCloseTo(on.equilibriumC(true), 6)

    const withDoor = new ColdRoomModel({ seed: 3 }, { startTempC: 5 })
    withDoor.step(1e7) // ≈ 4 months in one call, thousands of door openings
    const hottest = withDoor.equilibriumC(false, true)
    expect(Number.isFinite(withDoor.temperatureC)).toBe(true)
    expect(withDoor.temperatureC).toBeLessThanOrEqual(hottest)
    expect(withDoor.temperatureC).toBeGreaterThanOrEqual(withDoor.equilibriumC(false))
  })

  it('reports the probe at 0.1 °C and only the relay changes the compressor', () => {
    const model = new ColdRoomModel(closedDoor, { startTempC: 4.04 })
    expect(model.sensorC).toBe(4)
    model.step(3 * HOUR)
    expect(model.compressorOn).toBe(false)
    expect(Math.round(model.sensorC * 10)).toBe(model.sensorC * 10)
    model.setCompressor(true)
    expect(model.snapshot()).toMatchObject({ compressorOn: true, elapsedS: 3 * HOUR })
  })

  it('a held door stays open through the schedule, warms the room like an opening, and closes when let go', () => {
    const held = new ColdRoomModel({ ...closedDoor }, { startTempC: 2, compressorOn: true })
    const shut = new ColdRoomModel({ ...closedDoor }, { startTempC: 2, compressorOn: true })
    expect(held.holdDoor(true)).toBe(true)
    expect(held.holdDoor(true)).toBe(false) // already open: not a new opening
    held.step(600)
    shut.step(600)
    expect(held.doorOpen).toBe(true)
    expect(held.temperatureC).toBeGreaterThan(shut.temperatureC + 1)
    expect(held.snapshot().doorOpenings).toBe(1)
    held.holdDoor(false)
    expect(held.doorOpen).toBe(false)
    // Scheduled openings are hidden while held, and the schedule itself is unchanged by holding.
    const a = new ColdRoomModel({ doorOpeningsPerHour: 30, seed: 4 })
    const b = new ColdRoomModel({ doorOpeningsPerHour: 30, seed: 4 })
    b.holdDoor(true)
    expect(b.step(HOUR).doorOpenedAt).toEqual([])
    b.holdDoor(false)
    a.step(HOUR)
    expect(b.step(HOUR).doorOpenedAt).toEqual(a.step(HOUR).doorOpenedAt)
  })

  it('rejects nonsense parameters and steps', () => {
    expect(() => new ColdRoomModel({ uaWPerK: 0 })).toThrow(RangeError)
    expect(() => new ColdRoomModel({ compressorCapacityW: -1 })).toThrow(RangeError)
    expect(() => new ColdRoomModel().step(Number.NaN)).toThrow(RangeError)
    expect(() => new ColdRoomModel().step(-1)).toThrow(RangeError)
  })
})
