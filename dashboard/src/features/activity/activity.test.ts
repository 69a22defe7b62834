import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import type { ActivityItem } from '../../api/activity.js'
import type { SitesChannelHandlers } from '../../api/realtime.js'
import { i18n, setLocale } from '../../i18n/index.js'
import { createAppRouter } from '../../router/index.js'
import ActivityView from '../../views/ActivityView.vue'
import { fromActivity, mergeFeed } from './feed.js'

const channel = vi.hoisted(() => ({ handlers: null as SitesChannelHandlers | null }))
vi.mock('../../api/realtime.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../api/realtime.js')>()),
  openSitesChannel: (options: { handlers: SitesChannelHandlers }) => {
    channel.handlers = options.handlers
    return { setSites: () => {}, close: () => {} }
  },
}))

const SITE = { id: '11111111-1111-4111-8111-111111111111', name: 'Sucursal Palermo', timezone: 'America/Argentina/Buenos_Aires' }
const T0 = Date.UTC(2026, 10, 21, 15, 0)
const base = { siteId: SITE.id, siteName: SITE.name, gatewayId: 'gw-1', deviceId: 'camara-1' }
const raisedEvent: ActivityItem = {
  ...base, seq: 3, kind: 'alarm', time: T0,
  body: { alarmId: 'camara-alta:camara-1', ruleId: 'camara-alta', deviceId: 'camara-1', severity: 'critical', state: 'raised', message: 'Cámara caliente' },
}
const door: ActivityItem = { ...base, deviceId: 'puerta-1', seq: 2, kind: 'access', time: T0 - 1000, body: { doorId: 'puerta-1', allow: false, reason: 'card_blocked', holder: 'Ana' } }
const relay: ActivityItem = { ...base, seq: 1, kind: 'state', time: T0 - 2000, body: { state: { compressor: true } } }

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status })

async function mountFeed() {
  const pinia = createPinia()
  setActivePinia(pinia)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/actividad')
  await router.isReady()
  const wrapper = mount(ActivityView, { global: { plugins: [pinia, router, i18n] } })
  await flushPromises()
  return wrapper
}

