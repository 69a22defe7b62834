import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { SiteChannelHandlers, SiteChannelOptions } from '../api/realtime.js'
import type { Alarm, DataGap, GatewaySync, SiteDetail } from '../api/types.js'
import { MAX_SERIES_POINTS } from '../features/telemetry/series.js'
import { MAX_ALARMS } from '../features/alarms/alarms.js'
import { GATEWAY_REFRESH_MS, HISTORY_MAX_POINTS, mergeGatewayStatus, useSiteStore, type GatewayStatus } from './site.js'

// The store's live side is exercised through the handlers it gives the realtime channel.
const channel = vi.hoisted(() => ({ handlers: null as SiteChannelHandlers | null, close: vi.fn() }))
vi.mock('../api/realtime.js', () => ({
  openSiteChannel: (options: SiteChannelOptions) => {
    channel.handlers = options.handlers
    return { close: channel.close }
  },
}))

const SITE_ID = '00000000-0000-4000-8000-000000000011'
const T0 = Date.UTC(2025, 0, 15, 15, 0, 0)

const site: SiteDetail = {
  id: SITE_ID,
  name: 'Sucursal Palermo',
  timezone: 'America/Argentina/Buenos_Aires',
  gateways: [{ id: 'gw-demo-01', name: 'Gateway Palermo', lastSeenAt: T0, ackSeq: 10 }],
  devices: [{ id: 'camara-1', gatewayId: 'gw-demo-01', name: 'Cámara de frío', kind: 'cold_room' }],
}

const alarm = (overrides: Partial<Alarm> = {}): Alarm => ({
  alarmId: 'cold-room-high:camara-1',
  ruleId: 'cold-room-high',
  deviceId: 'camara-1',
  severity: 'critical',
  state: 'raised',
  message: 'Temperatura alta en la cámara',
  value: 6.2,
  raisedAt: T0,
  updatedAt: T0,
  clearedAt: null,
  ...overrides,
})

const api = vi.hoisted(() => ({
  fetchSite: vi.fn(),
  fetchTelemetry: vi.fn(),
  fetchState: vi.fn(),
  fetchAlarms: vi.fn(),
  fetchGaps: vi.fn(),
  fetchGatewayDevices: vi.fn(),
}))
vi.mock('../api/sites.js', () => api)

async function openedStore() {
  const store = useSiteStore()
  await store.open(SITE_ID)
  expect(store.loadStatus).toBe('ready')
  return store
}

const handlers = () => channel.handlers!

const gap = (overrides: Partial<DataGap> = {}): DataGap => ({
  gatewayId: 'gw-demo-01',
  reason: 'downsampled',
  fromSeq: 100,
  toSeq: 200,
  fromTime: T0 - 30 * 60_000,
  toTime: T0 - 20 * 60_000,
  removed: 600,
  written: 10,
  devices: ['camara-1'],
  ...overrides,
})

const sync = (overrides: Partial<GatewaySync> = {}): GatewaySync => ({
  reportedAt: T0,
  lagEvents: 0,
  lagSeconds: null,
  oldestUnsentAt: null,
  eventsPerDay: 86_400,
  bufferDaysLeft: 30,
  usedBytes: 10 * 1024 * 1024,
  maxBytes: 512 * 1024 * 1024,
  quarantinedTotal: 0,
  droppedTotal: 0,
  clockSynced: true,
  ...overrides,
})

