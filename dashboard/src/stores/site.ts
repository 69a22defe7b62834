import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { ApiError } from '../api/client.js'
import { openSiteChannel, type ConnectionStatus, type SiteChannel } from '../api/realtime.js'
import { fetchAlarms, fetchGaps, fetchGatewayDevices, fetchSite, fetchState, fetchTelemetry, type ColdBand } from '../api/sites.js'
import type {
  Alarm,
  AlarmEvent,
  DataGap,
  GapEvent,
  GatewaySummary,
  GatewaySync,
  GatewaySyncEvent,
  SiteDetail,
  StateEvent,
  StateItem,
  StateValue,
  TelemetryEvent,
} from '../api/types.js'
import { isActiveAlarm, MAX_ALARMS, upsertAlarm } from '../features/alarms/alarms.js'
import { comesAfter, writeOrder, type WriteOrder } from '../features/sync/order.js'
import { upsertGap } from '../features/telemetry/gaps.js'
import { mergeSeries, seriesKey, toSeriesPoint, type SeriesPoint } from '../features/telemetry/series.js'
import { useSessionStore } from './session.js'

export const HISTORY_WINDOW_MS = 60 * 60 * 1000
/** One page of history (the cloud's telemetry maximum). */
export const HISTORY_PAGE = 5000
/**
 * At most this many readings (all metrics together) when a site opens: an hour of a dozen
 * metrics reported every second. Read newest first, so a busier site loses its oldest
 * minutes, never the latest ones.
 */
export const HISTORY_MAX_POINTS = 12 * 3600
const GAPS_LIMIT = 200
/**
 * How often gateway status is re-read. Pushes only come when a gateway reports, so a
 * gateway that went silent shows as offline within this period.
 */
export const GATEWAY_REFRESH_MS = 30_000

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error'

export interface StateEntry extends WriteOrder {
  value: StateValue
}

/** One gateway as the sync panel shows it. */
export interface GatewayStatus {
  id: string
  name: string
  /** Null when the cloud did not say (an older cloud). */
  online: boolean | null
  lastContactAt: number | null
  /** Events of this gateway the cloud quarantined; null when the cloud did not say. */
  quarantinedTotal: number | null
  sync: GatewaySync | null
}

function statusFromSummary(gateway: GatewaySummary): GatewayStatus {
  return {
    id: gateway.id,
    name: gateway.name,
    online: gateway.online ?? null,
    lastContactAt: gateway.lastContactAt ?? gateway.lastSeenAt ?? null,
    quarantinedTotal: gateway.quarantinedTotal ?? null,
    sync: gateway.sync ?? null,
  }
}

const maxOrNull = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b))

const newerSync = (a: GatewaySync | null, b: GatewaySync | null) => (!a ? b : !b ? a : b.reportedAt >= a.reportedAt ? b : a)

/**
 * Merges a fetched or pushed status into the one we have. The fetch and the push race,
 * so the newer contact decides whether the gateway is online, and the newer report wins.
 */
export function mergeGatewayStatus(current: GatewayStatus | undefined, next: GatewayStatus): GatewayStatus {
  if (!current) return next
  const currentContact = current.lastContactAt ?? -Infinity
  const nextContact = next.lastContactAt ?? -Infinity
  const nextIsNewer = nextContact >= currentContact
  return {
    id: next.id,
    name: next.name,
    online: nextIsNewer ? (next.online ?? current.online) : current.online,
    // Only grows, so the larger count is the newer one.
    quarantinedTotal: maxOrNull(current.quarantinedTotal, next.quarantinedTotal),
    lastContactAt: maxOrNull(current.lastContactAt, next.lastContactAt),
    sync: newerSync(current.sync, next.sync),
  }
}

const EMPTY_SERIES: readonly SeriesPoint[] = Object.freeze([])

