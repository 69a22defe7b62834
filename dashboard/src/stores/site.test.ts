import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { SiteChannelHandlers, SiteChannelOptions } from '../api/realtime.js'
import type { Alarm, SiteDetail } from '../api/types.js'
import { MAX_SERIES_POINTS } from '../features/telemetry/series.js'
import { useSiteStore } from './site.js'

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
}))
vi.mock('../api/sites.js', () => api)

async function openedStore() {
  const store = useSiteStore()
  await store.open(SITE_ID)
  expect(store.loadStatus).toBe('ready')
  return store
}

const handlers = () => channel.handlers!

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
  })

  it('loads the site, the last hour of temperature, state and alarms', async () => {
    const store = await openedStore()

    expect(store.site?.name).toBe('Sucursal Palermo')
    expect(store.timeZone).toBe('America/Argentina/Buenos_Aires')
    expect(api.fetchTelemetry).toHaveBeenCalledWith(SITE_ID, expect.objectContaining({ metric: 'temperature_c', limit: 5000 }))
    const query = api.fetchTelemetry.mock.calls[0]![1] as { from: number; to: number }
    expect(query.to - query.from).toBe(60 * 60 * 1000)
    expect(store.series('camara-1', 'temperature_c').map((p) => p.value)).toEqual([3.9, 4.1])
    expect(store.stateOf('camara-1', 'compressor')?.value).toBe(false)
    expect(store.alarms.map((a) => a.alarmId)).toEqual(['old'])
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

  it('applies live relay state and ignores older updates', async () => {
    const store = await openedStore()

    handlers().state({ siteId: SITE_ID, deviceId: 'camara-1', time: T0, state: { compressor: true } })
    expect(store.stateOf('camara-1', 'compressor')).toEqual({ value: true, updatedAt: T0 })

    handlers().state({ siteId: SITE_ID, deviceId: 'camara-1', time: T0 - 1, state: { compressor: false } })
    expect(store.stateOf('camara-1', 'compressor')?.value).toBe(true)
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