describe('site store', () => {
  beforeEach(() => {
    vi.clearAllMocks()
    setActivePinia(createPinia())
    channel.handlers = null
    api.fetchSite.mockResolvedValue(site)
    api.fetchTelemetry.mockResolvedValue([
      { time: T0 - 2000, deviceId: 'camara-1', metric: 'temperature_c', value: 3.9 },
      { time: T0 - 1000, deviceId: 'camara-1', metric: 'temperature_c', value: 4.1 },
    ])
    api.fetchState.mockResolvedValue([{ deviceId: 'camara-1', key: 'compressor', value: false, updatedAt: T0 - 5000 }])
    api.fetchAlarms.mockResolvedValue([alarm({ alarmId: 'old', state: 'cleared', raisedAt: T0 - 60_000, clearedAt: T0 - 30_000 })])
    api.fetchGaps.mockResolvedValue([])
  })

  it('loads the site, the last hour of every metric, state and alarms', async () => {
    const store = await openedStore()

    expect(store.site?.name).toBe('Sucursal Palermo')
    expect(store.timeZone).toBe('America/Argentina/Buenos_Aires')
    expect(api.fetchTelemetry).toHaveBeenCalledWith(SITE_ID, expect.objectContaining({ limit: 5000, sort: '-time' }), HISTORY_MAX_POINTS)
    expect(api.fetchTelemetry.mock.calls[0]![1]).not.toHaveProperty('metric')
    expect(api.fetchAlarms).toHaveBeenCalledWith(SITE_ID, 'all', MAX_ALARMS)
    const query = api.fetchTelemetry.mock.calls[0]![1] as { from: number; to: number }
    expect(query.to - query.from).toBe(60 * 60 * 1000)
    expect(store.series('camara-1', 'temperature_c').map((p) => p.value)).toEqual([3.9, 4.1])
    expect(store.stateOf('camara-1', 'compressor')?.value).toBe(false)
    expect(store.alarms.map((a) => a.alarmId)).toEqual(['old'])
  })

  it("lists each device's metrics and state keys and when it last reported", async () => {
    api.fetchTelemetry.mockResolvedValue([
      { time: T0 - 1000, deviceId: 'camara-1', metric: 'temperature_c', value: 4.1 },
      { time: T0 - 3000, deviceId: 'camara-1', metric: 'door_open', value: 0 },
      { time: T0 - 9000, deviceId: 'medidor', metric: 'power_kw', value: 1.2 },
    ])
    const store = await openedStore()
    expect(store.metricsOf('camara-1')).toEqual(['door_open', 'temperature_c'])
    expect(store.metricsOf('medidor')).toEqual(['power_kw'])
    expect(store.stateKeysOf('camara-1')).toEqual(['compressor'])
    expect(store.lastReportAt('camara-1')).toBe(T0 - 1000)
    expect(store.lastReportAt('nadie')).toBeNull()
    handlers().telemetry({ siteId: SITE_ID, gatewayId: 'gw-demo-01', deviceId: 'medidor', time: T0, readings: { power_kw: 1.5, energy_kwh: 10 } })
    expect(store.metricsOf('medidor')).toEqual(['energy_kwh', 'power_kw'])
    expect(store.lastReportAt('medidor')).toBe(T0)
  })

  it('reads the devices\' cold bands from the registry when the user may read the fleet', async () => {
    const { useSessionStore } = await import('./session.js')
    const session = useSessionStore()
    vi.spyOn(session, 'can').mockImplementation((permission: string) => permission === 'fleet.read')
    api.fetchGatewayDevices.mockResolvedValue([
      { id: 'camara-1', gatewayId: 'gw-demo-01', siteId: SITE_ID, name: 'Cámara', kind: 'cold_room', coldBand: { minC: 0, maxC: 4 } },
    ])
    const store = await openedStore()
    await vi.waitFor(() => expect(store.coldBandOf('camara-1')).toEqual({ minC: 0, maxC: 4 }))
    expect(api.fetchGatewayDevices).toHaveBeenCalledWith('gw-demo-01')
  })

  it('keeps the kinds\' default bands when the registry cannot be read', async () => {
    api.fetchGatewayDevices.mockRejectedValue(new Error('403'))
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const store = await openedStore()
    expect(store.coldBandOf('camara-1')).toBeUndefined()
    warn.mockRestore()
  })

  it('charts history read newest first (sort=-time pages) in time order', async () => {
    api.fetchTelemetry.mockResolvedValue([
      { time: T0 - 1000, deviceId: 'camara-1', metric: 'temperature_c', value: 4.1 },
      { time: T0 - 2000, deviceId: 'camara-1', metric: 'temperature_c', value: 3.9 },
      { time: T0 - 3000, deviceId: 'camara-1', metric: 'temperature_c', value: 3.7 },
    ])
    const store = await openedStore()
    expect(store.series('camara-1', 'temperature_c').map((p) => p.time)).toEqual([T0 - 3000, T0 - 2000, T0 - 1000])
  })

  it('keeps the min and max of downsampled history points', async () => {
    api.fetchTelemetry.mockResolvedValue([
      { time: T0 - 120_000, deviceId: 'camara-1', metric: 'temperature_c', value: 3.8, min: 3.1, max: 4.4, samples: 60 },
      { time: T0 - 1000, deviceId: 'camara-1', metric: 'temperature_c', value: 4.1 },
    ])
    const store = await openedStore()
    expect(store.series('camara-1', 'temperature_c')).toEqual([
      { time: T0 - 120_000, value: 3.8, min: 3.1, max: 4.4 },
      { time: T0 - 1000, value: 4.1 },
    ])
  })

  it('appends live telemetry after the history, in order and without duplicates', async () => {
    const store = await openedStore()

    handlers().telemetry({ siteId: SITE_ID, gatewayId: 'gw-demo-01', deviceId: 'camara-1', time: T0, readings: { temperature_c: 4.6, door_open: 0 } })
    // Same timestamp again (re-fetch overlap) replaces, never duplicates.
    handlers().telemetry({ siteId: SITE_ID, gatewayId: 'gw-demo-01', deviceId: 'camara-1', time: T0, readings: { temperature_c: 4.7 } })

    expect(store.series('camara-1', 'temperature_c')).toEqual([
      { time: T0 - 2000, value: 3.9 },
      { time: T0 - 1000, value: 4.1 },
      { time: T0, value: 4.7 },
    ])
    expect(store.series('camara-1', 'door_open')).toEqual([{ time: T0, value: 0 }])
  })

  it('caps each live series, dropping the oldest points', async () => {
    const store = await openedStore()

    for (let i = 1; i <= MAX_SERIES_POINTS + 10; i++) {
      handlers().telemetry({ siteId: SITE_ID, gatewayId: 'gw-demo-01', deviceId: 'camara-1', time: T0 + i * 1000, readings: { temperature_c: i } })
    }

    const points = store.series('camara-1', 'temperature_c')
    expect(points).toHaveLength(MAX_SERIES_POINTS)
    expect(points[0]!.value).toBe(11)
    expect(points[points.length - 1]!.value).toBe(MAX_SERIES_POINTS + 10)
  })

  it('upserts alarms by alarmId, newest first, ignoring stale transitions', async () => {
    const store = await openedStore()

    handlers().alarm({ siteId: SITE_ID, ...alarm() })
    expect(store.alarms.map((a) => [a.alarmId, a.state])).toEqual([
      ['cold-room-high:camara-1', 'raised'],
      ['old', 'cleared'],
    ])
    expect(store.activeAlarms).toHaveLength(1)

    handlers().alarm({ siteId: SITE_ID, ...alarm({ state: 'cleared', updatedAt: T0 + 60_000, clearedAt: T0 + 60_000 }) })
    // A late copy of the older transition must not re-raise it.
    handlers().alarm({ siteId: SITE_ID, ...alarm() })

    expect(store.alarms).toHaveLength(2)
    expect(store.alarms[0]).toMatchObject({ alarmId: 'cold-room-high:camara-1', state: 'cleared', clearedAt: T0 + 60_000 })
    expect(store.alarms[0]).not.toHaveProperty('siteId')
    expect(store.activeAlarms).toHaveLength(0)
  })

  it('applies a later alarm transition from the same gateway even when its time is earlier', async () => {
    const store = await openedStore()

    handlers().alarm({ siteId: SITE_ID, ...alarm({ gatewayId: 'gw-demo-01', seq: 10, updatedAt: T0 + 3000 }) })
    // Re-stamped by the gateway after its clock synced: later in seq, earlier in time.
    handlers().alarm({ siteId: SITE_ID, ...alarm({ gatewayId: 'gw-demo-01', seq: 11, state: 'cleared',
      updatedAt: T0 + 1000, clearedAt: T0 + 1000 }) })

    expect(store.alarms[0]).toMatchObject({ alarmId: 'cold-room-high:camara-1', state: 'cleared', seq: 11 })
    expect(store.activeAlarms).toHaveLength(0)
  })

  it('applies live relay state and ignores older updates', async () => {
    const store = await openedStore()

    handlers().state({ siteId: SITE_ID, deviceId: 'camara-1', time: T0, state: { compressor: true } })
    expect(store.stateOf('camara-1', 'compressor')).toEqual({ value: true, updatedAt: T0 })

    handlers().state({ siteId: SITE_ID, deviceId: 'camara-1', time: T0 - 1, state: { compressor: false } })
    expect(store.stateOf('camara-1', 'compressor')?.value).toBe(true)
  })

  it('orders one gateway\'s relay state by seq, whatever its time', async () => {
    const store = await openedStore()
    const push = (seq: number, time: number, on: boolean) =>
      handlers().state({ siteId: SITE_ID, deviceId: 'camara-1', time, state: { compressor: on }, gatewayId: 'gw-demo-01', seq })

    push(10, T0 + 3000, true)
    // Re-stamped after the gateway's clock synced: later in seq, earlier in time.
    push(11, T0 + 1000, false)
    expect(store.stateOf('camara-1', 'compressor')).toEqual({ value: false, updatedAt: T0 + 1000, gatewayId: 'gw-demo-01', seq: 11 })
    // A backlog event with a lower seq does not roll it back, however late its time.
    push(9, T0 + 5000, true)
    expect(store.stateOf('camara-1', 'compressor')?.value).toBe(false)
  })

  it('tracks the connection status and re-fetches after a reconnection', async () => {
    const store = await openedStore()
    expect(store.isLive).toBe(false)

    handlers().status('connected')
    handlers().joined?.(false)
    expect(store.isLive).toBe(true)
    expect(api.fetchState).toHaveBeenCalledTimes(1)

    handlers().status('reconnecting')
    expect(store.connectionStatus).toBe('reconnecting')
    expect(store.isLive).toBe(false)
    handlers().status('connected')
    handlers().joined?.(true)
    await vi.waitFor(() => expect(api.fetchState).toHaveBeenCalledTimes(2))
  })

  it('loads the gaps of the last hour and adds pushed ones once, newest first', async () => {
    api.fetchGaps.mockResolvedValue([gap()])
    const store = await openedStore()
    const query = api.fetchGaps.mock.calls[0]![1] as { from: number; to: number }
    expect(query.to - query.from).toBe(60 * 60 * 1000)
    expect(store.gaps).toHaveLength(1)

    handlers().gap?.({ siteId: SITE_ID, ...gap() })
    handlers().gap?.({ siteId: SITE_ID, ...gap({ reason: 'dropped', fromSeq: 300, toSeq: 400, fromTime: T0, toTime: T0 + 1000 }) })
    expect(store.gaps.map((g) => g.reason)).toEqual(['dropped', 'downsampled'])
    expect(store.gaps[0]).not.toHaveProperty('siteId')
  })

  it('opens the site without gap marks when the gaps cannot be read', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { ApiError } = await import('../api/client.js')
    api.fetchGaps.mockRejectedValueOnce(new ApiError(500, 'HTTP_500', 'boom'))
    const store = await openedStore()
    expect(store.gaps).toEqual([])
    expect(store.series('camara-1', 'temperature_c')).toHaveLength(2)
    expect(warn).toHaveBeenCalled()
    warn.mockRestore()
  })

  it('shows the sync status the site came with, then each pushed report', async () => {
    api.fetchSite.mockResolvedValue({
      ...site,
      gateways: [{ ...site.gateways[0]!, online: false, lastContactAt: T0 - 60_000, sync: sync({ reportedAt: T0 - 60_000, lagEvents: 9 }) }],
    })
    const store = await openedStore()
    expect(store.gateways).toEqual([
      expect.objectContaining({ id: 'gw-demo-01', name: 'Gateway Palermo', online: false, lastContactAt: T0 - 60_000 }),
    ])
    expect(store.gateways[0]!.sync?.lagEvents).toBe(9)

    handlers().gatewaySync?.({ siteId: SITE_ID, gatewayId: 'gw-demo-01', sync: sync({ reportedAt: T0, lagEvents: 2 }) })
    expect(store.gateways[0]).toMatchObject({ online: true, lastContactAt: T0, sync: { lagEvents: 2 } })
    // The cloud pushes the whole gateway item; a channel that closed turns it offline.
    handlers().gatewaySync?.({
      siteId: SITE_ID,
      gatewayId: 'gw-demo-01',
      id: 'gw-demo-01',
      online: false,
      lastContactAt: T0,
      quarantinedTotal: 1,
      sync: sync({ reportedAt: T0, lagEvents: 2 }),
    })
    expect(store.gateways[0]).toMatchObject({ online: false, lastContactAt: T0, quarantinedTotal: 1 })
    // A gateway of another site (or not known yet) is ignored.
    handlers().gatewaySync?.({ siteId: SITE_ID, gatewayId: 'gw-other', sync: sync() })
    expect(store.gateways).toHaveLength(1)
  })

  it('re-reads gateway status periodically so a silent gateway turns offline', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    try {
      api.fetchSite.mockResolvedValue({ ...site, gateways: [{ ...site.gateways[0]!, online: true, lastContactAt: T0, sync: null }] })
      const store = await openedStore()
      expect(store.gateways[0]!.online).toBe(true)

      api.fetchSite.mockResolvedValue({ ...site, gateways: [{ ...site.gateways[0]!, online: false, lastContactAt: T0, sync: null }] })
      vi.advanceTimersByTime(GATEWAY_REFRESH_MS)
      await vi.waitFor(() => expect(store.gateways[0]!.online).toBe(false))
      expect(store.gateways[0]!.sync).toBeNull()

      store.close()
      const calls = api.fetchSite.mock.calls.length
      vi.advanceTimersByTime(3 * GATEWAY_REFRESH_MS)
      expect(api.fetchSite).toHaveBeenCalledTimes(calls)
    } finally {
      vi.useRealTimers()
    }
  })

  it('reports SITE_NOT_FOUND and closes the channel on leave', async () => {
    const store = useSiteStore()
    const { ApiError } = await import('../api/client.js')
    api.fetchSite.mockRejectedValueOnce(new ApiError(404, 'SITE_NOT_FOUND', 'Site not found'))

    await store.open('nope')
    expect(store.loadStatus).toBe('error')
    expect(store.loadError?.code).toBe('SITE_NOT_FOUND')

    await store.open(SITE_ID)
    store.close()
    expect(channel.close).toHaveBeenCalled()
    expect(store.connectionStatus).toBe('idle')
    expect(store.site).toBeNull()
  })
})

