import type { DeviceSummary } from '../../api/types.js'
import type { StateEntry } from '../../stores/site.js'
import type { GapBand } from '../telemetry/gaps.js'
import type { SeriesPoint } from '../telemetry/series.js'
import type { EffectiveBand } from './bands.js'
import type { Freshness } from './freshness.js'

/** Everything a widget shows about one device, built by the site view from the site store. */
export interface DeviceLiveView {
  siteId: string
  device: DeviceSummary
  timeZone: string
  /** The page's clock (ticks every few seconds). */
  now: number
  /** Metrics the device has readings of, the widget's declared ones first. */
  metrics: readonly string[]
  latest: Readonly<Record<string, SeriesPoint | undefined>>
  series: Readonly<Record<string, readonly SeriesPoint[]>>
  /** State keys the device reported, the declared ones first. */
  stateKeys: readonly string[]
  state: Readonly<Record<string, StateEntry | undefined>>
  lastReportAt: number | null
  freshness: Freshness
  /** Fridges only: the band the temperature must stay in. */
  band: EffectiveBand | null
  /** Gaps in this device's recent history, clipped to the chart window. */
  gaps: readonly GapBand[]
}
