import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import type { OrgAlarm } from '../../api/alarms.js'
import type { SitesChannelHandlers } from '../../api/realtime.js'
import { i18n, setLocale } from '../../i18n/index.js'
import { createAppRouter } from '../../router/index.js'
import AlarmsView from '../../views/AlarmsView.vue'
import { mergeAlarm } from './inbox.js'

const channel = vi.hoisted(() => ({ handlers: null as SitesChannelHandlers | null, siteIds: [] as readonly string[], closed: 0 }))
vi.mock('../../api/realtime.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../api/realtime.js')>()),
  openSitesChannel: (options: { siteIds: readonly string[]; handlers: SitesChannelHandlers }) => {
    channel.handlers = options.handlers
    channel.siteIds = options.siteIds
    return { setSites: () => {}, close: () => channel.closed++ }
  },
}))

const SITE = { id: '11111111-1111-4111-8111-111111111111', name: 'Sucursal Palermo', timezone: 'America/Argentina/Buenos_Aires' }
const T0 = Date.UTC(2026, 10, 21, 15, 0)

const raised: OrgAlarm = {
  alarmId: 'camara-alta:camara-1', ruleId: 'camara-alta', deviceId: 'camara-1', severity: 'critical', state: 'raised',
  message: 'Cámara de frío sobre 5 °C', value: 6.2, raisedAt: T0, updatedAt: T0, clearedAt: null, gatewayId: 'gw-1', seq: 10,
  siteId: SITE.id, siteName: SITE.name, acknowledgedBy: null, acknowledgedAt: null, clearedBy: null,
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status })

function session(permissions: string[]) {
  localStorage.setItem('tendero.session', JSON.stringify({
    token: 'jwt', user: { id: 'u1', email: 'julio@tendero.app', name: 'Julio Pérez', orgId: 'o1', locale: 'es-AR' }, permissions,
  }))
}

async function mountInbox() {
  const pinia = createPinia()
  setActivePinia(pinia)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/alarmas')
  await router.isReady()
  const wrapper = mount(AlarmsView, { global: { plugins: [pinia, router, i18n] }, attachTo: document.body })
  await flushPromises()
  return wrapper
}

