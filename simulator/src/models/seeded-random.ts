/**
 * mulberry32: a 32-bit seeded PRNG. Not for cryptography; chosen because it is tiny,
 * fast and gives the same sequence on every platform, so a simulated day replays
 * identically from its seed (tests, demos, bug reports).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}
