import { flushPromises, mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { i18n, setLocale } from '../../i18n/index.js'
import ColdRoomWidget from './ColdRoomWidget.vue'
import EnergyWidget from './EnergyWidget.vue'
import GenericWidget from './GenericWidget.vue'
import IrrigationWidget from './IrrigationWidget.vue'
import OccupancyWidget from './OccupancyWidget.vue'
import RfidWidget from './RfidWidget.vue'
import { liveView, T0 } from './testing.js'
import type { DeviceLiveView } from './types.js'

const api = vi.hoisted(() => ({ fetchSeries: vi.fn(), fetchAccessActivity: vi.fn() }))
vi.mock('../../api/history.js', () => ({ fetchSeries: api.fetchSeries }))
vi.mock('../../api/sites.js', () => ({ fetchAccessActivity: api.fetchAccessActivity }))

const router = createRouter({
  history: createMemoryHistory(),
  routes: [{ path: '/sites/:siteId/historial', name: 'site-history', component: { render: () => null } }],
})

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const show = (component: any, view: DeviceLiveView) => mount(component, { props: { view }, global: { plugins: [i18n, router] } })

beforeEach(() => {
  setLocale('es-AR')
  vi.clearAllMocks()
})

describe('ColdRoomWidget', () => {
  const cold = (overrides: Parameters<typeof liveView>[0] = {}) =>
    liveView({
      device: { id: 'camara', gatewayId: 'gw', name: 'Cámara de carnes', kind: 'cold_room' },
      readings: { temperature_c: [3.2, 3.4], door_open: [0, 1] },
      states: { compressor: true, defrost: false },
      band: { minC: 0, maxC: 5, origin: 'default' },
      ...overrides,
    })

  it('shows the temperature on a gauge with the band, the door and both relays', () => {
    const wrapper = show(ColdRoomWidget, cold())
    expect(wrapper.get('[data-testid=current-temperature]').text()).toBe('3,4 °C')
    expect(wrapper.get('[data-testid=current-temperature]').attributes('data-value')).toBe('3.4')
    expect(wrapper.get('[data-testid=temperature-gauge]').attributes('aria-label')).toBe('Temperatura actual 3,4 °C, rango 0,0 °C a 5,0 °C')
    expect(wrapper.find('[data-testid=gauge-band]').exists()).toBe(true)
    expect(wrapper.get('[data-testid=cold-band]').attributes()).toMatchObject({ 'data-min': '0', 'data-max': '5', 'data-origin': 'default' })
    expect(wrapper.get('[data-testid=cold-status]').attributes('data-state')).toBe('ok')
    expect(wrapper.get('[data-testid=door-state]').attributes('data-state')).toBe('open')
    expect(wrapper.get('[data-testid=relay-compressor]').attributes('data-state')).toBe('on')
    expect(wrapper.get('[data-testid=relay-defrost]').attributes('data-state')).toBe('off')
    expect(wrapper.text()).toContain('Descongelamiento')
    const link = wrapper.get('[data-testid=widget-history]')
    expect(link.attributes('href')).toBe('/sites/site-1/historial?device=camara')
    expect(link.attributes('aria-label')).toBe('Historial de Cámara de carnes')
    const chart = wrapper.get('[data-testid=temperature-chart]')
    expect(chart.attributes()).toMatchObject({ 'data-band-min': '0', 'data-band-max': '5' })
  })

  it('flags a temperature above a freezer band', () => {
    const wrapper = show(
      ColdRoomWidget,
      cold({ device: { id: 'f', gatewayId: 'gw', name: 'Freezer', kind: 'freezer' }, readings: { temperature_c: [-12] }, band: { minC: null, maxC: -18, origin: 'default' } }),
    )
    expect(wrapper.get('[data-testid=cold-status]').attributes('data-state')).toBe('high')
    expect(wrapper.get('[data-testid=cold-band]').text()).toContain('hasta -18,0 °C')
    expect(wrapper.get('[data-testid=temperature-gauge]').attributes('data-tone')).toBe('alert')
  })

  it('says since when there is no data instead of showing stale numbers', () => {
    const wrapper = show(ColdRoomWidget, cold({ now: T0 + 20 * 60_000, freshness: 'stale' }))
    expect(wrapper.find('[data-testid=current-temperature]').exists()).toBe(false)
    expect(wrapper.get('[data-testid=widget]').attributes('data-freshness')).toBe('stale')
    expect(wrapper.get('[data-testid=widget-stale]').text()).toContain('Sin datos desde las 12:00')
    expect(wrapper.get('[data-testid=widget-stale]').text()).toContain('20 min')
  })
})

describe('IrrigationWidget', () => {
  it('shows valves, pump and soil moisture with its level', () => {
    const wrapper = show(
      IrrigationWidget,
      liveView({
        device: { id: 'riego', gatewayId: 'gw', name: 'Riego', kind: 'irrigation_controller' },
        readings: { soil_moisture_pct: [28.4], flow_lpm: [12.5], level_pct: [64] },
        states: { valve_1: true, pump: false },
      }),
    )
    expect(wrapper.get('[data-testid=valve-valve_1]').attributes('data-state')).toBe('open')
    expect(wrapper.get('[data-testid=valve-valve_1]').text()).toBe('Abierta')
    expect(wrapper.get('[data-testid=valve-pump]').text()).toBe('Apagada')
    expect(wrapper.text()).toContain('Válvula 1')
    const soil = wrapper.get('[data-testid=soil-moisture]')
    expect(soil.attributes()).toMatchObject({ 'data-value': '28.4', 'data-level': 'dry' })
    expect(soil.text()).toBe('28 %')
    expect(wrapper.get('[role=meter]').attributes('aria-valuenow')).toBe('28.4')
    expect(wrapper.findAll('[data-testid=irrigation-reading]').map((r) => r.attributes('data-metric'))).toEqual(['flow_lpm', 'level_pct'])
    expect(wrapper.text()).toContain('12,5 L/min')
  })
})

describe('EnergyWidget', () => {
  it("shows power now, today's energy from the counter at midnight, and the circuits", async () => {
    api.fetchSeries.mockResolvedValue({ items: [{ time: T0, min: 100, avg: 101, max: 102, count: 60 }], resolution: '1h' })
    const wrapper = show(
      EnergyWidget,
      liveView({
        device: { id: 'medidor', gatewayId: 'gw', name: 'Medidor', kind: 'energy_meter' },
        readings: { power_kw: [1.2, 1.5], energy_kwh: [112.3, 112.5], power_kw_horno: [0.8] },
        states: { heladera: true, luces: false },
      }),
    )
    await flushPromises()
    expect(api.fetchSeries).toHaveBeenCalledWith('site-1', expect.objectContaining({ deviceId: 'medidor', metric: 'energy_kwh', resolution: '1h', from: Date.UTC(2026, 10, 21, 3) }), expect.anything())
    expect(wrapper.get('[data-testid=energy-power]').text()).toBe('1,50 kW')
    expect(wrapper.get('[data-testid=energy-today]').text()).toBe('12,50 kWh')
    const circuits = wrapper.findAll('[data-testid=energy-circuit]')
    expect(circuits.map((c) => c.attributes('data-circuit'))).toEqual(['horno', 'heladera', 'luces'])
    expect(circuits[1]!.text()).toContain('Encendido')
  })

  it("says when today's total is unknown", async () => {
    api.fetchSeries.mockRejectedValue(new Error('offline'))
    const wrapper = show(EnergyWidget, liveView({ device: { id: 'm', gatewayId: 'gw', name: 'M', kind: 'energy_meter' }, readings: { power_kw: [1], energy_kwh: [5] } }))
    await flushPromises()
    expect(wrapper.get('[data-testid=energy-today]').text()).toBe('Sin lectura de hoy')
    expect(wrapper.text()).toContain('El medidor informa solo el total del local.')
  })
})

describe('OccupancyWidget', () => {
  it('shows people and CO2 with its ventilation level, and the fan', () => {
    const wrapper = show(
      OccupancyWidget,
      liveView({
        device: { id: 'sala', gatewayId: 'gw', name: 'Sala de espera', kind: 'air_quality' },
        readings: { people: [4, 6], co2_ppm: [980, 1120], noise_dba: [48.2] },
        states: { fan: true },
      }),
    )
    expect(wrapper.get('[data-testid=occupancy-people]').text()).toBe('6')
    expect(wrapper.get('[data-testid=co2-level]').attributes()).toMatchObject({ 'data-value': '1120', 'data-level': 'fair' })
    expect(wrapper.get('[data-testid=co2-level]').text()).toBe('1.120 ppm')
    expect(wrapper.text()).toContain('Ventilar pronto')
    expect(wrapper.get('[data-testid=relay-fan]').attributes('data-state')).toBe('on')
    expect(wrapper.text()).toContain('48 dBA')
  })
})

describe('RfidWidget', () => {
  it('lists the latest reads, granted or denied, and reads them again on a new swipe', async () => {
    const item = (seq: number, body: object) => ({ siteId: 'site-1', siteName: 'S', gatewayId: 'gw', seq, kind: 'access', deviceId: 'lector', time: T0 - seq * 1000, body })
    api.fetchAccessActivity.mockResolvedValue([
      item(1, { cardId: 'A1B2', doorId: 'vip', allow: true, reason: 'allowed', holder: 'Ana' }),
      item(2, { cardId: 'FFFF', doorId: 'vip', allow: false, reason: 'unknown_card' }),
    ])
    const view = liveView({ device: { id: 'lector', gatewayId: 'gw', name: 'Lector VIP', kind: 'rfid_reader' }, readings: { swipes: [10] } })
    const wrapper = show(RfidWidget, view)
    await flushPromises()
    const reads = wrapper.findAll('[data-testid=rfid-read]')
    expect(reads.map((r) => r.attributes('data-allow'))).toEqual(['true', 'false'])
    expect(reads[0]!.text()).toContain('Ana')
    expect(reads[0]!.text()).toContain('Permitido')
    expect(reads[1]!.text()).toContain('Tarjeta FFFF')
    expect(reads[1]!.text()).toContain('Tarjeta desconocida')
    expect(api.fetchAccessActivity).toHaveBeenCalledTimes(1)
    await wrapper.setProps({ view: liveView({ device: view.device, readings: { swipes: [10, 11] } }) })
    await flushPromises()
    expect(api.fetchAccessActivity).toHaveBeenCalledTimes(2)
    wrapper.unmount()
  })
})

describe('GenericWidget', () => {
  it('lists every reading and state of a kind nobody declared', () => {
    setLocale('en')
    const wrapper = show(
      GenericWidget,
      liveView({ device: { id: 'horno', gatewayId: 'gw', name: 'Oven', kind: 'oven' }, readings: { temperature_c: [231.4], door_open: [1], mystery: [3] }, states: { burner: true } }),
    )
    const rows = wrapper.findAll('[data-testid=generic-reading]')
    expect(rows.map((r) => r.text())).toEqual(['Temperature231.4 °C', 'DoorOpen', 'mystery3'])
    expect(wrapper.get('[data-testid=generic-state]').text()).toBe('BurnerOn')
    expect(wrapper.text()).toContain('Oven')
    expect(wrapper.get('[data-testid=widget]').attributes('data-widget')).toBe('generic')
  })

  it('says there is no data yet for a device that never reported', () => {
    const wrapper = show(GenericWidget, liveView())
    expect(wrapper.get('[data-testid=widget-stale]').text()).toBe('Sin datos todavía')
  })
})
