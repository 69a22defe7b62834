import { describe, expect, it } from 'vitest'
import { ColdRoomModel } from './cold-room.js'
import { mulberry32 } from './seeded-random.js'

const SEEDS = [1, 9, 77, 2_718]
const HOUR = 3600

/** The gateway's cold-room rule as a bang-bang thermostat, evaluated every `periodS`. */
function thermostat(room: ColdRoomModel, setpointC: number, bandK: number): void {
  if (room.temperatureC > setpointC + bandK) room.setCompressor(true)
  else if (room.temperatureC < setpointC - bandK) room.setCompressor(false)
}

describe('cold room properties', () => {
  it('with a thermostat driving the compressor it pulls down and holds the setpoint band, doors and all', () => {
    for (const seed of SEEDS) {
      const rnd = mulberry32(seed)
      const setpointC = 1 + rnd() * 5
      const room = new ColdRoomModel({ seed, doorOpeningsPerHour: 6 }, { startTempC: 15 })
      const periodS = 30
      for (let t = 0; t < 3 * HOUR; t += periodS) {
        thermostat(room, setpointC, 1)
        room.step(periodS)
      }
      let lo = Number.POSITIVE_INFINITY
      let hi = Number.NEGATIVE_INFINITY
      let sum = 0
      const n = (12 * HOUR) / periodS
      for (let i = 0; i < n; i++) {
        thermostat(room, setpointC, 1)
        room.step(periodS)
        lo = Math.min(lo, room.temperatureC)
        hi = Math.max(hi, room.temperatureC)
        sum += room.temperatureC
      }
      expect(lo).toBeGreaterThan(setpointC - 1.5)
      expect(hi).toBeLessThan(setpointC + 1.5)
      expect(sum / n).toBeCloseTo(setpointC, 0)
    }
  })

  it('an open door raises the temperature: a room with door openings is never colder than its closed twin', () => {
    for (const seed of SEEDS) {
      const rnd = mulberry32(seed)
      const start = { startTempC: 2 + rnd() * 4 }
      const shut = new ColdRoomModel({ seed, doorOpeningsPerHour: 0 }, start)
      const busy = new ColdRoomModel({ seed, doorOpeningsPerHour: 15, doorOpenMeanS: 60 }, start)
      let openings = 0
      for (let i = 0; i < 2_000; i++) {
        if (rnd() < 0.1) {
          const on = rnd() < 0.5
          shut.setCompressor(on)
          busy.setCompressor(on)
        }
        const dt = rnd() * 120
        openings += busy.step(dt).doorOpenedAt.length
        shut.step(dt)
        const gap = busy.temperatureC - shut.temperatureC
        expect(gap).toBeGreaterThanOrEqual(-1e-9)
      }
      expect(openings).toBeGreaterThan(10)
      expect(busy.temperatureC).toBeGreaterThan(shut.temperatureC)
    }
  })

  it('while the door is open the room warms faster than with it shut (compressor on or off)', () => {
    for (const seed of SEEDS) {
      for (const compressorOn of [false, true]) {
        const busy = new ColdRoomModel({ seed, doorOpeningsPerHour: 30 }, { startTempC: 3, compressorOn })
        const shut = new ColdRoomModel({ seed, doorOpeningsPerHour: 0 }, { startTempC: 3, compressorOn })
        let openSteps = 0
        for (let i = 0; i < 2 * HOUR; i++) {
          const wasOpen = busy.doorOpen
          const [b0, s0] = [busy.temperatureC, shut.temperatureC]
          const opened = busy.step(1).doorOpenedAt.length
          shut.step(1)
          if (wasOpen && busy.doorOpen && opened === 0) {
            openSteps++
            expect(busy.temperatureC - b0).toBeGreaterThan(shut.temperatureC - s0)
            if (!compressorOn) expect(busy.temperatureC).toBeGreaterThan(b0)
          }
        }
        expect(openSteps).toBeGreaterThan(100)
      }
    }
  })

  it('scheduled defrost: compressor locked out and heater on for its duration, then the room recovers', () => {
    for (const seed of SEEDS) {
      const room = new ColdRoomModel(
        { seed, doorOpeningsPerHour: 0, defrostIntervalS: 6 * HOUR, defrostDurationS: 20 * 60 },
        { startTempC: 2 },
      )
      const setpointC = 2
      let beforeDefrost = 0
      let peakInDefrost = Number.NEGATIVE_INFINITY
      let defrostSeconds = 0
      for (let t = 0; t < 8 * HOUR; t += 10) {
        thermostat(room, setpointC, 1)
        if (t === 6 * HOUR) beforeDefrost = room.temperatureC
        if (room.defrosting) {
          defrostSeconds += 10
          peakInDefrost = Math.max(peakInDefrost, room.temperatureC)
        }
        room.step(10)
      }
      expect(defrostSeconds).toBe(20 * 60)
      expect(room.defrostingAt(6 * HOUR - 1)).toBe(false)
      expect(room.defrostingAt(6 * HOUR + 60)).toBe(true)
      expect(room.defrostingAt(6 * HOUR + 20 * 60)).toBe(false)
      expect(peakInDefrost).toBeGreaterThan(beforeDefrost + 2) // the rise alarm rules must tolerate
      expect(room.temperatureC).toBeLessThan(setpointC + 1.5) // recovered within the next 1 h 40 min
    }
  })

  it('defrost does not break step-size independence, and a manual defrost overrides the relay', () => {
    const params = { seed: 4, doorOpeningsPerHour: 8, defrostIntervalS: 4 * HOUR, defrostDurationS: 30 * 60 }
    const coarse = new ColdRoomModel(params, { startTempC: 3, compressorOn: true })
    const fine = new ColdRoomModel(params, { startTempC: 3, compressorOn: true })
    coarse.step(13 * HOUR)
    const rnd = mulberry32(4)
    while (fine.elapsedS < 13 * HOUR) fine.step(Math.min(13 * HOUR - fine.elapsedS, rnd() * 600))
    expect(fine.temperatureC).toBeCloseTo(coarse.temperatureC, 6)

    const manual = new ColdRoomModel({ doorOpeningsPerHour: 0 }, { startTempC: 2, compressorOn: true })
    manual.setDefrost(true)
    expect(manual.snapshot()).toMatchObject({ defrosting: true, compressorOn: true })
    manual.step(600)
    expect(manual.temperatureC).toBeGreaterThan(2)
    manual.setDefrost(false)
    manual.step(600)
    expect(manual.defrosting).toBe(false)
    expect(() => new ColdRoomModel({ defrostIntervalS: 600, defrostDurationS: 600 })).toThrow(RangeError)
  })
})
