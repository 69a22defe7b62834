import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { i18n, setLocale } from '../i18n/index.js'
import { createAppRouter } from '../router/index.js'
import { useSessionStore } from '../stores/session.js'
import TotpSetupView from './TotpSetupView.vue'

const jsonResponse = (status: number, body: unknown) => new Response(JSON.stringify(body), { status })
const user = { id: 'u1', email: 'admin@tienda.test', name: 'Ana', orgId: 'o1', locale: 'es-AR' }
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'
const URI = `otpauth://totp/Tendero%3Aadmin%40tienda.test?secret=${SECRET}&issuer=Tendero&algorithm=SHA1&digits=6&period=30`

async function mountRestricted() {
  localStorage.setItem('tendero.session', JSON.stringify({ token: 'jwt-r', refreshToken: 'r'.repeat(40), user, totpEnrollmentRequired: true }))
  const pinia = createPinia()
  setActivePinia(pinia)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/')
  await router.isReady()
  const wrapper = mount(TotpSetupView, { global: { plugins: [pinia, router, i18n] } })
  return { wrapper, router, session: useSessionStore() }
}

describe('TotpSetupView', () => {
  const fetchMock = vi.fn<typeof fetch>()

  beforeEach(() => {
    localStorage.clear()
    setLocale('es-AR')
    fetchMock.mockReset()
    vi.stubGlobal('fetch', fetchMock)
  })
  afterEach(() => vi.unstubAllGlobals())

  it('says why, in Spanish and in English', async () => {
    const { wrapper, router } = await mountRestricted()
    expect(router.currentRoute.value.name).toBe('totp-setup')
    expect(wrapper.get('[data-testid="totp-required"]').text()).toBe('Tu cuenta de administrador necesita verificación en dos pasos')
    setLocale('en')
    await flushPromises()
    expect(wrapper.get('[data-testid="totp-required"]').text()).toBe('Your admin account needs two-step verification')
  })

  it('shows the link and the key, turns it on with a code, and asks for a new login', async () => {
    fetchMock.mockResolvedValueOnce(jsonResponse(200, { secret: SECRET, otpauthUri: URI }))
    fetchMock.mockResolvedValueOnce(jsonResponse(200, { totpEnabled: true }))
    const { wrapper, router, session } = await mountRestricted()

    await wrapper.get('[data-testid="totp-start"]').trigger('click')
    await flushPromises()
    expect(fetchMock.mock.calls[0]![0]).toBe('/api/auth/totp/setup')
    expect(wrapper.get('[data-testid="totp-uri"]').text()).toBe(URI)
    expect(wrapper.get('[data-testid="totp-secret"]').text()).toBe(SECRET)
    const code = wrapper.get('[data-testid="totp-code"]')
    expect(wrapper.get(`label[for="${code.attributes('id')}"]`).text()).toBe('Código de 6 dígitos')

    await code.setValue('654321')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const [url, init] = fetchMock.mock.calls[1]!
    expect(url).toBe('/api/auth/totp/enable')
    expect(JSON.parse(String(init?.body))).toEqual({ code: '654321' })
    expect(session.isAuthenticated).toBe(false)
    expect(session.totpJustEnabled).toBe(true)
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('login'))
  })

  it('shows a wrong code as a coded error and stays', async () => {
    fetchMock.mockResolvedValueOnce(jsonResponse(200, { secret: SECRET, otpauthUri: URI }))
    fetchMock.mockResolvedValueOnce(jsonResponse(401, { error: { code: 'AUTH_TOTP_INVALID', message: 'wrong' } }))
    const { wrapper, session } = await mountRestricted()
    await wrapper.get('[data-testid="totp-start"]').trigger('click')
    await flushPromises()
    await wrapper.get('[data-testid="totp-code"]').setValue('000000')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[data-testid="totp-error"]').text()).toBe('Código incorrecto o ya usado. Esperá el próximo y probá de nuevo.')
    expect(session.totpEnrollmentRequired).toBe(true)
  })
})
