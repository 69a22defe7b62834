import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO } from '../src/seed.js'
import {
  addOrganization,
  alarmEvent,
  buildTestApp,
  DEMO_KEY,
  ingest,
  loginDemo,
  stateEvent,
  telemetryEvent,
  type TestApp,
} from './support/app.js'
import { testDrivers } from './support/drivers.js'

describe.each(testDrivers())('API on %s', (driver) => {
  let t: TestApp
  let token: string
  const get = (url: string, auth = token) => t.app.inject({ url, headers: { authorization: `Bearer ${auth}` } })

  beforeAll(async () => {
    t = await buildTestApp(driver)
    token = await loginDemo(t.app)
  })
  afterAll(async () => {
    await t?.close()
  })

  it('reports the database in /api/health', async () => {
    const res = await t.app.inject({ url: '/api/health' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ status: 'ok', db: 'ok', version: '0.1.0' })
  })

  it('logs the demo user in and answers /api/me', async () => {
    const login = await t.app.inject({
      method: 'POST', url: '/api/auth/login', payload: { email: 'Demo@Tendero.app ', password: DEMO.user.password },
    })
    expect(login.statusCode).toBe(200)
    expect(login.json().user).toEqual({
      id: expect.any(String), email: DEMO.user.email, name: DEMO.user.name, orgId: DEMO.organization.id, locale: 'es-AR',
      role: 'org_admin', totpEnabled: false,
    })
    expect(login.json()).toMatchObject({ accessToken: login.json().token, expiresIn: 900, refreshToken: expect.any(String) })
    const me = await get('/api/me', login.json().token)
    expect(me.statusCode).toBe(200)
    expect(me.json()).toEqual({
      user: login.json().user,
      organization: { ...DEMO.organization, kind: 'shop' },
      permissions: expect.arrayContaining(['sites.read', 'users.manage', 'audit.read']),
    })
  })

  it('refuses a wrong password or unknown email with 401 AUTH_INVALID_CREDENTIALS', async () => {
    for (const payload of [
      { email: DEMO.user.email, password: 'wrong' },
      { email: 'nobody@tendero.app', password: DEMO.user.password },
    ]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload })
      expect(res.statusCode).toBe(401)
      expect(res.json().error.code).toBe('AUTH_INVALID_CREDENTIALS')
    }
  })

  it('refuses user routes without a valid token', async () => {
    expect((await t.app.inject({ url: '/api/sites' })).statusCode).toBe(401)
    const forged = await get('/api/me', token.slice(0, -2) + 'xx')
    expect(forged.statusCode).toBe(401)
    expect(forged.json().error.code).toBe('AUTH_UNAUTHORIZED')
  })

  it('lists and details only the caller\'s sites', async () => {
    const other = await addOrganization(t.app)
    const list = await get('/api/sites')
    expect(list.json()).toEqual({
      items: [{ ...DEMO.site, health: expect.objectContaining({ online: false, gatewaysOnline: 0, gatewaysTotal: 1 }) }],
      nextCursor: null,
    })
    const detail = await get(`/api/sites/${DEMO.site.id}`)
    expect(detail.json()).toEqual({
      ...DEMO.site,
      gateways: [{ id: DEMO.gateway.id, siteId: DEMO.site.id, name: DEMO.gateway.name, online: false, lastSeenAt: null,
        lastContactAt: null, ackSeq: 0, quarantinedTotal: 0, sync: null }],
      devices: [{ id: DEMO.device.id, gatewayId: DEMO.gateway.id, name: DEMO.device.name, kind: DEMO.device.kind }],
    })
    for (const url of [`/api/sites/${other.siteId}`, `/api/sites/${other.siteId}/telemetry`,
      '/api/sites/00000000-0000-4000-8000-0000000000ff', '/api/sites/not-a-uuid/state']) {
      const res = await get(url)
      expect(res.statusCode, url).toBe(404)
      expect(res.json().error.code).toBe('SITE_NOT_FOUND')
    }
  })

  it('queries telemetry by device, metric and window, ascending', async () => {
    const now = Date.now()
    await ingest(t.app, DEMO_KEY, DEMO.gateway.id, [
      telemetryEvent(1, { temperature_c: 5 }, now - 3000),
      telemetryEvent(2, { temperature_c: 4, humidity_pct: 80 }, now - 2000),
      telemetryEvent(3, { temperature_c: 3 }, now - 2 * 60 * 60 * 1000),
      stateEvent(4, { compressor: true }, now - 1000),
      alarmEvent(5, 'raised', now - 900),
    ])
    const base = `/api/sites/${DEMO.site.id}`
    const lastHour = await get(`${base}/telemetry?metric=temperature_c`)
    expect(lastHour.json().items.map((p: { value: number }) => p.value)).toEqual([5, 4])
    const window = await get(`${base}/telemetry?from=${now - 3 * 60 * 60 * 1000}&to=${now}&limit=2`)
    expect(window.json().items).toEqual([
      { time: now - 2 * 60 * 60 * 1000, deviceId: 'camara-1', metric: 'temperature_c', value: 3 },
      { time: now - 3000, deviceId: 'camara-1', metric: 'temperature_c', value: 5 },
    ])
    // The rest of the window is one cursor away, in the same order.
    const rest = await get(`${base}/telemetry?from=${now - 3 * 60 * 60 * 1000}&to=${now}&limit=2&cursor=${window.json().nextCursor}`)
    expect(rest.json()).toEqual({
      items: [
        { time: now - 2000, deviceId: 'camara-1', metric: 'humidity_pct', value: 80 },
        { time: now - 2000, deviceId: 'camara-1', metric: 'temperature_c', value: 4 },
      ],
      nextCursor: null,
    })
    const newest = (await get(`${base}/telemetry?metric=temperature_c&sort=-time&limit=1`)).json()
    expect(newest.items.map((p: { value: number }) => p.value)).toEqual([4])
    // A cursor is bound to the sort it was made under.
    const mixed = await get(`${base}/telemetry?metric=temperature_c&sort=time&cursor=${newest.nextCursor}`)
    expect(mixed.statusCode).toBe(400)
    expect(mixed.json().error.code).toBe('PAGINATION_BAD_CURSOR')
    expect((await get(`${base}/telemetry?limit=5001`)).statusCode).toBe(400)
    expect((await get(`${base}/telemetry?sort=value`)).statusCode).toBe(400)

    expect((await get(`${base}/state`)).json()).toEqual({
      items: [{ deviceId: 'camara-1', key: 'compressor', value: true, updatedAt: now - 1000, gatewayId: DEMO.gateway.id, seq: 4 }],
      nextCursor: null,
    })
    expect((await get(`${base}/state?deviceId=camara-1`)).json().items).toHaveLength(1)
    expect((await get(`${base}/state?deviceId=camara-2`)).json()).toEqual({ items: [], nextCursor: null })

    const active = (await get(`${base}/alarms`)).json().items
    expect(active).toEqual([{
      alarmId: 'camara-alta:camara-1', ruleId: 'camara-alta', deviceId: 'camara-1', severity: 'critical',
      state: 'raised', message: 'Cámara de frío sobre 5 °C por 2 minutos', value: 5.4,
      raisedAt: now - 900, updatedAt: now - 900, clearedAt: null, gatewayId: DEMO.gateway.id, seq: 5,
      acknowledgedBy: null, acknowledgedAt: null, clearedBy: null,
    }])
    expect((await get(`${base}/alarms?severity=critical&deviceId=camara-1`)).json().items).toHaveLength(1)
    expect((await get(`${base}/alarms?severity=warning`)).json().items).toEqual([])
    expect((await get(`${base}/alarms?deviceId=camara-2`)).json().items).toEqual([])
    expect((await get(`${base}/alarms?severity=loud`)).statusCode).toBe(400)
    await ingest(t.app, DEMO_KEY, DEMO.gateway.id, [alarmEvent(6, 'cleared', now - 100, 4)])
    expect((await get(`${base}/alarms?state=active`)).json().items).toEqual([])
    expect((await get(`${base}/alarms?state=all`)).json().items).toMatchObject([
      { state: 'cleared', raisedAt: now - 900, clearedAt: now - 100 },
    ])
  })
})