describe('activity feed', () => {
  const fetchMock = vi.fn<typeof fetch>()
  let page: { items: ActivityItem[]; nextCursor: string | null }
  const feedCalls = () => fetchMock.mock.calls.map(([url]) => String(url)).filter((u) => u.startsWith('/api/activity'))

  beforeEach(() => {
    localStorage.clear()
    localStorage.setItem('tendero.session', JSON.stringify({ token: 'jwt', user: { id: 'u1', email: 'j@t.app', name: 'Julio', orgId: 'o', locale: 'es-AR' }, permissions: ['sites.read'] }))
    setLocale('es-AR')
    page = { items: [raisedEvent, door, relay], nextCursor: null }
    fetchMock.mockReset()
    fetchMock.mockImplementation(async (input) => {
      const url = String(input)
      if (url.startsWith('/api/sites')) return json(200, { items: [SITE], nextCursor: null })
      if (url.startsWith('/api/activity')) return json(200, page)
      return json(404, { error: { code: 'NOT_FOUND' } })
    })
    vi.stubGlobal('fetch', fetchMock)
  })
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })

  const keys = (wrapper: Awaited<ReturnType<typeof mountFeed>>) => wrapper.findAll('[data-testid=activity-item]').map((w) => w.attributes('data-key'))

  it('says what happened in words, newest first', async () => {
    const wrapper = await mountFeed()
    const items = wrapper.findAll('[data-testid=activity-item]')
    expect(items.map((i) => i.attributes('data-kind'))).toEqual(['alarm', 'access', 'state'])
    expect(items[0]!.text()).toContain('Alarma crítica: Cámara caliente')
    expect(items[1]!.text()).toContain('Acceso denegado a Ana')
    expect(items[1]!.text()).toContain('tarjeta bloqueada')
    expect(items[2]!.text()).toContain('Compresor: encendido')
    // In the shop's time zone (UTC-3).
    expect(items[2]!.text()).toContain('11:59 · Sucursal Palermo · camara-1')
  })

  it('adds pushed alarm changes live, once, and reads the first page after the burst', async () => {
    vi.useFakeTimers()
    const wrapper = await mountFeed()
    const { body: _b, kind: _k, time: _t, siteName: _n, ...where } = raisedEvent
    const push = { ...where, alarmId: 'camara-alta:camara-1', ruleId: 'camara-alta', severity: 'critical' as const, state: 'acknowledged' as const,
      message: 'Cámara caliente', value: null, raisedAt: T0, updatedAt: T0 + 5000, clearedAt: null, seq: 4 }
    channel.handlers!.alarm!(push)
    channel.handlers!.alarm!(push)
    await flushPromises()
    expect(keys(wrapper)).toEqual(['gw-1:4', 'gw-1:3', 'gw-1:2', 'gw-1:1'])
    const live = wrapper.get('[data-key="gw-1:4"]')
    expect(live.attributes('data-live')).toBe('true')
    expect(live.text()).toContain('Alarma reconocida')
    expect(live.text()).toContain('Nuevo')

    // The log event, with who asked, replaces the pushed copy and keeps it marked new.
    const before = feedCalls().length
    page = { items: [{ ...raisedEvent, seq: 4, time: T0 + 5000, body: { ...raisedEvent.body as object, state: 'acknowledged', by: 'cloud:julio@tendero.app' } }, raisedEvent, door, relay], nextCursor: null }
    await vi.advanceTimersByTimeAsync(2000)
    expect(feedCalls().length).toBe(before + 1)
    expect(keys(wrapper)).toEqual(['gw-1:4', 'gw-1:3', 'gw-1:2', 'gw-1:1'])
    expect(wrapper.get('[data-key="gw-1:4"]').text()).toContain('por julio@tendero.app')
    expect(wrapper.get('[data-key="gw-1:4"]').attributes('data-live')).toBe('true')
  })

  it('catches up after a reconnect: what happened offline shows without a reload', async () => {
    const wrapper = await mountFeed()
    channel.handlers!.joined!(false)
    await flushPromises()
    const before = feedCalls().length
    const missed: ActivityItem = { ...base, seq: 9, kind: 'ack', time: T0 + 9000, body: { id: 'cmd-1', ok: false, error: 'expired' } }
    page = { items: [missed, raisedEvent, door, relay], nextCursor: null }
    channel.handlers!.status('reconnecting')
    channel.handlers!.joined!(true)
    await flushPromises()
    expect(feedCalls().length).toBe(before + 1)
    expect(keys(wrapper)[0]).toBe('gw-1:9')
    expect(wrapper.get('[data-key="gw-1:9"]').text()).toContain('El equipo no cumplió la orden: expired')
  })

  it('filters by kind and pages with the cursor', async () => {
    page = { items: [raisedEvent], nextCursor: 'next' }
    const wrapper = await mountFeed()
    page = { items: [door], nextCursor: null }
    await wrapper.get('[data-testid=activity-load-more]').trigger('click')
    await flushPromises()
    expect(feedCalls().at(-1)).toContain('cursor=next')
    expect(keys(wrapper)).toEqual(['gw-1:3', 'gw-1:2'])
    await wrapper.get('[data-testid=activity-filter-kind]').setValue('command')
    await flushPromises()
    expect(feedCalls().at(-1)).toContain('kind=command')
    expect(wrapper.get(`label[for="${wrapper.get('[data-testid=activity-filter-kind]').attributes('id')}"]`).text()).toBe('Tipo')
  })

  it('shows a gateway going offline and back, from its sync reports', async () => {
    const wrapper = await mountFeed()
    const sync = { reportedAt: T0, lagEvents: 0, lagSeconds: 0, oldestUnsentAt: null, eventsPerDay: null, bufferDaysLeft: null, usedBytes: 0, maxBytes: 0, quarantinedTotal: 0, droppedTotal: 0, clockSynced: true }
    channel.handlers!.gatewaySync!({ siteId: SITE.id, gatewayId: 'gw-1', name: 'Gateway Palermo', online: true, lastContactAt: T0 + 100, sync })
    channel.handlers!.gatewaySync!({ siteId: SITE.id, gatewayId: 'gw-1', name: 'Gateway Palermo', online: true, lastContactAt: T0 + 200, sync })
    await flushPromises()
    expect(wrapper.findAll('[data-kind=gateway]')).toHaveLength(0)
    channel.handlers!.gatewaySync!({ siteId: SITE.id, gatewayId: 'gw-1', name: 'Gateway Palermo', online: false, lastContactAt: T0 + 200, sync })
    await flushPromises()
    expect(wrapper.get('[data-kind=gateway]').text()).toContain('Gateway sin conexión')
  })
})

describe('mergeFeed', () => {
  it('keeps one entry per event and only what the filters ask for', () => {
    const items = mergeFeed([fromActivity(relay)], [fromActivity(door), fromActivity(relay), fromActivity(raisedEvent)], { siteId: '', kind: '' })
    expect(items.map((i) => i.key)).toEqual(['gw-1:3', 'gw-1:2', 'gw-1:1'])
    expect(mergeFeed(items, [], { siteId: '', kind: 'access' }).map((i) => i.kind)).toEqual(['access'])
  })
})
