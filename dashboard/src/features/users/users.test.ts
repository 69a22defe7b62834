import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '../../api/client.js'
import { i18n, setLocale } from '../../i18n/index.js'
import { es as usersEs } from '../../i18n/messages/users.js'
import UserCreateForm from './UserCreateForm.vue'
import { appendPage, checkNewUser, isUuid, ROLE_ORDER, upsertById, usersErrorKey } from './users.js'

afterEach(() => {
  vi.unstubAllGlobals()
  setLocale('es-AR')
})

describe('users logic', () => {
  it('checks a new user as the cloud will', () => {
    expect(checkNewUser({ name: ' ', email: 'x', password: 'short' })).toEqual({
      name: 'users.create.errors.nameRequired',
      email: 'users.create.errors.emailInvalid',
      password: 'users.create.errors.passwordShort',
    })
    expect(checkNewUser({ name: 'Ana', email: 'ana@example.com', password: '0123456789' })).toEqual({})
    expect(isUuid('6f1c2b9e-6a3e-4a8b-9a77-1234567890ab')).toBe(true)
    expect(isUuid('mall')).toBe(false)
  })

  it('words known errors itself and the rest with the common messages', () => {
    expect(usersErrorKey(new ApiError(409, 'USER_EMAIL_TAKEN', ''))).toBe('users.errors.USER_EMAIL_TAKEN')
    expect(usersErrorKey(new ApiError(404, 'SITE_NOT_FOUND', ''))).toBe('errors.SITE_NOT_FOUND')
    expect(usersErrorKey(new Error('x'))).toBe('errors.UNKNOWN')
  })

  it('merges pages and saved items without duplicates', () => {
    const a = { id: 'a', v: 1 }
    const b = { id: 'b', v: 1 }
    expect(upsertById([a, b], { id: 'b', v: 2 })).toEqual([a, { id: 'b', v: 2 }])
    expect(upsertById([a], b)).toEqual([b, a])
    expect(appendPage([a], [a, b])).toEqual([a, b])
  })

  it('has a meaning sentence for every role in both languages', () => {
    for (const role of ROLE_ORDER) {
      expect(usersEs.roles.meaning[role].length).toBeGreaterThan(20)
    }
  })
})

describe('UserCreateForm', () => {
  it('shows problems on their fields and focuses the first, then creates', async () => {
    const fetchMock = vi.fn(async (_url: string, init: RequestInit) =>
      Response.json({ id: 'u9', email: 'ana@example.com', name: 'Ana', role: 'viewer', locale: 'es-AR', totpEnabled: false, disabled: false, createdAt: 1, sent: JSON.parse(String(init.body)) }, { status: 201 }),
    )
    vi.stubGlobal('fetch', fetchMock)
    const wrapper = mount(UserCreateForm, { global: { plugins: [i18n] }, attachTo: document.body })
    await wrapper.get('[data-testid=user-create-email]').setValue('ana')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const name = wrapper.get('[data-testid=user-create-name]')
    expect(name.attributes('aria-invalid')).toBe('true')
    const problemId = name.attributes('aria-describedby')!
    expect(document.getElementById(problemId)?.textContent).toBe('Escribí el nombre.')
    expect(document.activeElement).toBe(name.element)
    expect(wrapper.get('[data-testid=user-create-email]').attributes('aria-invalid')).toBe('true')
    expect(fetchMock).not.toHaveBeenCalled()

    await name.setValue('Ana')
    await wrapper.get('[data-testid=user-create-email]').setValue('ana@example.com')
    await wrapper.get('[data-testid=user-create-password]').setValue('una-clave-larga')
    await wrapper.get('[data-testid=user-create-role]').setValue('operator')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const [url, init] = fetchMock.mock.calls[0]!
    expect(url).toBe('/api/users')
    expect(JSON.parse(String(init.body))).toEqual({ name: 'Ana', email: 'ana@example.com', password: 'una-clave-larga', role: 'operator', locale: 'es-AR' })
    expect(wrapper.emitted('created')?.[0]?.[0]).toMatchObject({ id: 'u9' })
    wrapper.unmount()
  })

  it('puts a taken email on the email field', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Response.json({ error: { code: 'USER_EMAIL_TAKEN', message: 'taken' } }, { status: 409 })))
    const wrapper = mount(UserCreateForm, { global: { plugins: [i18n] } })
    await wrapper.get('[data-testid=user-create-name]').setValue('Ana')
    await wrapper.get('[data-testid=user-create-email]').setValue('ana@example.com')
    await wrapper.get('[data-testid=user-create-password]').setValue('una-clave-larga')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const email = wrapper.get('[data-testid=user-create-email]')
    expect(email.attributes('aria-invalid')).toBe('true')
    expect(wrapper.text()).toContain('Ese email ya tiene una cuenta.')
    expect(wrapper.emitted('created')).toBeUndefined()
  })
})
