import { hash01 } from '../models/smooth-noise.js'
import { mulberry32 } from '../models/seeded-random.js'
import { isActiveAt, type FaultEntry, type FaultParams, type SensorFaultKind } from './plan.js'

/**
 * A sensor fault as a function of simulated time: `apply(tS, value)` returns what the
 * faulty sensor reports, or `null` for a reading that never arrives. The randomness comes
 * from hashing (seed, time slot), never from a sequence consumed per call, so the output
 * at a given time is the same however a caller slices time (1× or 600×, every 2 s or every
 * hour). Stuck is the one fault with memory: the value it latched.
 */
export interface SensorFault {
  readonly entry: FaultEntry
  apply(tS: number, value: number, metric?: string): number | null
}

const HOUR_S = 3600

/** Standard normal from two hashes (Box–Muller). */
function gaussian(seed: number, k: number): number {
  const u = Math.max(hash01(seed, k), 1e-12)
  const v = hash01(seed ^ 0x2545f491, k)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}

function stuck(entry: FaultEntry<'stuck'>): SensorFault {
  const fixed = entry.params?.value
  // Per metric: an entry without `metric` freezes every reading of the device at its own value.
  const latched = new Map<string, number>()
  return {
    entry,
    apply: (_tS, value, metric = '') => {
      if (fixed !== undefined) return fixed
      // Only an active fault is called, so the first call is the first reading after
      // `from`: that is what the probe froze at.
      let v = latched.get(metric)
      if (v === undefined) latched.set(metric, (v = value))
      return v
    },
  }
}

function drift(entry: FaultEntry<'drift'>, seed: number): SensorFault {
  const p = entry.params ?? {}
  if ((p.mode ?? 'linear') === 'linear') {
    const rate = p.ratePerHour ?? 1
    return { entry, apply: (tS, value) => value + (rate * (tS - entry.from)) / HOUR_S }
  }
  const step = p.stepPerHour ?? 1
  // Prefix sums of the hourly steps, grown on demand: the walk at hour h is the same
  // whether it was reached by one call or by thousands.
  const walk = [0]
  const offsetAt = (hours: number): number => {
    const h = Math.floor(hours)
    while (walk.length <= h + 1) walk.push(walk[walk.length - 1]! + step * gaussian(seed, walk.length - 1))
    // Linear between hourly knots, so the offset moves smoothly instead of jumping on the hour.
    return walk[h]! + (walk[h + 1]! - walk[h]!) * (hours - h)
  }
  return { entry, apply: (tS, value) => value + offsetAt(Math.max(0, tS - entry.from) / HOUR_S) }
}

/**
 * Spike times of a homogeneous Poisson process, hour by hour: the count in hour k is
 * Poisson(rate) and the times are uniform within it (which is exactly a Poisson process),
 * both drawn from a PRNG seeded by (seed, k). Pure in t.
 */
export function spikeTimesInHour(seed: number, ratePerHour: number, hour: number): Array<{ atS: number; sign: number }> {
  const random = mulberry32(Math.floor(hash01(seed, hour) * 4_294_967_296))
  // Knuth's method is fine for the rates a plan uses (at most 3600 per hour).
  const limit = Math.exp(-Math.min(ratePerHour, 700))
  let n = 0
  if (ratePerHour > 700) {
    // exp underflows: normal approximation, plenty for "a spike a second".
    n = Math.max(0, Math.round(ratePerHour + Math.sqrt(ratePerHour) * gaussian(seed ^ 0x7f4a7c15, hour)))
  } else {
    for (let prod = random(); prod > limit; prod *= random()) n++
  }
  const out: Array<{ atS: number; sign: number }> = []
  for (let i = 0; i < n; i++) out.push({ atS: (hour + random()) * HOUR_S, sign: random() < 0.5 ? -1 : 1 })
  return out.sort((a, b) => a.atS - b.atS)
}

