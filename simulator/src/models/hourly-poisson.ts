/**
 * Next event of a non-homogeneous Poisson process whose rate follows an hourly profile,
 * drawn by thinning (Lewis & Shedler): candidates at the peak rate, each kept with
 * probability λ(t) / λ_max. Two draws per candidate, always in the same order, so a seeded
 * `random` fixes the whole event sequence.
 */
export function hourOfDayIndex(startHour: number, tS: number): number {
  const s = (((startHour * 3600 + tS) % 86_400) + 86_400) % 86_400
  return Math.floor(s / 3600)
}

export function validateHourlyProfile(profile: readonly number[], what: string): void {
  if (profile.length !== 24 || !profile.every((r) => r >= 0 && Number.isFinite(r))) {
    throw new RangeError(`${what}: hourly profile needs 24 finite rates >= 0`)
  }
}

/** Time of the first event after `fromS`, or Infinity if the profile is all zeros. */
export function nextHourlyPoisson(random: () => number, perHour: readonly number[], startHour: number, fromS: number): number {
  const peak = Math.max(...perHour)
  if (!(peak > 0)) return Number.POSITIVE_INFINITY
  let t = fromS
  for (;;) {
    t += (-Math.log(1 - random()) * 3600) / peak
    if (random() * peak < (perHour[hourOfDayIndex(startHour, t)] ?? 0)) return t
  }
}
