/**
 * Seeded smooth noise as a pure function of simulated time: random knot values every
 * `periodS` seconds joined by a smoothstep curve, plus a second, faster octave. Because the
 * value at time t depends only on (seed, t), it does not matter how a caller slices time
 * into steps, and weather wanders like weather instead of jumping like white noise.
 */
export interface SmoothNoise {
  /** Value in [-1, 1] at simulated time `tS`. */
  (tS: number): number
}

/** A 32-bit integer hash of (seed, k) into [0, 1): the murmur3 finaliser over a mix of both. */
export function hash01(seed: number, k: number): number {
  let h = (Math.imul(seed >>> 0 ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(k | 0, 0xc2b2ae35)) >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return (h >>> 0) / 4_294_967_296
}

function octave(seed: number, periodS: number, tS: number): number {
  const x = tS / periodS
  const k = Math.floor(x)
  const f = x - k
  const s = f * f * (3 - 2 * f) // smoothstep: continuous value and slope 0 at the knots
  const a = hash01(seed, k) * 2 - 1
  const b = hash01(seed, k + 1) * 2 - 1
  return a + (b - a) * s
}

export function smoothNoise(seed: number, periodS: number): SmoothNoise {
  if (!(periodS > 0)) throw new RangeError('smooth noise: periodS must be > 0')
  const fast = (seed ^ 0x5bd1e995) >>> 0
  // Weights sum to 1, so the result stays in [-1, 1].
  return (tS: number) => 0.75 * octave(seed, periodS, tS) + 0.25 * octave(fast, periodS / 3.7, tS)
}
