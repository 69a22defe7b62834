import { flushPromises, mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { i18n, setLocale } from '../../i18n/index.js'
import RuleDryRun from './RuleDryRun.vue'

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status })
const fetchMock = vi.fn<typeof fetch>()
const NOW = Date.UTC(2026, 10, 21, 15, 0, 0)
const RULE = { id: 'r', when: { kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', above: 5, forSeconds: 0 }, actions: [] }

describe('RuleDryRun', () => {
  beforeEach(() => {
    setLocale('es-AR')
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] })
    fetchMock.mockReset()
    vi.stubGlobal('fetch', fetchMock)
  })
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })

  it('replays the range, charts the watched metric and lists the firings in the site’s time zone', async () => {
    fetchMock.mockImplementation(async (url) =>
      String(url).includes('/dry-run')
        ? json(200, {
            ruleId: 'r',
            from: NOW - 3_600_000,
            to: NOW,
            timeZone: 'America/Argentina/Buenos_Aires',
            eventsReplayed: 1200,
            truncated: false,
            transitions: [
              { time: NOW - 1_800_000, transition: 'fire', deviceId: 'camara-1', value: 5.4 },
              { time: NOW - 1_200_000, transition: 'rearm', deviceId: 'camara-1', value: 4.4 },
              { time: NOW - 60_000, transition: 'fire', deviceId: 'camara-1', value: 6 },
            ],
          })
        : json(200, { deviceId: 'camara-1', metric: 'temperature_c', from: NOW - 3_600_000, to: NOW, resolution: 'raw', truncated: false, items: [{ time: NOW - 1_000_000, min: 5, avg: 5, max: 5, count: 1 }] }),
    )
    const wrapper = mount(RuleDryRun, {
      props: { gatewayId: 'gw-demo-01', siteId: 'site-1', rule: RULE, timeZone: 'America/Argentina/Buenos_Aires' },
      global: { plugins: [createPinia(), i18n] },
    })
    await wrapper.get('[data-testid=dry-run-range]').setValue('lastHour')
    await wrapper.get('[data-testid=dry-run-submit]').trigger('click')
    await flushPromises()

    const [dryRunUrl, dryRunInit] = fetchMock.mock.calls.find(([url]) => String(url).includes('/dry-run'))!
    expect(String(dryRunUrl)).toBe('/api/gateways/gw-demo-01/rules/dry-run')
    expect(JSON.parse(String(dryRunInit!.body))).toEqual({ rule: RULE, from: NOW - 3_600_000, to: NOW })
    const seriesUrl = String(fetchMock.mock.calls.find(([url]) => String(url).includes('/series'))![0])
    expect(seriesUrl).toContain('/api/sites/site-1/series?deviceId=camara-1&metric=temperature_c')

    const firings = wrapper.findAll('[data-testid=dry-run-firing]')
    // 14:30 and 14:40 UTC are 11:30 and 11:40 in Buenos Aires.
    expect(firings[0]!.text()).toContain('11:30 → 21 nov, 11:40')
    expect(firings[0]!.attributes('data-rearmed')).toBe('true')
    expect(firings[1]!.text()).toContain('seguía disparada')
    expect(wrapper.get('[data-testid=dry-run-chart]').attributes('data-bands')).toBe('2')
    expect(wrapper.get('[data-testid=dry-run-result]').text()).toContain('2 disparos · 1.200 eventos revisados')
  })

  it('says so when the rule would not have fired', async () => {
    fetchMock.mockImplementation(async (url) =>
      String(url).includes('/dry-run')
        ? json(200, { ruleId: 'r', from: 0, to: NOW, timeZone: 'UTC', eventsReplayed: 0, truncated: true, transitions: [] })
        : json(200, { items: [] }),
    )
    const wrapper = mount(RuleDryRun, { props: { gatewayId: 'g', siteId: null, rule: RULE, timeZone: 'UTC' }, global: { plugins: [createPinia(), i18n] } })
    await wrapper.get('[data-testid=dry-run-submit]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-testid=dry-run-none]').exists()).toBe(true)
    expect(wrapper.text()).toContain('la prueba se cortó')
  })
})
