import type { DeviceSummary } from '../../api/types.js'
import type { ColdBand } from '../../api/sites.js'
import type { StateEntry } from '../../stores/site.js'
import type { GapBand } from '../telemetry/gaps.js'
import type { SeriesPoint } from '../telemetry/series.js'
import { effectiveBand } from './bands.js'
import { freshness, reportIntervalMs } from './freshness.js'
import { orderedNames, type WidgetSpec } from './registry.js'
import type { DeviceLiveView } from './types.js'

/** What the site store knows of a device (the store's public surface, so tests can fake it). */
export interface LiveSource {
  series(deviceId: string, metric: string): readonly SeriesPoint[]
  stateOf(deviceId: string, key: string): StateEntry | undefined
  metricsOf(deviceId: string): string[]
  stateKeysOf(deviceId: string): string[]
  lastReportAt(deviceId: string): number | null
  coldBandOf(deviceId: string): ColdBand | null | undefined
}

export interface ViewContext {
  siteId: string
  timeZone: string
  now: number
  /** The gaps of this device's chart window. */
  gaps?: readonly GapBand[]
}

/** The widget's view of one device: the spec's metrics and state first, then whatever else it reports. */
export function buildDeviceView(spec: WidgetSpec, device: DeviceSummary, source: LiveSource, context: ViewContext): DeviceLiveView {
  const metrics = orderedNames(spec.metrics, source.metricsOf(device.id))
  const stateKeys = orderedNames(spec.state, source.stateKeysOf(device.id))
  const series: Record<string, readonly SeriesPoint[]> = {}
  const latest: Record<string, SeriesPoint | undefined> = {}
  for (const metric of metrics) {
    const points = source.series(device.id, metric)
    series[metric] = points
    latest[metric] = points[points.length - 1]
  }
  const state: Record<string, StateEntry | undefined> = {}
  for (const key of stateKeys) state[key] = source.stateOf(device.id, key)
  // The busiest metric tells the device's period (a door flag may report only on change).
  const interval = metrics.reduce<number | null>((best, metric) => {
    const ms = reportIntervalMs(series[metric] ?? [])
    return ms !== null && (best === null || ms < best) ? ms : best
  }, null)
  const lastReportAt = source.lastReportAt(device.id)
  return {
    siteId: context.siteId,
    device,
    timeZone: context.timeZone,
    now: context.now,
    metrics,
    latest,
    series,
    stateKeys,
    state,
    lastReportAt,
    freshness: freshness(lastReportAt, context.now, interval),
    band: spec.id === 'cold' ? effectiveBand(device.kind, source.coldBandOf(device.id)) : null,
    gaps: context.gaps ?? [],
  }
}