describe('alarms inbox', () => {
  const fetchMock = vi.fn<typeof fetch>()
  let alarmPages: { items: OrgAlarm[]; nextCursor: string | null }[]
  let gatewayOnline = true
  const alarmQueries = () => fetchMock.mock.calls.map(([url]) => String(url)).filter((u) => u.startsWith('/api/alarms'))

  beforeEach(() => {
    localStorage.clear()
    setLocale('es-AR')
    session(['alarms.read', 'alarms.manage'])
    channel.handlers = null
    alarmPages = [{ items: [raised], nextCursor: null }]
    gatewayOnline = true
    fetchMock.mockReset()
    fetchMock.mockImplementation(async (input, init) => {
      const url = String(input)
      if (url.endsWith('/ack') && init?.method === 'POST') {
        return json(202, { commandId: 'c1', siteId: SITE.id, alarmId: raised.alarmId, action: 'ack', gatewayId: 'gw-1', status: gatewayOnline ? 'sent' : 'pending',
          gatewayOnline, by: 'cloud:julio@tendero.app', createdAt: T0 + 60_000, expiresAt: T0 + 3_600_000, result: null })
      }
      if (url.startsWith('/api/sites')) return json(200, { items: [SITE], nextCursor: null })
      if (url.startsWith('/api/alarms')) return json(200, alarmPages.length > 1 ? alarmPages.shift() : alarmPages[0])
      return json(404, { error: { code: 'NOT_FOUND' } })
    })
    vi.stubGlobal('fetch', fetchMock)
  })
  afterEach(() => vi.unstubAllGlobals())

  it('acknowledges: "sent to the gateway" until the gateway confirms, then who did it', async () => {
    const wrapper = await mountInbox()
    const item = () => wrapper.get('[data-testid=inbox-alarm]')
    expect(item().attributes('data-state')).toBe('raised')
    expect(item().text()).toContain('Sucursal Palermo')
    expect(channel.siteIds).toEqual([SITE.id])

    await wrapper.get('[data-testid=inbox-ack]').trigger('click')
    await flushPromises()
    const post = fetchMock.mock.calls.find(([, init]) => init?.method === 'POST')
    expect(String(post?.[0])).toBe(`/api/sites/${SITE.id}/alarms/camara-alta%3Acamara-1/ack`)
    expect(item().attributes('data-pending')).toBe('sent')
    expect(wrapper.get('[data-testid=inbox-alarm-pending]').text()).toBe('Enviado al equipo…')
    expect(wrapper.get('[data-testid=inbox-ack]').attributes('disabled')).toBeDefined()

    // The gateway's own change comes back up: the push carries no names.
    const { siteName: _name, acknowledgedBy: _by, acknowledgedAt: _at, clearedBy: _c, ...push } = raised
    channel.handlers!.alarm!({ ...push, state: 'acknowledged', updatedAt: T0 + 61_000, seq: 11 })
    await flushPromises()
    expect(item().attributes('data-state')).toBe('acknowledged')
    expect(item().attributes('data-pending')).toBe('')
    expect(wrapper.find('[data-testid=inbox-ack]').exists()).toBe(false)
    expect(wrapper.get('[data-testid=inbox-alarm-acknowledged-by]').text()).toContain('Reconocida por Julio Pérez')
    wrapper.unmount()
    expect(channel.closed).toBeGreaterThan(0)
  })

  it('says when the gateway is offline, and shows a refused action', async () => {
    gatewayOnline = false
    const wrapper = await mountInbox()
    await wrapper.get('[data-testid=inbox-ack]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid=inbox-alarm]').attributes('data-pending')).toBe('queued')
    expect(wrapper.get('[data-testid=inbox-alarm-pending]').text()).toContain('se aplicará cuando se reconecte')
    wrapper.unmount()
  })

  it('shows why an action was refused', async () => {
    const wrapper = await mountInbox()
    fetchMock.mockImplementationOnce(async () => json(409, { error: { code: 'ALARM_ALREADY_CLEARED', message: 'cleared' } }))
    await wrapper.get('[data-testid=inbox-clear]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid=inbox-alarm-pending]').text()).toBe('No se pudo enviar: ya estaba resuelta.')
    wrapper.unmount()
  })

  it('hides the actions from a user who may only read alarms', async () => {
    session(['alarms.read'])
    const wrapper = await mountInbox()
    expect(wrapper.find('[data-testid=inbox-alarm]').exists()).toBe(true)
    expect(wrapper.find('[data-testid=inbox-ack]').exists()).toBe(false)
    expect(wrapper.find('[data-testid=inbox-clear]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('filters by severity, loads more with the cursor, and labels every field', async () => {
    alarmPages = [{ items: [raised], nextCursor: 'page-2' }, { items: [{ ...raised, alarmId: 'puerta:camara-1', severity: 'warning', updatedAt: T0 - 1000, raisedAt: T0 - 1000 }], nextCursor: null }]
    const wrapper = await mountInbox()
    for (const select of wrapper.findAll('select')) expect(wrapper.find(`label[for="${select.attributes('id')}"]`).exists()).toBe(true)
    await wrapper.get('[data-testid=inbox-load-more]').trigger('click')
    await flushPromises()
    expect(alarmQueries().at(-1)).toContain('cursor=page-2')
    expect(wrapper.findAll('[data-testid=inbox-alarm]')).toHaveLength(2)
    expect(wrapper.find('[data-testid=inbox-load-more]').exists()).toBe(false)

    await wrapper.get('[data-testid=inbox-filter-severity]').setValue('critical')
    await flushPromises()
    expect(alarmQueries().at(-1)).toContain('severity=critical')
    expect(alarmQueries().at(-1)).toContain('state=active')
    wrapper.unmount()
  })

  it('reads the first page again after a reconnect, so an alarm raised offline shows', async () => {
    const wrapper = await mountInbox()
    channel.handlers!.joined!(false)
    await flushPromises()
    const before = alarmQueries().length
    const missed: OrgAlarm = { ...raised, alarmId: 'puerta:camara-1', severity: 'warning', updatedAt: T0 + 5000, raisedAt: T0 + 5000, seq: 12 }
    alarmPages = [{ items: [missed, raised], nextCursor: null }]
    channel.handlers!.status('reconnecting')
    channel.handlers!.joined!(true)
    await flushPromises()
    expect(alarmQueries().length).toBe(before + 1)
    expect(wrapper.findAll('[data-testid=inbox-alarm]').map((w) => w.attributes('data-alarm-id'))).toEqual(['puerta:camara-1', 'camara-alta:camara-1'])
    wrapper.unmount()
  })
})

describe('mergeAlarm', () => {
  it('keeps who acknowledged through a push of the same episode, and forgets it on a new raise', () => {
    const acked: OrgAlarm = { ...raised, state: 'acknowledged', seq: 11, acknowledgedBy: { id: 'u1', name: 'Ana' }, acknowledgedAt: T0 + 1 }
    const { acknowledgedBy: _b, acknowledgedAt: _a, clearedBy: _c, ...push } = acked
    expect(mergeAlarm(acked, { ...push, state: 'cleared', seq: 12, clearedAt: T0 + 2 }).acknowledgedBy).toEqual({ id: 'u1', name: 'Ana' })
    expect(mergeAlarm(acked, { ...push, state: 'raised', seq: 13, raisedAt: T0 + 3, updatedAt: T0 + 3 }).acknowledgedBy).toBeNull()
    // An older change never rolls a newer one back.
    expect(mergeAlarm(acked, { ...raised, seq: 10 })).toBe(acked)
  })
})
