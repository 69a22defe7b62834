// Builders for the widget tests: a device's live view with only what a test sets.
import type { DeviceLiveView } from './types.js'
import type { SeriesPoint } from '../telemetry/series.js'
import type { StateValue } from '../../api/types.js'

export const TZ = 'America/Argentina/Buenos_Aires'
export const T0 = Date.UTC(2026, 10, 21, 15, 0, 0)

export function liveView(overrides: Partial<DeviceLiveView> & { readings?: Record<string, number[]>; states?: Record<string, StateValue> } = {}): DeviceLiveView {
  const { readings = {}, states = {}, ...rest } = overrides
  const series: Record<string, SeriesPoint[]> = {}
  const latest: Record<string, SeriesPoint | undefined> = {}
  for (const [metric, values] of Object.entries(readings)) {
    series[metric] = values.map((value, i) => ({ time: T0 - (values.length - 1 - i) * 30_000, value }))
    latest[metric] = series[metric]![series[metric]!.length - 1]
  }
  const state = Object.fromEntries(Object.entries(states).map(([k, value]) => [k, { value, updatedAt: T0 - 60_000 }]))
  return {
    siteId: 'site-1',
    device: { id: 'dev-1', gatewayId: 'gw-1', name: 'Equipo', kind: 'other' },
    timeZone: TZ,
    now: T0,
    metrics: Object.keys(readings),
    latest,
    series,
    stateKeys: Object.keys(states),
    state,
    lastReportAt: Object.keys(readings).length > 0 ? T0 : null,
    freshness: Object.keys(readings).length > 0 ? 'live' : 'never',
    band: null,
    gaps: [],
    ...rest,
  }
}
