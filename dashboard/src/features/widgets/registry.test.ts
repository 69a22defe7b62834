import { describe, expect, it } from 'vitest'
import ColdRoomWidget from './ColdRoomWidget.vue'
import EnergyWidget from './EnergyWidget.vue'
import GenericWidget from './GenericWidget.vue'
import IrrigationWidget from './IrrigationWidget.vue'
import OccupancyWidget from './OccupancyWidget.vue'
import RfidWidget from './RfidWidget.vue'
import { GENERIC_WIDGET, orderedNames, widgetFor, WIDGETS, type WidgetSpec } from './registry.js'
import { buildDeviceView, type LiveSource } from './view.js'
import type { SeriesPoint } from '../telemetry/series.js'
import { T0, TZ } from './testing.js'

describe('widget registry', () => {
  it.each([
    ['cold_room', ColdRoomWidget],
    ['display_fridge', ColdRoomWidget],
    ['vaccine_fridge', ColdRoomWidget],
    ['freezer', ColdRoomWidget],
    ['irrigation_controller', IrrigationWidget],
    ['soil_sensor', IrrigationWidget],
    ['rain_gauge', IrrigationWidget],
    ['tank_level', IrrigationWidget],
    ['energy_meter', EnergyWidget],
    ['people_counter', OccupancyWidget],
    ['air_quality', OccupancyWidget],
    ['ambient_sensor', OccupancyWidget],
    ['rfid_reader', RfidWidget],
    ['access_door', RfidWidget],
  ])('shows a %s with its widget', (kind, component) => {
    expect(widgetFor(kind).component).toBe(component)
  })

  it('gives unknown kinds the generic widget', () => {
    expect(widgetFor('oven')).toBe(GENERIC_WIDGET)
    expect(widgetFor('something_new').component).toBe(GenericWidget)
  })

  it('claims each kind once', () => {
    const kinds = WIDGETS.flatMap((w) => w.kinds)
    expect(new Set(kinds).size).toBe(kinds.length)
  })

  it('takes a new kind as one more entry', () => {
    const oven: WidgetSpec = { id: 'generic', kinds: ['oven'], component: GenericWidget, metrics: ['temperature_c'], state: ['burner'] }
    expect(widgetFor('oven', [...WIDGETS, oven])).toBe(oven)
  })

  it('orders the declared names first, then the rest by name', () => {
    expect(orderedNames(['temperature_c', 'door_open'], ['zeta', 'door_open', 'alpha', 'temperature_c'])).toEqual([
      'temperature_c',
      'door_open',
      'alpha',
      'zeta',
    ])
  })
})

describe('buildDeviceView', () => {
  const points = (times: number[], value = 4): SeriesPoint[] => times.map((time) => ({ time, value }))
  const source = (data: Record<string, SeriesPoint[]>, band: LiveSource['coldBandOf'] = () => undefined): LiveSource => ({
    series: (_d, metric) => data[metric] ?? [],
    stateOf: (_d, key) => (key === 'compressor' ? { value: true, updatedAt: T0 } : undefined),
    metricsOf: () => Object.keys(data).sort(),
    stateKeysOf: () => ['compressor'],
    lastReportAt: () => Math.max(...Object.values(data).flatMap((p) => p.map((x) => x.time))),
    coldBandOf: band,
  })
  const device = { id: 'camara', gatewayId: 'gw', name: 'Cámara', kind: 'cold_room' }
  const context = { siteId: 's', timeZone: TZ, now: T0 }

  it("reads the spec's metrics and state, the latest of each, and the kind's default band", () => {
    const view = buildDeviceView(widgetFor('cold_room'), device, source({ temperature_c: points([T0 - 20_000, T0 - 10_000]), extra: points([T0]) }), context)
    expect(view.metrics).toEqual(['temperature_c', 'extra'])
    expect(view.latest.temperature_c?.time).toBe(T0 - 10_000)
    expect(view.state.compressor?.value).toBe(true)
    expect(view.band).toEqual({ minC: 0, maxC: 5, origin: 'default' })
    expect(view.freshness).toBe('live')
  })

  it("uses the device's own band from the registry", () => {
    const view = buildDeviceView(widgetFor('cold_room'), device, source({ temperature_c: points([T0]) }, () => ({ minC: 1, maxC: 4 })), context)
    expect(view.band).toEqual({ minC: 1, maxC: 4, origin: 'device' })
  })

  it('calls a device stale after it misses three reports (and never before two minutes)', () => {
    const every30s = points([T0 - 90_000, T0 - 60_000, T0 - 30_000])
    expect(buildDeviceView(widgetFor('cold_room'), device, source({ temperature_c: every30s }), { ...context, now: T0 + 60_000 }).freshness).toBe('live')
    expect(buildDeviceView(widgetFor('cold_room'), device, source({ temperature_c: every30s }), { ...context, now: T0 + 3 * 60_000 }).freshness).toBe('stale')
    const every5min = points([T0 - 600_000, T0 - 300_000, T0])
    expect(buildDeviceView(widgetFor('cold_room'), device, source({ temperature_c: every5min }), { ...context, now: T0 + 10 * 60_000 }).freshness).toBe('live')
    expect(buildDeviceView(widgetFor('cold_room'), device, source({ temperature_c: every5min }), { ...context, now: T0 + 16 * 60_000 }).freshness).toBe('stale')
  })

  it('has no band for a device that is no fridge', () => {
    const view = buildDeviceView(widgetFor('energy_meter'), { ...device, kind: 'energy_meter' }, source({ power_kw: points([T0]) }), context)
    expect(view.band).toBeNull()
  })
})
