import { describe, expect, it } from 'vitest'
import { FaultInjector, SensorFaults, faultPlanErrors, parseFaultPlan, spikeTimesInHour, type FaultPlan } from '../src/faults/index.js'
import { mulberry32 } from '../src/models/seeded-random.js'
import { wallClock } from '../src/modbus/sim-clock.js'

const DEV = 'camara-1'
/** A true signal that moves, so a frozen or offset output cannot pass by accident. */
const truth = (tS: number) => 2 + Math.sin(tS / 600) * 1.5

describe('fault plan schema', () => {
  it('accepts a plan with every kind', () => {
    const plan = [
      { deviceId: DEV, metric: 'temperature_c', kind: 'stuck', from: 0 },
      { deviceId: DEV, kind: 'drift', from: 60, to: 7200, params: { mode: 'random-walk', stepPerHour: 0.3 } },
      { deviceId: DEV, kind: 'spikes', from: 0, params: { ratePerHour: 3, magnitude: 8 } },
      { deviceId: DEV, kind: 'noise', from: 0, params: { sigma: 0.2 } },
      { deviceId: DEV, kind: 'dropout', from: 0, params: { probability: 0.1 } },
      { deviceId: DEV, kind: 'offline', from: 100, to: 200 },
      { deviceId: DEV, kind: 'partition', from: 100, to: 200, params: { mode: 'drop' } },
      { deviceId: 'frio-1', kind: 'modbus-timeout', from: 0 },
      { deviceId: 'frio-1', kind: 'modbus-exception', from: 0, params: { code: 4 } },
      { deviceId: 'frio-1', kind: 'modbus-stuck', from: 0, params: { register: 'temperature' } },
    ]
    expect(faultPlanErrors(plan)).toEqual([])
    expect(parseFaultPlan(plan)).toBe(plan)
  })

  it('names the path of every mistake', () => {
    const errors = faultPlanErrors(
      [
        { deviceId: DEV, kind: 'spikes', from: 0, params: { ratePerHour: -1, magnitude: 'big' } },
        { deviceId: DEV, kind: 'melt', from: 0 },
        { deviceId: DEV, kind: 'offline', from: 50, to: 10 },
        { deviceId: DEV, kind: 'offline', metric: 'x', from: 0 },
      ],
      '/faults',
    )
    const text = errors.join('\n')
    expect(text).toMatch(/^\/faults\/0\/params\/ratePerHour: /m)
    expect(text).toMatch(/^\/faults\/0\/params\/magnitude: /m)
    expect(text).toMatch(/^\/faults\/1\/kind: /m)
    expect(text).toMatch(/^\/faults\/2\/to: must be greater than from/m)
    expect(text).toMatch(/^\/faults\/3\/metric: only sensor faults/m)
    expect(() => parseFaultPlan({})).toThrow(/must be an array/)
    expect(faultPlanErrors([{ deviceId: 'x', kind: 'offline', from: 0 }], '/faults', { deviceIds: [DEV] })).toEqual([
      '/faults/0/deviceId: no device "x" in this scenario',
    ])
  })
})