export const useSiteStore = defineStore('site', () => {
  const session = useSessionStore()

  const siteId = ref<string | null>(null)
  const site = shallowRef<SiteDetail | null>(null)
  const loadStatus = ref<LoadStatus>('idle')
  const loadError = shallowRef<ApiError | null>(null)
  const connectionStatus = ref<ConnectionStatus>('idle')
  // Replaced (not mutated) on every change: cheap at these sizes, and lets the chart
  // watch one array identity per series.
  const seriesByKey = shallowRef<Readonly<Record<string, readonly SeriesPoint[]>>>({})
  const stateByDevice = shallowRef<Readonly<Record<string, Readonly<Record<string, StateEntry>>>>>({})
  const alarms = shallowRef<readonly Alarm[]>([])
  const gatewayById = shallowRef<Readonly<Record<string, GatewayStatus>>>({})
  const gaps = shallowRef<readonly DataGap[]>([])
  // Each device's own cold band from the registry (null: its kind's default applies).
  const coldBands = shallowRef<Readonly<Record<string, ColdBand | null>>>({})

  let channel: SiteChannel | null = null
  let refreshTimer: ReturnType<typeof setInterval> | undefined
  // Bumped on open/close so responses for a site we already left are dropped.
  let generation = 0

  const timeZone = computed(() => site.value?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone)
  const activeAlarms = computed(() => alarms.value.filter(isActiveAlarm))
  const isLive = computed(() => connectionStatus.value === 'connected')
  const gateways = computed(() =>
    (site.value?.gateways ?? []).map((g) => gatewayById.value[g.id] ?? statusFromSummary(g)),
  )

  function series(deviceId: string, metric: string): readonly SeriesPoint[] {
    return seriesByKey.value[seriesKey(deviceId, metric)] ?? EMPTY_SERIES
  }

  function stateOf(deviceId: string, key: string): StateEntry | undefined {
    return stateByDevice.value[deviceId]?.[key]
  }

  /** Metrics a device has readings of, by name. */
  function metricsOf(deviceId: string): string[] {
    const prefix = seriesKey(deviceId, '')
    return Object.keys(seriesByKey.value)
      .filter((key) => key.startsWith(prefix) && (seriesByKey.value[key]?.length ?? 0) > 0)
      .map((key) => key.slice(prefix.length))
      .sort()
  }

  /** State keys a device has reported, by name. */
  function stateKeysOf(deviceId: string): string[] {
    return Object.keys(stateByDevice.value[deviceId] ?? {}).sort()
  }

  /** When the device last sent a reading (or, without readings, a state); null if never. */
  function lastReportAt(deviceId: string): number | null {
    let last: number | null = null
    for (const metric of metricsOf(deviceId)) {
      const points = series(deviceId, metric)
      const time = points[points.length - 1]?.time
      if (time !== undefined && (last === null || time > last)) last = time
    }
    if (last !== null) return last
    for (const entry of Object.values(stateByDevice.value[deviceId] ?? {})) {
      if (last === null || entry.updatedAt > last) last = entry.updatedAt
    }
    return last
  }

  /** The device's own band from the registry; undefined when unknown (not loaded, or no fleet.read). */
  function coldBandOf(deviceId: string): ColdBand | null | undefined {
    return coldBands.value[deviceId]
  }

  /** Reads the devices' cold bands from the registry; without fleet.read the kinds' defaults stay. */
  async function loadColdBands(detail: SiteDetail, gen: number) {
    if (!session.can('fleet.read')) return
    const lists = await Promise.all(detail.gateways.map((g) => fetchGatewayDevices(g.id)))
    if (gen !== generation) return
    const next: Record<string, ColdBand | null> = {}
    for (const device of lists.flat()) next[device.id] = device.coldBand
    coldBands.value = next
  }

  function addPoints(deviceId: string, metric: string, points: SeriesPoint[]) {
    const key = seriesKey(deviceId, metric)
    seriesByKey.value = { ...seriesByKey.value, [key]: mergeSeries(seriesByKey.value[key] ?? EMPTY_SERIES, points) }
  }

  function applyState(deviceId: string, values: Record<string, StateValue>, order: WriteOrder) {
    const device = { ...stateByDevice.value[deviceId] }
    let changed = false
    for (const [key, value] of Object.entries(values)) {
      const current = device[key]
      // Out-of-order delivery (re-fetch vs live event) must not roll a relay back.
      if (current && !comesAfter(order, current)) continue
      device[key] = { value, ...order }
      changed = true
    }
    if (changed) stateByDevice.value = { ...stateByDevice.value, [deviceId]: device }
  }

  function onTelemetry(event: TelemetryEvent) {
    for (const [metric, value] of Object.entries(event.readings)) {
      if (typeof value === 'number' && Number.isFinite(value)) addPoints(event.deviceId, metric, [{ time: event.time, value }])
    }
  }

  function onState(event: StateEvent) {
    applyState(event.deviceId, event.state, writeOrder(event.time, event))
  }

  function onAlarm(event: AlarmEvent) {
    const { siteId: _siteId, ...alarm } = event
    alarms.value = upsertAlarm(alarms.value, alarm)
  }

  function applyGatewayStatus(status: GatewayStatus) {
    gatewayById.value = { ...gatewayById.value, [status.id]: mergeGatewayStatus(gatewayById.value[status.id], status) }
  }

  function onGatewaySync(event: GatewaySyncEvent) {
    const current = gatewayById.value[event.gatewayId]
    // Gateways that are not on this site's list (yet) have nowhere to show.
    if (!current) return
    applyGatewayStatus({
      ...current,
      // A report came in over the channel, so the gateway is connected unless told otherwise.
      online: event.online ?? true,
      lastContactAt: event.lastContactAt ?? event.sync.reportedAt,
      quarantinedTotal: event.quarantinedTotal ?? current.quarantinedTotal,
      sync: event.sync,
    })
  }

  function onGap(event: GapEvent) {
    const { siteId: _siteId, ...gap } = event
    gaps.value = upsertGap(gaps.value, gap)
  }

  async function refreshGateways(id: string, gen: number) {
    const detail = await fetchSite(id)
    if (gen !== generation) return
    for (const gateway of detail.gateways) applyGatewayStatus(statusFromSummary(gateway))
  }

  function applyStateItems(items: StateItem[]) {
    for (const item of items) applyState(item.deviceId, { [item.key]: item.value }, writeOrder(item.updatedAt, item))
  }

  /** Last hour of history, current state and alarms; merged with whatever live events already arrived. */
  async function fetchSnapshot(id: string, gen: number) {
    const to = Date.now()
    const from = to - HISTORY_WINDOW_MS
    const [histories, stateItems, alarmItems, gapItems] = await Promise.all([
      // Every metric of every device: each widget shows its latest values from the start.
      fetchTelemetry(id, { from, to, limit: HISTORY_PAGE, sort: '-time' }, HISTORY_MAX_POINTS),
      fetchState(id),
      // The list keeps the newest MAX_ALARMS; the cloud's first page is exactly those.
      fetchAlarms(id, 'all', MAX_ALARMS),
      // Gap marks only annotate the chart: failing to read them must not blank the page.
      fetchGaps(id, { from, to, limit: GAPS_LIMIT }).catch((err: unknown) => {
        console.warn('gaps not loaded', err)
        return []
      }),
    ])
    if (gen !== generation) return
    const grouped = new Map<string, { deviceId: string; metric: string; points: SeriesPoint[] }>()
    for (const item of histories) {
      const key = seriesKey(item.deviceId, item.metric)
      let group = grouped.get(key)
      if (!group) grouped.set(key, (group = { deviceId: item.deviceId, metric: item.metric, points: [] }))
      group.points.push(toSeriesPoint(item))
    }
    for (const group of grouped.values()) addPoints(group.deviceId, group.metric, group.points)
    applyStateItems(stateItems)
    let nextAlarms = alarms.value
    for (const alarm of alarmItems) nextAlarms = upsertAlarm(nextAlarms, alarm)
    alarms.value = nextAlarms
    let nextGaps = gaps.value
    for (const gap of gapItems) nextGaps = upsertGap(nextGaps, gap)
    gaps.value = nextGaps
  }

  function reset() {
    channel?.close()
    channel = null
    clearInterval(refreshTimer)
    refreshTimer = undefined
    site.value = null
    loadError.value = null
    loadStatus.value = 'idle'
    connectionStatus.value = 'idle'
    seriesByKey.value = {}
    stateByDevice.value = {}
    alarms.value = []
    gatewayById.value = {}
    gaps.value = []
    coldBands.value = {}
  }

  async function open(id: string): Promise<void> {
    if (siteId.value === id && loadStatus.value !== 'error' && channel) return
    reset()
    const gen = ++generation
    siteId.value = id
    loadStatus.value = 'loading'
    try {
      const detail = await fetchSite(id)
      if (gen !== generation) return
      site.value = detail
      for (const gateway of detail.gateways) applyGatewayStatus(statusFromSummary(gateway))
      // Subscribe before fetching history so nothing published in between is lost;
      // the merges above make the overlap harmless.
      channel = openSiteChannel({
        siteId: id,
        getToken: () => session.token,
        handlers: {
          telemetry: onTelemetry,
          state: onState,
          alarm: onAlarm,
          gatewaySync: onGatewaySync,
          gap: onGap,
          status: (status) => {
            if (gen === generation) connectionStatus.value = status
          },
          joined: (rejoin) => {
            // Events published while we were offline are not replayed by the server.
            if (rejoin && gen === generation) {
              void fetchSnapshot(id, gen).catch(() => {})
              void refreshGateways(id, gen).catch(() => {})
            }
          },
          unauthorized: () => session.logout(),
        },
      })
      // Bands only draw the chart's setpoint band: failing to read them keeps the defaults.
      void Promise.resolve()
        .then(() => loadColdBands(detail, gen))
        .catch((err: unknown) => console.warn('cold bands not loaded', err))
      await fetchSnapshot(id, gen)
      if (gen !== generation) return
      loadStatus.value = 'ready'
      // A failed refresh keeps the last known status; its last contact shows how old it is.
      refreshTimer = setInterval(() => void refreshGateways(id, gen).catch(() => {}), GATEWAY_REFRESH_MS)
    } catch (err) {
      if (gen !== generation) return
      loadError.value = err instanceof ApiError ? err : new ApiError(0, 'UNKNOWN', String(err))
      loadStatus.value = 'error'
    }
  }

  function close(): void {
    generation++
    siteId.value = null
    reset()
  }

  return {
    siteId,
    site,
    loadStatus,
    loadError,
    connectionStatus,
    isLive,
    timeZone,
    alarms,
    activeAlarms,
    gateways,
    gaps,
    series,
    stateOf,
    metricsOf,
    stateKeysOf,
    lastReportAt,
    coldBandOf,
    open,
    close,
  }
})
