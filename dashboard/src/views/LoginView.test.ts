import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { i18n, setLocale } from '../i18n/index.js'
import { createAppRouter } from '../router/index.js'
import LoginView from './LoginView.vue'

const jsonResponse = (status: number, body: unknown) => new Response(JSON.stringify(body), { status })

async function mountLogin() {
  const pinia = createPinia()
  setActivePinia(pinia)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/login')
  await router.isReady()
  const wrapper = mount(LoginView, { global: { plugins: [pinia, router, i18n] } })
  return { wrapper, router }
}

async function submit(wrapper: Awaited<ReturnType<typeof mountLogin>>['wrapper'], password: string) {
  await wrapper.get('[data-testid="login-email"]').setValue('demo@tendero.app')
  await wrapper.get('[data-testid="login-password"]').setValue(password)
  await wrapper.get('form').trigger('submit')
  await flushPromises()
}

describe('LoginView', () => {
  const fetchMock = vi.fn<typeof fetch>()

  beforeEach(() => {
    localStorage.clear()
    setLocale('es-AR')
    fetchMock.mockReset()
    vi.stubGlobal('fetch', fetchMock)
  })
  afterEach(() => vi.unstubAllGlobals())

  it('shows the Spanish error on 401, and the English one after switching language', async () => {
    fetchMock.mockResolvedValue(jsonResponse(401, { error: { code: 'AUTH_INVALID_CREDENTIALS', message: 'Invalid credentials' } }))
    const { wrapper } = await mountLogin()

    await submit(wrapper, 'wrong')

    const error = wrapper.get('[data-testid="login-error"]')
    expect(error.text()).toBe('Correo o contraseña incorrectos.')
    expect(error.attributes('role')).toBe('alert')

    setLocale('en')
    await flushPromises()
    expect(wrapper.get('[data-testid="login-error"]').text()).toBe('Wrong email or password.')
    expect(wrapper.get('[data-testid="login-submit"]').text()).toBe('Sign in')
  })

  it('labels the inputs for screen readers', async () => {
    const { wrapper } = await mountLogin()
    const email = wrapper.get('[data-testid="login-email"]')
    expect(wrapper.get(`label[for="${email.attributes('id')}"]`).text()).toBe('Correo electrónico')
  })

  it('signs in and leaves the login page', async () => {
    fetchMock.mockResolvedValue(
      jsonResponse(200, { token: 'jwt-1', user: { id: 'u1', email: 'demo@tendero.app', name: 'Julio Pérez', orgId: 'o1', locale: 'es-AR' } }),
    )
    const { wrapper, router } = await mountLogin()

    await submit(wrapper, 'tendero-demo')

    expect(wrapper.find('[data-testid="login-error"]').exists()).toBe(false)
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('sites'))
  })
})

describe('LoginView with two-factor login', () => {
  const fetchMock = vi.fn<typeof fetch>()
  const user = { id: 'u1', email: 'demo@tendero.app', name: 'Julio Pérez', orgId: 'o1', locale: 'es-AR' }

  beforeEach(() => {
    localStorage.clear()
    setLocale('es-AR')
    fetchMock.mockReset()
    vi.stubGlobal('fetch', fetchMock)
  })
  afterEach(() => vi.unstubAllGlobals())

  it('asks for the authenticator code when the account needs it, and sends it', async () => {
    fetchMock.mockResolvedValueOnce(jsonResponse(401, { error: { code: 'AUTH_TOTP_REQUIRED', message: 'code' } }))
    fetchMock.mockResolvedValueOnce(jsonResponse(200, { token: 'jwt-1', user }))
    const { wrapper, router } = await mountLogin()
    expect(wrapper.find('[data-testid="login-totp"]').exists()).toBe(false)

    await submit(wrapper, 'tendero-demo')
    expect(wrapper.get('[data-testid="login-error"]').text()).toBe('Escribí el código de 6 dígitos de tu app de autenticación.')
    const field = wrapper.get('[data-testid="login-totp"]')
    expect(wrapper.get(`label[for="${field.attributes('id')}"]`).text()).toBe('Código de tu app de autenticación')

    await field.setValue('123456')
    await submit(wrapper, 'tendero-demo')
    expect(JSON.parse(String(fetchMock.mock.calls[1]![1]?.body))).toEqual({ email: 'demo@tendero.app', password: 'tendero-demo', totpCode: '123456' })
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('sites'))
  })

  it('sends an admin who must set up two-factor login to that screen', async () => {
    fetchMock.mockResolvedValueOnce(jsonResponse(200, { token: 'jwt-r', refreshToken: 'r'.repeat(40), user, totpEnrollmentRequired: true }))
    const { wrapper, router } = await mountLogin()

    await submit(wrapper, 'tendero-demo')

    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('totp-setup'))
    // Nowhere else until it is done, even after a reload.
    await router.push('/')
    expect(router.currentRoute.value.name).toBe('totp-setup')
    expect(JSON.parse(localStorage.getItem('tendero.session')!).totpEnrollmentRequired).toBe(true)
  })
})
