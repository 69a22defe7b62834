import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import type { CommandView, FleetDevice } from '../../api/fleet.js'
import { i18n, setLocale } from '../../i18n/index.js'
import { createAppRouter } from '../../router/index.js'
import GatewayView from '../../views/GatewayView.vue'
import { COMMAND_POLL_MS } from './commandRunner.js'
import { fakeApi, gatewayOf, signIn, SITE } from './fakeFleetApi.test-support.js'

vi.mock('../../api/realtime.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../api/realtime.js')>()),
  openSitesChannel: () => ({ setSites: () => {}, close: () => {} }),
}))

const GW = '/api/gateways/gw-demo-01'
const camara: FleetDevice = { id: 'camara-1', gatewayId: 'gw-demo-01', siteId: SITE.id, name: 'Cámara de frío', kind: 'cold_room', coldBand: null }

function stackApi(commandStatuses: CommandView['status'][] = ['sent', 'acked']) {
  let devices = [camara]
  const command = (status: CommandView['status']): CommandView => ({
    id: '6f1c4a52-0000-4000-8000-000000000001', gatewayId: 'gw-demo-01', deviceId: 'camara-1', command: { kind: 'relay.set', relay: 'compressor', on: true },
    status, result: status === 'failed' ? 'unknown_relay' : null, createdAt: 1, expiresAt: 2, sentAt: null, doneAt: null,
  })
  const statuses = [...commandStatuses]
  return fakeApi({
    [`GET ${GW}`]: () => gatewayOf({ config: { desiredVersion: 3, reportedVersion: 2, reportedAt: 1, upToDate: false, error: { version: 3, reason: '/devices/0/kind: bad' } } }),
    [`GET ${GW}/devices`]: () => ({ items: devices, nextCursor: null }),
    [`GET ${GW}/command-targets`]: () => ({ gatewayId: 'gw-demo-01', source: 'reported', version: 0, devices: [{ id: 'camara-1', name: null, kind: 'cold_room', relays: ['compressor'], doors: [] }] }),
    [`GET /api/sites/${SITE.id}`]: () => ({ ...SITE, gateways: [], devices: [] }),
    [`PATCH ${GW}/devices/camara-1`]: (body) => {
      devices = [{ ...camara, ...(body as object) }]
      return devices[0]
    },
    [`POST ${GW}/devices`]: () => [409, { error: { code: 'DEVICE_EXISTS', message: 'exists' } }],
    [`POST ${GW}/commands`]: () => [201, command(statuses.shift() ?? 'acked')],
    [`GET ${GW}/commands/6f1c4a52-0000-4000-8000-000000000001`]: () => command(statuses.shift() ?? 'acked'),
  })
}

async function mountGateway() {
  const pinia = createPinia()
  setActivePinia(pinia)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/equipos/gw-demo-01')
  await router.isReady()
  const wrapper = mount(GatewayView, { props: { gatewayId: 'gw-demo-01' }, global: { plugins: [pinia, router, i18n] }, attachTo: document.body })
  await flushPromises()
  return wrapper
}

