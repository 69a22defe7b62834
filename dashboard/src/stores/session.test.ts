import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/client.js'
import { useSessionStore } from './session.js'

const user = { id: 'u1', email: 'demo@tendero.app', name: 'Julio Pérez', orgId: 'o1', locale: 'es-AR' }

const me = {
  user: { ...user, role: 'owner' },
  organization: { id: 'o1', name: 'Carnicería Don Julio', kind: 'shop' },
  permissions: ['sites.read', 'alarms.read', 'alarms.manage'],
}

const jsonResponse = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

describe('session store', () => {
  const fetchMock = vi.fn<typeof fetch>()

  beforeEach(() => {
    localStorage.clear()
    fetchMock.mockReset()
    vi.stubGlobal('fetch', fetchMock)
    setActivePinia(createPinia())
  })
  afterEach(() => vi.unstubAllGlobals())

  it('login stores the token, the user and what it may do, in memory and in localStorage', async () => {
    fetchMock.mockResolvedValueOnce(jsonResponse(200, { token: 'jwt-1', user }))
    fetchMock.mockResolvedValueOnce(jsonResponse(200, me))
    const session = useSessionStore()

    await session.login(' demo@tendero.app ', 'tendero-demo')

    expect(session.token).toBe('jwt-1')
    expect(session.user).toEqual(user)
    expect(session.isAuthenticated).toBe(true)
    const [url, init] = fetchMock.mock.calls[0]!
    expect(url).toBe('/api/auth/login')
    expect(init?.method).toBe('POST')
    expect(JSON.parse(String(init?.body))).toEqual({ email: 'demo@tendero.app', password: 'tendero-demo' })
    expect(fetchMock.mock.calls[1]![0]).toBe('/api/me')
    expect(session.can('alarms.manage')).toBe(true)
    expect(session.can('users.manage')).toBe(false)
    expect(JSON.parse(localStorage.getItem('tendero.session')!)).toEqual({
      token: 'jwt-1',
      user,
      permissions: me.permissions,
      organization: me.organization,
    })

    // A new page load restores the session, permissions included (the navigation needs them offline).
    setActivePinia(createPinia())
    expect(useSessionStore().token).toBe('jwt-1')
    expect(useSessionStore().can('alarms.read')).toBe(true)
  })

  it('bad credentials surface the coded API error and leave the session empty', async () => {
    fetchMock.mockResolvedValueOnce(
      jsonResponse(401, { error: { code: 'AUTH_INVALID_CREDENTIALS', message: 'Invalid email or password' } }),
    )
    const session = useSessionStore()

    const error = await session.login('demo@tendero.app', 'wrong').catch((err: unknown) => err)

    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ status: 401, code: 'AUTH_INVALID_CREDENTIALS', message: 'Invalid email or password' })
    expect(session.isAuthenticated).toBe(false)
    expect(localStorage.getItem('tendero.session')).toBeNull()
  })

  it('a network failure becomes NETWORK_ERROR', async () => {
    fetchMock.mockRejectedValueOnce(new TypeError('Failed to fetch'))
    await expect(useSessionStore().login('a@b.c', 'x')).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR' })
  })

  it('logout clears the token, the user and the stored session', async () => {
    fetchMock.mockResolvedValueOnce(jsonResponse(200, { token: 'jwt-1', user }))
    const session = useSessionStore()
    await session.login('demo@tendero.app', 'tendero-demo')

    session.logout()

    expect(session.token).toBeNull()
    expect(session.user).toBeNull()
    expect(session.isAuthenticated).toBe(false)
    expect(localStorage.getItem('tendero.session')).toBeNull()
  })

  it('a refresh can turn the session into a two-factor set-up one, and that survives a reload', async () => {
    fetchMock.mockResolvedValueOnce(jsonResponse(200, { token: 'jwt-1', refreshToken: 'r1'.repeat(20), user }))
    fetchMock.mockResolvedValueOnce(jsonResponse(200, me))
    fetchMock.mockResolvedValueOnce(jsonResponse(200, { token: 'jwt-2', refreshToken: 'r2'.repeat(20), user, totpEnrollmentRequired: true }))
    const session = useSessionStore()
    await session.login('demo@tendero.app', 'tendero-demo')
    expect(session.totpEnrollmentRequired).toBe(false)

    expect(await session.refresh()).toBe(true)

    expect(session.totpEnrollmentRequired).toBe(true)
    setActivePinia(createPinia())
    expect(useSessionStore().totpEnrollmentRequired).toBe(true)
    // Once it is on, this login is over and the next one asks for the code.
    useSessionStore().totpEnabled()
    expect(useSessionStore()).toMatchObject({ isAuthenticated: false, totpEnrollmentRequired: false, totpJustEnabled: true })
  })
})