describe('mergeGatewayStatus', () => {
  const status = (overrides: Partial<GatewayStatus> = {}): GatewayStatus => ({
    id: 'gw-demo-01',
    name: 'Gateway Palermo',
    online: true,
    lastContactAt: T0,
    quarantinedTotal: 0,
    sync: sync(),
    ...overrides,
  })

  it('lets a fetch that answers after a newer push keep the pushed status', () => {
    const pushed = status({ online: true, lastContactAt: T0 + 10_000, sync: sync({ reportedAt: T0 + 10_000, lagEvents: 1 }) })
    const staleFetch = status({ online: false, lastContactAt: T0, sync: sync({ reportedAt: T0, lagEvents: 50 }) })
    expect(mergeGatewayStatus(pushed, staleFetch)).toMatchObject({ online: true, lastContactAt: T0 + 10_000, sync: { lagEvents: 1 } })
  })

  it('takes offline from a fetch with the same last contact', () => {
    expect(mergeGatewayStatus(status(), status({ online: false }))).toMatchObject({ online: false, lastContactAt: T0 })
  })

  it('keeps what it knew when the new status does not say', () => {
    expect(mergeGatewayStatus(status({ quarantinedTotal: 4 }), status({ online: null, lastContactAt: null, quarantinedTotal: null, sync: null }))).toMatchObject({
      online: true,
      lastContactAt: T0,
      quarantinedTotal: 4,
      sync: { reportedAt: T0 },
    })
  })
})