function spikes(entry: FaultEntry<'spikes'>, seed: number): SensorFault {
  const p = entry.params as FaultParams<'spikes'>
  const durationS = p.durationS ?? 1
  const cache = new Map<number, Array<{ atS: number; sign: number }>>()
  const hourSpikes = (h: number) => {
    let s = cache.get(h)
    if (!s) {
      s = spikeTimesInHour(seed, p.ratePerHour, h)
      if (cache.size > 64) cache.clear()
      cache.set(h, s)
    }
    return s
  }
  return {
    entry,
    apply: (tS, value) => {
      const rel = tS - entry.from
      const h = Math.floor(rel / HOUR_S)
      // A spike that started late in the previous hour may still be on (duration ≤ 1 h).
      for (const hour of [h, h - 1]) {
        if (hour < 0) continue
        for (const s of hourSpikes(hour)) {
          if (rel >= s.atS && rel < s.atS + durationS) {
            const sign = p.sign === 'down' ? -1 : p.sign === 'both' ? s.sign : 1
            return value + sign * p.magnitude
          }
        }
      }
      return value
    },
  }
}

function noise(entry: FaultEntry<'noise'>, seed: number): SensorFault {
  const p = entry.params as FaultParams<'noise'>
  const periodS = p.periodS ?? 1
  return { entry, apply: (tS, value) => value + p.sigma * gaussian(seed, Math.floor(tS / periodS)) }
}

function dropout(entry: FaultEntry<'dropout'>, seed: number): SensorFault {
  const probability = entry.params?.probability ?? 1
  const periodS = entry.params?.periodS ?? 1
  return { entry, apply: (tS, value) => (hash01(seed, Math.floor(tS / periodS)) < probability ? null : value) }
}

/** Build the transform for one sensor entry. `seed` is the entry's own (see `entrySeed`). */
export function sensorFault(entry: FaultEntry, seed: number): SensorFault {
  switch (entry.kind as SensorFaultKind) {
    case 'stuck':
      return stuck(entry as FaultEntry<'stuck'>)
    case 'drift':
      return drift(entry as FaultEntry<'drift'>, seed)
    case 'spikes':
      return spikes(entry as FaultEntry<'spikes'>, seed)
    case 'noise':
      return noise(entry as FaultEntry<'noise'>, seed)
    case 'dropout':
      return dropout(entry as FaultEntry<'dropout'>, seed)
    default:
      throw new RangeError(`${entry.kind} is not a sensor fault`)
  }
}

/** An entry's seed: its own, or one derived from the plan's seed and its position in the plan. */
export function entrySeed(entry: FaultEntry, planSeed: number, index: number): number {
  return entry.seed ?? Math.floor(hash01(planSeed, index + 1) * 4_294_967_296)
}

/**
 * The sensor faults of a plan, composed per device and metric in plan order (a drift then
 * noise on top, say). Stuck freezes what the layers before it produced; put it last to
 * freeze the lot.
 */
export class SensorFaults {
  private readonly faults: SensorFault[]

  constructor(entries: readonly FaultEntry[], planSeed = 1) {
    this.faults = []
    entries.forEach((e, i) => {
      if (isSensorKind(e.kind)) this.faults.push(sensorFault(e, entrySeed(e, planSeed, i)))
    })
  }

  /**
   * What the device reports at simulated time `tS`: `readings` with the active faults
   * applied, and the readings that dropped out left out.
   */
  apply(deviceId: string, tS: number, readings: Readonly<Record<string, number>>): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [metric, raw] of Object.entries(readings)) {
      let value: number | null = raw
      for (const f of this.faults) {
        if (value === null) break
        const e = f.entry
        if (e.deviceId !== deviceId || (e.metric !== undefined && e.metric !== metric) || !isActiveAt(e, tS)) continue
        value = f.apply(tS, value, metric)
      }
      if (value !== null) out[metric] = value
    }
    return out
  }

  /** One value; `null` if it dropped out. */
  applyOne(deviceId: string, metric: string, tS: number, value: number): number | null {
    return this.apply(deviceId, tS, { [metric]: value })[metric] ?? null
  }

  /** The sensor entries in force at `tS`. */
  activeAt(tS: number): FaultEntry[] {
    return this.faults.filter((f) => isActiveAt(f.entry, tS)).map((f) => f.entry)
  }
}

export function isSensorKind(kind: string): kind is SensorFaultKind {
  return kind === 'stuck' || kind === 'drift' || kind === 'spikes' || kind === 'noise' || kind === 'dropout'
}
