import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import type { ClaimCodeItem } from '../../api/fleet.js'
import { i18n, setLocale } from '../../i18n/index.js'
import { createAppRouter } from '../../router/index.js'
import FleetView from '../../views/FleetView.vue'
import { fakeApi, gatewayOf, signIn, SITE } from './fakeFleetApi.test-support.js'
import { PROVISION_POLL_MS } from './provisioning.js'

vi.mock('../../api/realtime.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../api/realtime.js')>()),
  openSitesChannel: () => ({ setSites: () => {}, close: () => {} }),
}))

const CODES = `/api/sites/${SITE.id}/claim-codes`

function fleetApi() {
  const now = Date.now()
  let codes: ClaimCodeItem[] = [
    { id: 'old', siteId: SITE.id, name: 'Viejo', status: 'open', gatewayId: null, createdBy: 'u1', createdAt: now - 3_600_000, expiresAt: now + 3_600_000, usedAt: null },
  ]
  const gateways = [gatewayOf()]
  const api = fakeApi({
    'GET /api/sites': () => ({ items: [SITE], nextCursor: null }),
    'GET /api/gateways': () => ({ items: gateways, nextCursor: null }),
    [`POST ${CODES}`]: (body) => {
      codes = [{ id: 'new', siteId: SITE.id, name: (body as { name?: string }).name ?? null, status: 'open', gatewayId: null, createdBy: 'u1', createdAt: now, expiresAt: now + 86_400_000, usedAt: null }, ...codes]
      return [201, { id: 'new', code: 'K7M2Q-XH9RP', siteId: SITE.id, name: 'Gateway depósito', expiresAt: now + 86_400_000, createdAt: now }]
    },
    [`GET ${CODES}`]: () => ({ items: codes, nextCursor: null }),
    [`DELETE ${CODES}/old`]: () => ({ ...codes.find((c) => c.id === 'old')!, status: 'expired' }),
    'GET /api/gateways/gw-nuevo': () => gatewayOf({ id: 'gw-nuevo', name: 'Gateway depósito', hardwareId: 'SN-7' }),
  })
  const claim = () => {
    codes = codes.map((c) => (c.id === 'new' ? { ...c, status: 'used', gatewayId: 'gw-nuevo', usedAt: Date.now() } : c))
    gateways.push(gatewayOf({ id: 'gw-nuevo', name: 'Gateway depósito', hardwareId: 'SN-7' }))
  }
  return { ...api, claim }
}

async function mountFleet() {
  const pinia = createPinia()
  setActivePinia(pinia)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/equipos')
  await router.isReady()
  const wrapper = mount(FleetView, { global: { plugins: [pinia, router, i18n] }, attachTo: document.body })
  await flushPromises()
  return wrapper
}

describe('FleetView', () => {
  beforeEach(() => {
    localStorage.clear()
    setLocale('es-AR')
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.useRealTimers()
    document.body.innerHTML = ''
  })

  it("lists the org's gateways with their status and hides provisioning without fleet.provision", async () => {
    signIn(['fleet.read'])
    vi.stubGlobal('fetch', fleetApi().fetchMock)
    const wrapper = await mountFleet()
    const item = wrapper.get('[data-testid=gateway-item]')
    expect(item.attributes('data-online')).toBe('true')
    expect(item.text()).toContain('Gateway Palermo')
    expect(item.text()).toContain('Sucursal Palermo')
    expect(item.get('[data-testid=gateway-lag]').text()).toBe('Al día')
    expect(item.get('[data-testid=gateway-config]').text()).toContain('archivo local (0)')
    expect(item.get('[data-testid=gateway-link]').attributes('href')).toBe('/equipos/gw-demo-01')
    expect(wrapper.find('[data-testid=provision-open]').exists()).toBe(false)
  })

  it('creates a claim code, shows it with what the technician sets, and shows the gateway that claims it', async () => {
    signIn(['fleet.read', 'fleet.provision'])
    const api = fleetApi()
    vi.stubGlobal('fetch', api.fetchMock)
    const wrapper = await mountFleet()
    vi.useFakeTimers()
    await wrapper.get('[data-testid=provision-open]').trigger('click')
    await flushPromises()
    expect(wrapper.findAll('[data-testid=claim-code-item]').map((i) => i.attributes('data-status'))).toEqual(['open'])

    await wrapper.get('[data-testid=provision-name]').setValue('Gateway depósito')
    await wrapper.get('[data-testid=provision-dialog] form').trigger('submit')
    await flushPromises()
    expect(api.calls.find((c) => c.method === 'POST')?.body).toEqual({ name: 'Gateway depósito', expiresInHours: 24 })
    expect(wrapper.get('[data-testid=claim-code]').text()).toBe('K7M2Q-XH9RP')
    expect(wrapper.get('[data-testid=claim-env]').text()).toBe(`GATEWAY_CLAIM_CODE=K7M2Q-XH9RP\nCLOUD_URL=${location.origin}`)
    expect(wrapper.find('[data-testid=provision-waiting]').exists()).toBe(true)

    api.claim()
    await vi.advanceTimersByTimeAsync(PROVISION_POLL_MS)
    await flushPromises()
    const claimed = wrapper.get('[data-testid=provision-claimed]')
    expect(claimed.attributes('data-gateway-id')).toBe('gw-nuevo')
    expect(claimed.text()).toContain('Se vinculó Gateway depósito.')
    expect(claimed.text()).toContain('en línea')
    // The list behind the dialog reads the gateways again (by name: depósito before Palermo).
    await flushPromises()
    expect(wrapper.findAll('[data-testid=gateway-item]').map((i) => i.attributes('data-gateway-id'))).toEqual(['gw-nuevo', 'gw-demo-01'])
  })

  it('revokes an open code and labels every field of the dialog', async () => {
    signIn(['fleet.read', 'fleet.provision'])
    const api = fleetApi()
    vi.stubGlobal('fetch', api.fetchMock)
    const wrapper = await mountFleet()
    await wrapper.get('[data-testid=provision-open]').trigger('click')
    await flushPromises()
    for (const field of wrapper.findAll('[data-testid=provision-dialog] input, [data-testid=provision-dialog] select')) {
      expect(wrapper.find(`label[for="${field.attributes('id')}"]`).exists()).toBe(true)
    }
    const revoke = wrapper.get('[data-testid=claim-code-revoke]')
    expect(revoke.attributes('aria-label')).toBe('Revocar el código Viejo')
    await revoke.trigger('click')
    await flushPromises()
    expect(api.calls.some((c) => c.method === 'DELETE' && c.path === `${CODES}/old`)).toBe(true)
    expect(wrapper.get('[data-testid=claim-code-item]').attributes('data-status')).toBe('expired')
    expect(wrapper.find('[data-testid=claim-code-revoke]').exists()).toBe(false)

    await wrapper.get('[data-testid=provision-close]').trigger('click')
    expect(wrapper.find('[data-testid=provision-dialog]').exists()).toBe(false)
  })
})
