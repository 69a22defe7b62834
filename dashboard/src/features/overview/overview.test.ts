import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import type { SiteHealth, SiteOverview } from '../../api/overview.js'
import type { SitesChannelHandlers } from '../../api/realtime.js'
import { i18n, setLocale } from '../../i18n/index.js'
import { createAppRouter } from '../../router/index.js'
import SitesView from '../../views/SitesView.vue'
import { siteTone } from './health.js'
import { PUSH_REFRESH_MS } from './overview.js'

const channel = vi.hoisted(() => ({ handlers: null as SitesChannelHandlers | null, siteIds: [] as readonly string[] }))
vi.mock('../../api/realtime.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../api/realtime.js')>()),
  openSitesChannel: (options: { siteIds: readonly string[]; handlers: SitesChannelHandlers }) => {
    channel.handlers = options.handlers
    channel.siteIds = options.siteIds
    return { setSites: () => {}, close: () => {} }
  },
}))

const healthy: SiteHealth = {
  online: true, gatewaysOnline: 1, gatewaysTotal: 1, lagSeconds: 0, lagEvents: 0, bufferDaysLeft: 12,
  lastContactAt: Date.now() - 3 * 60_000, activeAlarms: { total: 0, emergency: 0, critical: 0, warning: 0, info: 0 },
}
const palermo: SiteOverview = { id: '11111111-1111-4111-8111-111111111111', name: 'Sucursal Palermo', timezone: 'America/Argentina/Buenos_Aires', health: healthy }

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status })

async function mountOverview() {
  const pinia = createPinia()
  setActivePinia(pinia)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/')
  await router.isReady()
  const wrapper = mount(SitesView, { global: { plugins: [pinia, router, i18n] } })
  await flushPromises()
  return { wrapper, router }
}

describe('overview', () => {
  const fetchMock = vi.fn<typeof fetch>()
  let sites: SiteOverview[]
  const siteCalls = () => fetchMock.mock.calls.filter(([url]) => String(url).startsWith('/api/sites')).length

  beforeEach(() => {
    localStorage.clear()
    localStorage.setItem('tendero.session', JSON.stringify({ token: 'jwt', user: { id: 'u1', email: 'j@t.app', name: 'Julio', orgId: 'o', locale: 'es-AR' }, permissions: ['sites.read'] }))
    setLocale('es-AR')
    sites = [palermo]
    fetchMock.mockReset()
    fetchMock.mockImplementation(async () => json(200, { items: sites, nextCursor: null }))
    vi.stubGlobal('fetch', fetchMock)
  })
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })

  it('shows the only shop at a glance instead of jumping to it, with its live view one tap away', async () => {
    const { wrapper, router } = await mountOverview()
    expect(router.currentRoute.value.name).toBe('sites')
    const card = wrapper.get('[data-testid=site-card]')
    expect(card.attributes('data-online')).toBe('true')
    expect(card.get('[data-testid=site-online]').text()).toBe('En línea')
    expect(card.get('[data-testid=site-alarms]').text()).toBe('Sin alarmas')
    expect(card.get('[data-testid=site-lag]').text()).toBe('Al día')
    expect(card.get('[data-testid=site-buffer]').text()).toBe('12 días restantes')
    expect(card.get('[data-testid=site-last-contact]').text()).toBe('hace 3 min')
    expect(card.get('[data-testid=site-live]').attributes('href')).toBe(`/sites/${palermo.id}`)
    expect(card.get('[data-testid=site-history]').attributes('href')).toBe(`/sites/${palermo.id}/historial`)
    expect(channel.siteIds).toEqual([palermo.id])
  })

  it('shows alarms by severity, a partial connection, lag and a short buffer', async () => {
    sites = [{ ...palermo, health: { ...healthy, online: false, gatewaysOnline: 1, gatewaysTotal: 2, lagEvents: 120, lagSeconds: 600, bufferDaysLeft: 1.5,
      activeAlarms: { total: 3, emergency: 0, critical: 1, warning: 2, info: 0 } } }]
    const { wrapper } = await mountOverview()
    const card = wrapper.get('[data-testid=site-card]')
    expect(card.get('[data-testid=site-online]').text()).toBe('1 de 2 equipos en línea')
    expect(card.findAll('[data-testid=site-alarms] [data-severity]').map((c) => c.text())).toEqual(['1 crítica', '2 advertencias'])
    expect(card.get('[data-testid=site-lag]').text()).toBe('120 eventos pendientes · 10 min de atraso')
    expect(card.get('[data-testid=site-buffer]').attributes('data-tone')).toBe('warning')
    expect(card.classes()).toContain('site--danger')
  })

  it('re-reads the figures once after a burst of alarm pushes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { wrapper } = await mountOverview()
    const before = siteCalls()
    sites = [{ ...palermo, health: { ...healthy, activeAlarms: { total: 1, emergency: 0, critical: 1, warning: 0, info: 0 } } }]
    const alarm = { siteId: palermo.id, alarmId: 'a', ruleId: 'r', deviceId: 'd', severity: 'critical' as const, state: 'raised' as const,
      message: 'm', value: null, raisedAt: 1, updatedAt: 1, clearedAt: null }
    channel.handlers!.alarm!(alarm)
    channel.handlers!.alarm!(alarm)
    await vi.advanceTimersByTimeAsync(PUSH_REFRESH_MS + 10)
    await flushPromises()
    expect(siteCalls()).toBe(before + 1)
    expect(wrapper.get('[data-testid=site-card]').attributes('data-active-alarms')).toBe('1')
  })

  it('catches up after a reconnect', async () => {
    const { wrapper } = await mountOverview()
    channel.handlers!.joined!(false)
    const before = siteCalls()
    sites = [{ ...palermo, health: { ...healthy, online: false, gatewaysOnline: 0 } }]
    channel.handlers!.joined!(true)
    await flushPromises()
    expect(siteCalls()).toBe(before + 1)
    expect(wrapper.get('[data-testid=site-online]').text()).toBe('Sin conexión')
  })
})

describe('siteTone', () => {
  it('is red for a critical alarm or every gateway down, amber for a warning, green when all is well', () => {
    expect(siteTone(healthy)).toBe('ok')
    expect(siteTone({ ...healthy, activeAlarms: { total: 1, emergency: 0, critical: 0, warning: 1, info: 0 } })).toBe('warning')
    expect(siteTone({ ...healthy, activeAlarms: { total: 1, emergency: 1, critical: 0, warning: 0, info: 0 } })).toBe('danger')
    expect(siteTone({ ...healthy, online: false, gatewaysOnline: 0 })).toBe('danger')
    expect(siteTone({ ...healthy, bufferDaysLeft: 0.2 })).toBe('danger')
    expect(siteTone({ ...healthy, gatewaysTotal: 0, gatewaysOnline: 0, online: false })).toBe('neutral')
    expect(siteTone({ ...healthy, activeAlarms: null })).toBe('ok')
  })
})