describe('GatewayView', () => {
  beforeEach(() => {
    localStorage.clear()
    setLocale('es-AR')
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.useRealTimers()
    document.body.innerHTML = ''
  })

  it('shows the status, the config the gateway refused, and hides edits and commands from a reader', async () => {
    signIn(['fleet.read'])
    vi.stubGlobal('fetch', stackApi().fetchMock)
    const wrapper = await mountGateway()
    expect(wrapper.get('[data-testid=gateway-online]').attributes('data-state')).toBe('online')
    expect(wrapper.get('[data-testid=gateway-config]').text()).toContain('Versión deseada: 3')
    expect(wrapper.get('[data-testid=gateway-config-error]').text()).toBe('El gateway rechazó la versión 3: /devices/0/kind: bad')
    expect(wrapper.get('[data-testid=device-item]').text()).toContain('Cámara de frío')
    expect(wrapper.find('[data-testid=device-add]').exists()).toBe(false)
    expect(wrapper.find('[data-testid=device-edit]').exists()).toBe(false)
    expect(wrapper.find('[data-testid=command-panel]').exists()).toBe(false)
    expect(wrapper.get('[data-testid=gateway-rules-link]').attributes('href')).toBe('/reglas/gw-demo-01')
  })

  it('sends a relay command with an Idempotency-Key per attempt and follows it to ok', async () => {
    signIn(['fleet.read', 'fleet.command'])
    const api = stackApi(['sent', 'acked', 'failed'])
    vi.stubGlobal('fetch', api.fetchMock)
    const wrapper = await mountGateway()
    const on = wrapper.get('[data-command="relay.set:compressor:on"]')
    expect(on.text()).toBe('Encender compresor')

    vi.useFakeTimers()
    await on.trigger('click')
    await flushPromises()
    const outcome = () => wrapper.get('[data-testid=command-outcome]')
    expect(outcome().attributes('data-outcome')).toBe('pending')
    expect(outcome().text()).toBe('Encender compresor: Esperando al gateway…')
    await vi.advanceTimersByTimeAsync(COMMAND_POLL_MS)
    await flushPromises()
    expect(outcome().attributes('data-outcome')).toBe('ok')
    expect(outcome().text()).toBe('Encender compresor: Hecho')

    // A second attempt gets a key of its own, and the gateway's refusal is shown with its reason.
    await wrapper.get('[data-command="relay.set:compressor:off"]').trigger('click')
    await flushPromises()
    expect(outcome().attributes('data-outcome')).toBe('refused')
    expect(outcome().text()).toContain('Rechazado: unknown_relay')
    const posts = api.calls.filter((c) => c.method === 'POST')
    expect(posts.map((p) => p.body)).toEqual([
      { deviceId: 'camara-1', command: { kind: 'relay.set', relay: 'compressor', on: true }, expiresInSeconds: 60 },
      { deviceId: 'camara-1', command: { kind: 'relay.set', relay: 'compressor', on: false }, expiresInSeconds: 60 },
    ])
    const keys = posts.map((p) => p.headers['idempotency-key'])
    expect(keys[0]).toMatch(/^dash-/)
    expect(keys[1]).not.toBe(keys[0])
    expect(posts[0]!.headers.authorization).toBe('Bearer token-1')
  })

  it('edits a device with the errors on the fields, then saves its cold band', async () => {
    signIn(['fleet.read', 'fleet.config'])
    const api = stackApi()
    vi.stubGlobal('fetch', api.fetchMock)
    const wrapper = await mountGateway()
    await wrapper.get('[data-testid=device-edit]').trigger('click')
    const min = wrapper.get('[data-testid=device-min]')
    const max = wrapper.get('[data-testid=device-max]')
    await min.setValue('8')
    await max.setValue('2')
    await wrapper.get('[data-testid=device-form]').trigger('submit')
    expect(min.attributes('aria-invalid')).toBe('true')
    const errorId = min.attributes('aria-describedby')!
    expect(wrapper.get(`[id="${errorId}"]`).text()).toBe('La mínima tiene que ser menor que la máxima.')
    expect(api.calls.some((c) => c.method === 'PATCH')).toBe(false)

    await min.setValue('0')
    await max.setValue('4,5')
    await wrapper.get('[data-testid=device-form]').trigger('submit')
    await flushPromises()
    expect(api.calls.find((c) => c.method === 'PATCH')?.body).toEqual({ name: 'Cámara de frío', kind: 'cold_room', coldBand: { minC: 0, maxC: 4.5 } })
    expect(wrapper.find('[data-testid=device-form]').exists()).toBe(false)
    expect(wrapper.get('[data-testid=device-band]').text()).toBe('0 a 4,5 °C')
  })

  it("shows the cloud's refusal of a new device under the form", async () => {
    signIn(['fleet.read', 'fleet.config'])
    vi.stubGlobal('fetch', stackApi().fetchMock)
    const wrapper = await mountGateway()
    await wrapper.get('[data-testid=device-add]').trigger('click')
    await wrapper.get('[data-testid=device-id]').setValue('camara-1')
    await wrapper.get('[data-testid=device-name]').setValue('Otra cámara')
    await wrapper.get('[data-testid=device-form]').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[data-testid=device-form-error]').text()).toBe('Ya hay un dispositivo con ese id.')
    for (const input of wrapper.findAll('[data-testid=device-form] input')) {
      expect(wrapper.find(`label[for="${input.attributes('id')}"]`).exists()).toBe(true)
    }
  })
})
