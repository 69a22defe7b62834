import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { i18n } from '../../i18n/index.js'
import ApiKeysPanel from './ApiKeysPanel.vue'
import SecurityPanel from './SecurityPanel.vue'

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>

function stubCloud(routes: Record<string, Handler>) {
  const calls: { method: string; url: string; body?: unknown }[] = []
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET'
      calls.push({ method, url, body: init.body ? JSON.parse(String(init.body)) : undefined })
      const path = url.split('?')[0]!
      const handler = routes[`${method} ${path}`]
      return handler ? handler(url, init) : Response.json({ error: { code: 'NOT_FOUND', message: url } }, { status: 404 })
    }),
  )
  return calls
}

const key = (over: Record<string, unknown> = {}) => ({ id: 'k1', name: 'Caja', prefix: 'tdk_ab12', role: 'viewer', createdAt: 1, lastUsedAt: null, revoked: false, ...over })

afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe('ApiKeysPanel', () => {
  it('shows a new key once, in a labelled read-only field, until dismissed', async () => {
    const calls = stubCloud({
      'GET /api/api-keys': () => Response.json({ items: [], nextCursor: null }),
      'POST /api/api-keys': () => Response.json({ key: 'tdk_secret_value', apiKey: key() }, { status: 201 }),
    })
    const wrapper = mount(ApiKeysPanel, { global: { plugins: [i18n] } })
    await flushPromises()
    // A name is asked for first.
    await wrapper.get('form').trigger('submit')
    expect(wrapper.get('[data-testid=apikey-name]').attributes('aria-invalid')).toBe('true')

    await wrapper.get('[data-testid=apikey-name]').setValue('Caja')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(calls.at(-1)).toEqual({ method: 'POST', url: '/api/api-keys', body: { name: 'Caja', role: 'viewer' } })
    const shown = wrapper.get<HTMLInputElement>('[data-testid=apikey-created-key]')
    expect(shown.element.value).toBe('tdk_secret_value')
    expect(shown.attributes('readonly')).toBeDefined()
    expect(wrapper.findAll('[data-testid=apikey-item]')).toHaveLength(1)

    await wrapper.get('[data-testid=apikey-dismiss]').trigger('click')
    expect(wrapper.find('[data-testid=apikey-created-key]').exists()).toBe(false)
    expect(wrapper.text()).not.toContain('tdk_secret_value')
  })

  it('revokes only after confirmation', async () => {
    const calls = stubCloud({
      'GET /api/api-keys': () => Response.json({ items: [key()], nextCursor: null }),
      'DELETE /api/api-keys/k1': () => Response.json(key({ revoked: true })),
    })
    // happy-dom has no confirm(); the browser's own dialog is what the panel uses.
    const confirm = vi.fn().mockReturnValueOnce(false).mockReturnValueOnce(true)
    vi.stubGlobal('confirm', confirm)
    window.confirm = confirm
    const wrapper = mount(ApiKeysPanel, { global: { plugins: [i18n] } })
    await flushPromises()
    await wrapper.get('[data-testid=apikey-revoke]').trigger('click')
    await flushPromises()
    expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(0)
    await wrapper.get('[data-testid=apikey-revoke]').trigger('click')
    await flushPromises()
    expect(confirm).toHaveBeenCalledTimes(2)
    expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(1)
    expect(wrapper.get('[data-testid=apikey-item]').attributes('data-revoked')).toBe('true')
    expect(wrapper.find('[data-testid=apikey-revoke]').exists()).toBe(false)
    Reflect.deleteProperty(window, 'confirm')
  })
})

describe('SecurityPanel', () => {
  it('reads and saves the admins’ two-step requirement, and puts the box back when refused', async () => {
    let refuse = false
    const calls = stubCloud({
      'GET /api/orgs/current/security': () => Response.json({ requireAdminTotp: false }),
      'PATCH /api/orgs/current/security': (_u, init) =>
        refuse
          ? Response.json({ error: { code: 'FORBIDDEN', message: 'no' } }, { status: 403 })
          : Response.json(JSON.parse(String(init.body))),
    })
    const wrapper = mount(SecurityPanel, { global: { plugins: [i18n] } })
    await flushPromises()
    const box = wrapper.get<HTMLInputElement>('[data-testid=security-require-totp]')
    expect(box.element.checked).toBe(false)
    expect(wrapper.get(`label[for="${box.attributes('id')}"]`).text()).toBe('Los administradores deben usar verificación en dos pasos')

    await box.setValue(true)
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({ method: 'PATCH', body: { requireAdminTotp: true } })
    expect(box.element.checked).toBe(true)
    expect(wrapper.get('[role=status]').text()).toBe('Configuración de seguridad guardada.')

    refuse = true
    await box.setValue(false)
    await flushPromises()
    expect(box.element.checked).toBe(true)
    expect(wrapper.find('[role=alert]').exists()).toBe(true)
  })
})
