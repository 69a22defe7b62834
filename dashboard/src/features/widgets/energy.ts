import type { StateValue } from '../../api/types.js'

/** One circuit of an energy meter: its own power reading and/or its on/off load. */
export interface Circuit {
  name: string
  /** kW, when the meter measures the circuit. */
  powerKw?: number
  on?: boolean
}

/** Per-circuit power metrics: `power_kw_<circuit>` or `<circuit>_kw`. */
export function circuitOfMetric(metric: string): string | null {
  if (metric === 'power_kw') return null
  const prefixed = /^power_kw_(.+)$/.exec(metric)
  if (prefixed) return prefixed[1]!
  const suffixed = /^(.+)_kw$/.exec(metric)
  return suffixed ? suffixed[1]! : null
}

/**
 * The meter's circuits: metrics of one circuit's power, and boolean state keys (the loads
 * the meter switches, as the simulator's meter reports them), by name.
 */
export function circuits(
  latest: Readonly<Record<string, { value: number } | undefined>>,
  state: Readonly<Record<string, { value: StateValue } | undefined>>,
): Circuit[] {
  const byName = new Map<string, Circuit>()
  const get = (name: string) => byName.get(name) ?? byName.set(name, { name }).get(name)!
  for (const [metric, point] of Object.entries(latest)) {
    const name = circuitOfMetric(metric)
    if (name && point) get(name).powerKw = point.value
  }
  for (const [key, entry] of Object.entries(state)) {
    if (entry && typeof entry.value === 'boolean') get(key).on = entry.value
  }
  return [...byName.values()].sort((a, b) => (b.powerKw ?? -1) - (a.powerKw ?? -1) || a.name.localeCompare(b.name))
}

/** Energy used since `dayStartKwh` (the counter at local midnight); null when unknown or the counter was reset. */
export function todayKwh(latestKwh: number | undefined, dayStartKwh: number | null): number | null {
  if (latestKwh === undefined || dayStartKwh === null) return null
  const used = latestKwh - dayStartKwh
  return used >= 0 ? used : null
}
