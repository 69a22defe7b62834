import type { TelemetryItem } from '../../api/types.js'
import { FLAG_METRICS } from '../widgets/readings.js'
import { orderedNames } from '../widgets/registry.js'

/** The metrics a device reported among `items`: its widget's declared ones first, then by name. */
export function metricsOfItems(items: readonly TelemetryItem[], deviceId: string, declared: readonly string[]): string[] {
  const seen = new Set<string>()
  for (const item of items) if (item.deviceId === deviceId) seen.add(item.metric)
  return orderedNames(declared, [...seen])
}

export const isFlagMetric = (metric: string) => FLAG_METRICS.includes(metric)

/** Raw answers stop at this many points (the cloud's maximum); zooming in shows the rest. */
export const RAW_LIMIT = 20_000
