/**
 * Simulated time, shared by the gateway and the simulator so both run one accelerated
 * clock: a simulated day in minutes, with rules that hold for "10 minutes" holding for
 * 10 simulated minutes. The simulated clock reads `originMs` until real time reaches
 * `anchorMs`, then runs `speed` times faster than real time. Every process that reads the
 * same spec computes the same simulated now from its own system clock, so nothing has to
 * be exchanged at run time; an anchor a little in the future lets every process start
 * and connect while the clock still stands at the origin.
 *
 * Spelled for an environment variable (TENDERO_SIM_TIME, GATEWAY_CLOCK=simulated):
 *   origin=2026-11-23T07:00:00-03:00,anchor=1795000000000,speed=720
 * For demos and tests only: a gateway on simulated time stamps events ahead of the world.
 */
export interface SimulatedTime {
  /** The simulated wall time (epoch ms) at `anchorMs`. */
  originMs: number
  /** The real wall time (epoch ms) at which simulated time starts to run from `originMs`. */
  anchorMs: number
  /** Simulated ms per real ms (> 0). */
  speed: number
}

export const SIM_TIME_ENV = 'TENDERO_SIM_TIME'

/** The longest speed-up accepted: a year in a minute is already far past any use. */
export const MAX_SIM_SPEED = 100_000

export function formatSimTime(t: SimulatedTime): string {
  return `origin=${new Date(t.originMs).toISOString()},anchor=${Math.round(t.anchorMs)},speed=${t.speed}`
}

/** Parses the spec; throws an Error that names what is wrong. */
export function parseSimTime(text: string): SimulatedTime {
  const fields = new Map<string, string>()
  for (const part of text.split(',')) {
    const eq = part.indexOf('=')
    if (eq <= 0) throw new Error(`simulated time: "${part}" is not key=value (expected origin=<ISO time>,anchor=<epoch ms>,speed=<x>)`)
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim())
  }
  for (const key of fields.keys())
    if (!['origin', 'anchor', 'speed'].includes(key)) throw new Error(`simulated time: unknown field "${key}" (origin, anchor, speed)`)
  const origin = fields.get('origin')
  const originMs = origin === undefined ? NaN : /^-?\d+$/.test(origin) ? Number(origin) : Date.parse(origin)
  if (!Number.isFinite(originMs)) throw new Error(`simulated time: origin must be an ISO time or epoch ms, got "${origin ?? ''}"`)
  const anchorMs = Number(fields.get('anchor') ?? NaN)
  if (!Number.isFinite(anchorMs) || anchorMs < 0) throw new Error(`simulated time: anchor must be epoch ms, got "${fields.get('anchor') ?? ''}"`)
  const speed = Number(fields.get('speed') ?? NaN)
  if (!(speed > 0 && speed <= MAX_SIM_SPEED)) throw new Error(`simulated time: speed must be > 0 and ≤ ${MAX_SIM_SPEED}, got "${fields.get('speed') ?? ''}"`)
  return { originMs, anchorMs, speed }
}

/** The simulated wall time (epoch ms) at real time `realNow`. */
export function simulatedNow(t: SimulatedTime, realNow: number = Date.now()): number {
  return t.originMs + Math.max(0, realNow - t.anchorMs) * t.speed
}

/** A clock function on simulated time, for code that takes `now: () => number`. */
export function simulatedClock(t: SimulatedTime, realNow: () => number = Date.now): () => number {
  return () => simulatedNow(t, realNow())
}
