import { flushPromises, mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { i18n, setLocale } from '../../i18n/index.js'
import HistoryView from '../../views/HistoryView.vue'
import { DAY_MS, HOUR_MS } from './range.js'

const api = vi.hoisted(() => ({ fetchSite: vi.fn(), fetchTelemetry: vi.fn(), fetchGaps: vi.fn(), fetchSeries: vi.fn() }))
vi.mock('../../api/sites.js', () => ({ fetchSite: api.fetchSite, fetchTelemetry: api.fetchTelemetry, fetchGaps: api.fetchGaps }))
vi.mock('../../api/history.js', () => ({ fetchSeries: api.fetchSeries }))

const SITE = 'site-1'
const NOW = Date.UTC(2026, 10, 21, 15, 0, 0)

async function mountView() {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/sites/:siteId', name: 'site', component: { template: '<p />' } },
      { path: '/sites/:siteId/historial', name: 'site-history', component: { template: '<p />' } },
    ],
  })
  await router.push(`/sites/${SITE}/historial`)
  const wrapper = mount(HistoryView, { props: { siteId: SITE }, global: { plugins: [router, i18n] } })
  await flushPromises()
  return wrapper
}

/** The resolution and span of each series request since the last check. */
function asked() {
  const calls = api.fetchSeries.mock.calls.map(([, q]) => ({ metric: q.metric, resolution: q.resolution, span: q.to - q.from }))
  api.fetchSeries.mockClear()
  return calls
}

describe('HistoryView', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] })
    setLocale('es-AR')
    vi.clearAllMocks()
    api.fetchSite.mockResolvedValue({
      id: SITE,
      name: 'Sucursal Palermo',
      timezone: 'America/Argentina/Buenos_Aires',
      gateways: [],
      devices: [
        { id: 'camara', gatewayId: 'gw', name: 'Cámara', kind: 'cold_room' },
        { id: 'medidor', gatewayId: 'gw', name: 'Medidor', kind: 'energy_meter' },
      ],
    })
    api.fetchTelemetry.mockImplementation(async (_site: string, q: { deviceId: string }) =>
      q.deviceId === 'camara'
        ? [
            { time: NOW, deviceId: 'camara', metric: 'door_open', value: 0 },
            { time: NOW, deviceId: 'camara', metric: 'temperature_c', value: 3 },
          ]
        : [{ time: NOW, deviceId: 'medidor', metric: 'power_kw', value: 1 }],
    )
    api.fetchGaps.mockResolvedValue([
      { gatewayId: 'gw', reason: 'downsampled', fromTime: NOW - 3 * HOUR_MS, toTime: NOW - 2 * HOUR_MS, removed: 10, written: 1, devices: ['camara'] },
    ])
    api.fetchSeries.mockImplementation(async (_site: string, q: { metric: string; from: number; to: number; resolution: string; deviceId: string }) => ({
      ...q,
      truncated: false,
      items: [{ time: q.from, min: 2, avg: 3, max: 4, count: 60 }],
    }))
  })

  it("shows today on the site's clock, a chart per metric of the first device, gaps shaded", async () => {
    const wrapper = await mountView()
    expect(asked()).toEqual([
      { metric: 'temperature_c', resolution: '1m', span: 12 * HOUR_MS },
      { metric: 'door_open', resolution: '1m', span: 12 * HOUR_MS },
    ])
    const charts = wrapper.findAll('[data-testid=history-chart]')
    expect(charts.map((c) => c.attributes('data-metric'))).toEqual(['temperature_c', 'door_open'])
    expect(charts[0]!.attributes('data-gap-bands')).toBe('1')
    expect(wrapper.get('[data-testid=history-shown]').text()).toContain('Del 21 de nov de 2026, 00:00 al 21 de nov de 2026, 12:00')
    expect(wrapper.get('[data-testid=history-from]').element).toHaveProperty('value', '2026-11-21T00:00')
    expect(wrapper.text()).toContain('Temperatura')
  })

  it('reads a week hourly, then finer as it zooms in', async () => {
    const wrapper = await mountView()
    asked()
    await wrapper.get('[data-testid=history-preset-week]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid=history-preset-week]').attributes('aria-pressed')).toBe('true')
    expect(asked().map((c) => [c.resolution, c.span])).toEqual([
      ['1h', 7 * DAY_MS],
      ['1h', 7 * DAY_MS],
    ])
    await wrapper.get('[data-testid=history-zoom-in]').trigger('click')
    await wrapper.get('[data-testid=history-zoom-in]').trigger('click')
    await flushPromises()
    expect(asked().map((c) => c.resolution)).toContain('1m')
    for (let i = 0; i < 5; i++) await wrapper.get('[data-testid=history-zoom-in]').trigger('click')
    await flushPromises()
    const last = asked().slice(-2)
    expect(last.map((c) => c.resolution)).toEqual(['raw', 'raw'])
    expect(wrapper.get('[data-testid=history-shown]').attributes('data-preset')).toBe('custom')
  })

  it('takes a custom range on the site clock and ties a bad one to the fields', async () => {
    const wrapper = await mountView()
    asked()
    await wrapper.get('[data-testid=history-from]').setValue('2026-11-20T08:00')
    await wrapper.get('[data-testid=history-to]').setValue('2026-11-20T09:00')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(api.fetchSeries).toHaveBeenCalledWith(
      SITE,
      expect.objectContaining({ from: Date.UTC(2026, 10, 20, 11), to: Date.UTC(2026, 10, 20, 12), resolution: 'raw' }),
      expect.anything(),
    )
    await wrapper.get('[data-testid=history-to]').setValue('2026-11-19T09:00')
    await wrapper.get('form').trigger('submit')
    const to = wrapper.get('[data-testid=history-to]')
    expect(to.attributes('aria-invalid')).toBe('true')
    expect(to.attributes('aria-describedby')).toBe('history-range-error')
    expect(wrapper.get('#history-range-error').text()).toContain('anterior')
  })

  it('switches device', async () => {
    const wrapper = await mountView()
    asked()
    await wrapper.get('[data-testid=history-device]').setValue('medidor')
    await flushPromises()
    expect(asked().map((c) => c.metric)).toEqual(['power_kw'])
    expect(wrapper.findAll('[data-testid=history-chart]').map((c) => c.attributes('data-metric'))).toEqual(['power_kw'])
  })
})