describe('sensor faults', () => {
  it('stuck holds exactly the value at its start, until it ends', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = mulberry32(seed)
      const from = Math.floor(random() * 3600)
      const to = from + 60 + Math.floor(random() * 7200)
      const f = new SensorFaults([{ deviceId: DEV, metric: 'temperature_c', kind: 'stuck', from, to }])
      let frozen: number | undefined
      for (let t = 0; t < to + 600; t += 10 + Math.floor(random() * 50)) {
        const got = f.applyOne(DEV, 'temperature_c', t, truth(t))
        if (t < from || t >= to) expect(got).toBe(truth(t))
        else {
          frozen ??= got!
          expect(got).toBe(frozen)
        }
      }
      // Other metrics and other devices are untouched.
      expect(f.applyOne(DEV, 'door_open', from + 1, 1)).toBe(1)
      expect(f.applyOne('camara-2', 'temperature_c', from + 1, 7)).toBe(7)
    }
    const fixed = new SensorFaults([{ deviceId: DEV, kind: 'stuck', from: 0, params: { value: -40 } }])
    expect(fixed.apply(DEV, 5, { temperature_c: 3, humidity: 80 })).toEqual({ temperature_c: -40, humidity: -40 })
  })

  it('linear drift grows with time at its rate', () => {
    const f = new SensorFaults([{ deviceId: DEV, kind: 'drift', from: 3600, params: { ratePerHour: 0.5 } }])
    expect(f.applyOne(DEV, 't', 3000, 4)).toBe(4)
    expect(f.applyOne(DEV, 't', 3600 + 7200, 4)).toBeCloseTo(5, 9)
    let last = -Infinity
    for (let t = 3600; t < 86_400; t += 97) {
      const offset = f.applyOne(DEV, 't', t, truth(t))! - truth(t)
      expect(offset).toBeGreaterThanOrEqual(last)
      last = offset
    }
  })

  it('random-walk drift spreads like √t over many seeds', () => {
    const spread = (hours: number) => {
      let sq = 0
      for (let seed = 0; seed < 400; seed++) {
        const f = new SensorFaults([{ deviceId: DEV, kind: 'drift', from: 0, seed, params: { mode: 'random-walk', stepPerHour: 1 } }])
        sq += f.applyOne(DEV, 't', hours * 3600, 0)! ** 2
      }
      return Math.sqrt(sq / 400)
    }
    const at4 = spread(4)
    const at64 = spread(64)
    expect(at4).toBeGreaterThan(1.5)
    expect(at4).toBeLessThan(2.5)
    expect(at64 / at4).toBeGreaterThan(3)
    expect(at64 / at4).toBeLessThan(5)
  })

  it('spikes arrive at the Poisson rate over a long run', () => {
    const ratePerHour = 5
    let n = 0
    for (let h = 0; h < 2000; h++) n += spikeTimesInHour(42, ratePerHour, h).length
    // 10 000 expected, σ = 100: ±4σ.
    expect(Math.abs(n - 10_000)).toBeLessThan(400)

    // Seen through the transform, sampling every second: fraction of time on ≈ rate × duration.
    const f = new SensorFaults([{ deviceId: DEV, kind: 'spikes', from: 0, seed: 7, params: { ratePerHour: 6, magnitude: 10, durationS: 5 } }])
    let on = 0
    const seconds = 200 * 3600
    for (let t = 0; t < seconds; t++) if (f.applyOne(DEV, 't', t, 0) !== 0) on++
    const expected = (6 * 5 * seconds) / 3600
    expect(Math.abs(on - expected) / expected).toBeLessThan(0.1)
  })

  it('noise has the asked-for spread and dropout the asked-for rate', () => {
    const f = new SensorFaults([
      { deviceId: DEV, metric: 'a', kind: 'noise', from: 0, params: { sigma: 0.5 } },
      { deviceId: DEV, metric: 'b', kind: 'dropout', from: 0, params: { probability: 0.25 } },
    ])
    let sum = 0
    let sq = 0
    let missing = 0
    const n = 20_000
    for (let t = 0; t < n; t++) {
      const out = f.apply(DEV, t, { a: 10, b: 1 })
      sum += out.a! - 10
      sq += (out.a! - 10) ** 2
      if (!('b' in out)) missing++
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.02)
    expect(Math.sqrt(sq / n)).toBeCloseTo(0.5, 1)
    expect(missing / n).toBeGreaterThan(0.23)
    expect(missing / n).toBeLessThan(0.27)
  })

  it('the same seed gives the same output however time is sliced', () => {
    const plan: FaultPlan = [
      { deviceId: DEV, kind: 'drift', from: 0, params: { mode: 'random-walk', stepPerHour: 0.4 } },
      { deviceId: DEV, kind: 'spikes', from: 0, params: { ratePerHour: 20, magnitude: 3, sign: 'both' } },
      { deviceId: DEV, kind: 'noise', from: 0, params: { sigma: 0.1 } },
      { deviceId: DEV, kind: 'dropout', from: 0, params: { probability: 0.05 } },
    ]
    const times = Array.from({ length: 500 }, (_, i) => i * 173.3)
    const a = new SensorFaults(plan, 99)
    const b = new SensorFaults(plan, 99)
    const c = new SensorFaults(plan, 100)
    const runA = times.map((t) => a.applyOne(DEV, 't', t, truth(t)))
    // b jumps straight to the end first, then goes back over the same times.
    b.applyOne(DEV, 't', times.at(-1)!, 0)
    const runB = times.map((t) => b.applyOne(DEV, 't', t, truth(t)))
    const runC = times.map((t) => c.applyOne(DEV, 't', t, truth(t)))
    expect(runB).toEqual(runA)
    expect(runC).not.toEqual(runA)
  })
})

describe('the injector under time acceleration', () => {
  it('follows simulated time: at 600× a fault from 10 min to 20 min is on for about a second', async () => {
    const injector = new FaultInjector({
      plan: [{ deviceId: DEV, metric: 'temperature_c', kind: 'stuck', from: 600, to: 1200, params: { value: 99 } }],
      clock: wallClock(600),
    })
    const seen: string[] = []
    const giveUp = Date.now() + 5000
    injector.start(5)
    while (Date.now() < giveUp && seen.length < 3) {
      const text = injector.statusText()
      if (seen.at(-1) !== text) seen.push(text)
      await new Promise((r) => setTimeout(r, 5))
    }
    await injector.stop()
    // transform() reads the clock itself, so it is exact even between two update() ticks.
    expect(injector.transform(DEV, { temperature_c: 3, door_open: 0 }, 900)).toEqual({ temperature_c: 99, door_open: 0 })
    expect(injector.transform(DEV, { temperature_c: 3 })).toEqual({ temperature_c: 3 })
    expect(seen).toEqual(['sin fallas', `1 falla: ${DEV}: sensor congelado (temperature_c)`, 'sin fallas'])
  })
})
