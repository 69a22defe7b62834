import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { i18n, setLocale } from '../i18n/index.js'
import { createAppRouter } from '../router/index.js'
import RulesView from './RulesView.vue'

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status })
const fetchMock = vi.fn<typeof fetch>()

const RULES = {
  gatewayId: 'gw-demo-01',
  version: 2,
  source: 'desired',
  timeZone: 'America/Argentina/Buenos_Aires',
  deviceIds: ['camara-1'],
  rules: [
    {
      id: 'camara-alta',
      description: 'Sobre 5 °C',
      when: { kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', above: 5, forSeconds: 120 },
      alarm: { severity: 'critical', message: 'Alta' },
      actions: [{ kind: 'relay.set', deviceId: 'camara-1', relay: 'compressor', on: true }],
    },
    'not a rule',
  ],
  reported: { version: 2, at: null, error: null },
}
const GATEWAY = { id: 'gw-demo-01', siteId: 'site-1', name: 'Gateway Palermo', online: true }

function route(url: string, init?: RequestInit): Response {
  const method = init?.method ?? 'GET'
  if (method === 'GET' && url === '/api/gateways/gw-demo-01/rules') return json(200, RULES)
  if (method === 'GET' && url === '/api/gateways/gw-demo-01') return json(200, GATEWAY)
  if (method === 'GET' && url.startsWith('/api/gateways?')) return json(200, { items: [GATEWAY], nextCursor: null })
  if (method === 'DELETE' && url === '/api/gateways/gw-demo-01/rules/camara-alta?ifVersion=2') return json(200, { gatewayId: 'gw-demo-01', version: 3 })
  return json(404, { error: { code: 'NOT_FOUND', message: url } })
}

async function mountView(permissions: string[], gatewayId?: string) {
  localStorage.setItem(
    'tendero.session',
    JSON.stringify({ token: 't', user: { id: 'u', email: 'a@b', name: 'A', orgId: 'o', locale: 'es-AR' }, permissions }),
  )
  const pinia = createPinia()
  setActivePinia(pinia)
  const router = createAppRouter(createMemoryHistory())
  await router.push(gatewayId ? `/reglas/${gatewayId}` : '/reglas')
  await router.isReady()
  const wrapper = mount(RulesView, { props: gatewayId ? { gatewayId } : {}, global: { plugins: [pinia, router, i18n] }, attachTo: document.body })
  await flushPromises()
  return wrapper
}

describe('RulesView', () => {
  beforeEach(() => {
    localStorage.clear()
    setLocale('es-AR')
    fetchMock.mockReset()
    fetchMock.mockImplementation(async (url, init) => route(String(url), init))
    vi.stubGlobal('fetch', fetchMock)
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it('lists the gateways to pick from when the route names none', async () => {
    const wrapper = await mountView(['fleet.read'])
    const link = wrapper.get('[data-testid=rules-gateway]')
    expect(link.attributes('href')).toBe('/reglas/gw-demo-01')
    expect(link.text()).toContain('Gateway Palermo')
  })

  it('lists the rules in words with their actions, and skips what is not a rule', async () => {
    const wrapper = await mountView(['fleet.read', 'fleet.config'], 'gw-demo-01')
    const item = wrapper.get('[data-testid=rule-item][data-rule-id=camara-alta]')
    expect(item.get('[data-testid=rule-summary]').text()).toBe('camara-1: temperature_c mayor que 5 durante 2 min')
    expect(item.text()).toContain('Acciones: alarma Crítica, Relé compressor ON')
    expect(wrapper.text()).toContain('Regla ilegible en la configuración')
    expect(wrapper.get('[data-testid=rules-version]').attributes('data-version')).toBe('2')
    expect(wrapper.get('[data-testid=rules-applied]').attributes('data-state')).toBe('applied')
    expect(wrapper.find('[data-testid=rule-new]').exists()).toBe(true)
  })

  it('is read-only without fleet.config: no new, no delete, the editor locked but the dry run there', async () => {
    const wrapper = await mountView(['fleet.read'], 'gw-demo-01')
    expect(wrapper.find('[data-testid=rules-read-only]').exists()).toBe(true)
    expect(wrapper.find('[data-testid=rule-new]').exists()).toBe(false)
    expect(wrapper.find('[data-testid=rule-delete]').exists()).toBe(false)
    await wrapper.get('[data-testid=rule-edit]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-testid=rule-save]').exists()).toBe(false)
    expect(wrapper.find('[data-testid=dry-run]').exists()).toBe(true)
  })

  it('opens the editor on the rule and gives the focus back to its button on cancel', async () => {
    const wrapper = await mountView(['fleet.read', 'fleet.config'], 'gw-demo-01')
    await wrapper.get('[data-testid=rule-edit]').trigger('click')
    await flushPromises()
    expect((wrapper.get('#rule-field-when-limit').element as HTMLInputElement).value).toBe('5')
    await wrapper.get('[data-testid=rule-cancel]').trigger('click')
    await flushPromises()
    expect(document.activeElement?.getAttribute('data-testid')).toBe('rule-edit')
  })

  it('deletes after confirming, with the version it loaded', async () => {
    const wrapper = await mountView(['fleet.read', 'fleet.config'], 'gw-demo-01')
    const dialog = wrapper.get('[data-testid=rule-delete-dialog]').element as HTMLDialogElement
    await wrapper.get('[data-testid=rule-delete]').trigger('click')
    expect(dialog.open).toBe(true)
    expect(dialog.textContent).toContain('camara-alta')
    await wrapper.get('[data-testid=rule-delete-confirm]').trigger('click')
    await flushPromises()
    expect(fetchMock.mock.calls.some(([url, init]) => init?.method === 'DELETE' && String(url).endsWith('camara-alta?ifVersion=2'))).toBe(true)
    expect(dialog.open).toBe(false)
    expect(wrapper.get('[data-testid=rules-notice]').text()).toContain('Regla camara-alta borrada (versión 3)')
  })

  it('says when the gateway has not reported its config yet', async () => {
    fetchMock.mockImplementation(async (url, init) =>
      String(url).endsWith('/rules') ? json(409, { error: { code: 'RULES_NO_BASE_CONFIG', message: 'none' } }) : route(String(url), init),
    )
    const wrapper = await mountView(['fleet.read'], 'gw-demo-01')
    expect(wrapper.text()).toContain('El gateway todavía no informó su configuración')
  })
})
