import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LogEvent } from '@tendero/protocol'
import { DEMO } from '../src/seed.js'
import { addDemoGateway, addOrganization, alarmEvent, buildTestApp, DEMO_KEY, ingest, loginDemo, stateEvent, telemetryEvent, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'

// Issue 7: the overview's `health` on GET /api/sites and the activity feed (GET /api/activity).

const BOOT_ID = '0b7c9d1e-3f7a-4c55-9a49-1f0c2f6c8a11'

function logEvent(seq: number, kind: LogEvent['kind'], deviceId: string, body: unknown, time = Date.now()): LogEvent {
  return { seq, kind, deviceId, time, receivedAt: time, bootId: BOOT_ID, monoMs: seq, clockSynced: true, body } as LogEvent
}

function syncStatus(figures: { lagEvents: number; lagSeconds: number | null; bufferDaysLeft: number | null }) {
  return JSON.stringify({
    at: Date.now(), lastSeq: 10, oldestUnsentAt: null, eventsPerDay: 1000, usedBytes: 10, maxBytes: 100,
    quarantinedTotal: 0, droppedTotal: 0, clockSynced: true, ...figures,
  })
}

interface ActivityItem { siteId: string; siteName: string; gatewayId: string; seq: number; kind: string; deviceId: string; time: number; body: Record<string, unknown> }

describe.each(testDrivers())('overview and activity (%s)', (driver) => {
  let t: TestApp
  let token: string
  let other: Awaited<ReturnType<typeof addOrganization>>
  let second: Awaited<ReturnType<typeof addDemoGateway>>
  const t0 = Date.now() - 60_000
  const get = (url: string, query: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, query, headers: { authorization: `Bearer ${token}` } })

  beforeAll(async () => {
    t = await buildTestApp(driver)
    token = await loginDemo(t.app)
    second = await addDemoGateway(t.app)
    other = await addOrganization(t.app)
    // The demo site: a critical alarm raised and a warning acknowledged, a relay change, a
    // door opening, a command with its answer, and telemetry (not activity).
    const warning = { ...alarmEvent(5, 'acknowledged', t0 + 5000), body: { ...alarmEvent(5, 'acknowledged').body, alarmId: 'puerta:camara-1', ruleId: 'puerta', severity: 'warning', by: 'cloud:demo@tendero.app' } }
    const demo = await ingest(t.app, DEMO_KEY, DEMO.gateway.id, [
      telemetryEvent(1, { temperature_c: 6.2 }, t0),
      stateEvent(2, { compressor: true }, t0 + 1000),
      alarmEvent(3, 'raised', t0 + 2000),
      logEvent(4, 'access', 'puerta-1', { cardId: 'AB12CD34', doorId: 'puerta-1', allow: true, reason: 'allowed', holder: 'Ana' }, t0 + 3000),
      { ...warning, body: { ...warning.body } },
      logEvent(6, 'command', 'camara-1', { id: 'cmd-1', issuedAt: t0, expiresAt: t0 + 60_000, kind: 'relay.set', relay: 'compressor', on: false }, t0 + 6000),
      logEvent(7, 'ack', 'camara-1', { id: 'cmd-1', ok: true }, t0 + 7000),
    ])
    expect(demo.statusCode, demo.body).toBe(200)
    expect(demo.json().quarantined).toEqual([])
    // Another organization's site: its events and alarms must never reach the demo's lists.
    const foreign = await ingest(t.app, other.gatewayKey, other.gatewayId, [
      { ...stateEvent(1, { compressor: false }, t0 + 8000) },
      { ...alarmEvent(2, 'raised', t0 + 9000) },
    ])
    expect(foreign.statusCode, foreign.body).toBe(200)
    // Two gateways' sync reports on the demo site: the worst of each figure wins.
    await t.app.db.updateTable('gateways').set({ sync_status: syncStatus({ lagEvents: 4, lagSeconds: 12, bufferDaysLeft: 9.5 }), sync_status_at: new Date() })
      .where('id', '=', DEMO.gateway.id).execute()
    await t.app.db.updateTable('gateways').set({ sync_status: syncStatus({ lagEvents: 30, lagSeconds: 3, bufferDaysLeft: 1.5 }), sync_status_at: new Date() })
      .where('id', '=', second.gatewayId).execute()
  })

  afterAll(async () => {
    t.app.gatewayPresence.clear()
    await t?.close()
  })

  const demoSite = async () => {
    const res = await get('/api/sites')
    expect(res.statusCode, res.body).toBe(200)
    return res.json().items.find((s: { id: string }) => s.id === DEMO.site.id)
  }

  it('gives each site its health in the site list', async () => {
    t.app.gatewayPresence.set(DEMO.gateway.id, true)
    const site = await demoSite()
    expect(site.health).toMatchObject({
      online: false,
      gatewaysOnline: 1,
      gatewaysTotal: 2,
      lagSeconds: 12,
      lagEvents: 34,
      bufferDaysLeft: 1.5,
      activeAlarms: { total: 2, critical: 1, warning: 1, info: 0, emergency: 0 },
    })
    expect(site.health.lastContactAt).toBeGreaterThan(Date.now() - 60_000)
    t.app.gatewayPresence.set(second.gatewayId, true)
    expect((await demoSite()).health).toMatchObject({ online: true, gatewaysOnline: 2 })
  })

  it('counts only active alarms, and follows a clear', async () => {
    const cleared = await ingest(t.app, DEMO_KEY, DEMO.gateway.id, [alarmEvent(8, 'cleared', t0 + 10_000)])
    expect(cleared.statusCode, cleared.body).toBe(200)
    expect((await demoSite()).health.activeAlarms).toEqual({ total: 1, emergency: 0, critical: 0, warning: 1, info: 0 })
  })

  it('keeps the page convention with health on every item', async () => {
    await t.app.db.insertInto('sites').values({ id: randomUUID(), org_id: DEMO.organization.id, name: 'Almacén vacío', timezone: 'UTC' }).execute()
    const first = (await get('/api/sites', { limit: '1' })).json()
    expect(first.items).toHaveLength(1)
    expect(first.items[0].name).toBe('Almacén vacío')
    expect(first.items[0].health).toEqual({
      online: false, gatewaysOnline: 0, gatewaysTotal: 0, lagSeconds: null, lagEvents: 0, bufferDaysLeft: null, lastContactAt: null,
      activeAlarms: { total: 0, emergency: 0, critical: 0, warning: 0, info: 0 },
    })
    const rest = (await get('/api/sites', { limit: '1', cursor: first.nextCursor })).json()
    expect(rest.items.map((s: { id: string }) => s.id)).toEqual([DEMO.site.id])
    expect(rest.nextCursor).toBeNull()
  })

  it('lists the activity of its own sites, newest first, without telemetry', async () => {
    const res = await get('/api/activity')
    expect(res.statusCode, res.body).toBe(200)
    const items = res.json().items as ActivityItem[]
    expect(items.map((i) => [i.kind, i.seq])).toEqual([
      ['alarm', 8], ['ack', 7], ['command', 6], ['alarm', 5], ['access', 4], ['alarm', 3], ['state', 2],
    ])
    expect(items.every((i) => i.siteId === DEMO.site.id && i.siteName === DEMO.site.name && i.gatewayId === DEMO.gateway.id)).toBe(true)
    expect(items.find((i) => i.kind === 'access')?.body).toMatchObject({ doorId: 'puerta-1', holder: 'Ana', allow: true })
    expect(items.find((i) => i.seq === 3)).toMatchObject({ deviceId: 'camara-1', time: t0 + 2000, body: { state: 'raised', severity: 'critical' } })
  })

  it('filters by kind and site, and pages with a cursor', async () => {
    const commands = (await get('/api/activity', { kind: 'command' })).json().items as ActivityItem[]
    expect(commands.map((i) => i.kind)).toEqual(['ack', 'command'])
    expect(((await get('/api/activity', { kind: 'state', siteId: DEMO.site.id })).json().items as ActivityItem[]).map((i) => i.seq)).toEqual([2])
    const seen: number[] = []
    let cursor: string | null = null
    do {
      const page: { items: ActivityItem[]; nextCursor: string | null } = (await get('/api/activity', { limit: '3', ...(cursor ? { cursor } : {}) })).json()
      expect(page.items.length).toBeLessThanOrEqual(3)
      seen.push(...page.items.map((i) => i.seq))
      cursor = page.nextCursor
    } while (cursor)
    expect(seen).toEqual([8, 7, 6, 5, 4, 3, 2])
    expect((await get('/api/activity', { cursor: 'bm9wZQ' })).statusCode).toBe(400)
    expect((await get('/api/activity', { kind: 'telemetry' })).statusCode).toBe(400)
  })

  it('never shows another organization\'s site or events', async () => {
    expect((await get('/api/activity', { siteId: other.siteId })).statusCode).toBe(404)
    const all = (await get('/api/activity', { limit: '500' })).json().items as ActivityItem[]
    expect(all.some((i) => i.siteId === other.siteId || i.gatewayId === other.gatewayId)).toBe(false)
    const sites = (await get('/api/sites')).json().items as { id: string }[]
    expect(sites.map((s) => s.id)).not.toContain(other.siteId)
  })

  it('shows a granted site by its grant: state with sites.read, alarms only with alarms.read', async () => {
    const grantId = randomUUID()
    await t.app.db.insertInto('org_grants')
      .values({ id: grantId, grantor_org_id: other.orgId, grantee_org_id: DEMO.organization.id, site_id: other.siteId, scopes: ['sites.read'] })
      .execute()
    const granted = (await get('/api/activity', { siteId: other.siteId })).json().items as ActivityItem[]
    expect(granted.map((i) => i.kind)).toEqual(['state'])
    const site = ((await get('/api/sites')).json().items as { id: string; health: { activeAlarms: unknown } }[]).find((s) => s.id === other.siteId)
    expect(site?.health.activeAlarms).toBeNull()

    await t.app.db.updateTable('org_grants').set({ scopes: ['sites.read', 'alarms.read'] }).where('id', '=', grantId).execute()
    expect(((await get('/api/activity', { siteId: other.siteId })).json().items as ActivityItem[]).map((i) => i.kind)).toEqual(['alarm', 'state'])
    const withAlarms = ((await get('/api/sites')).json().items as { id: string; health: { activeAlarms: { total: number } } }[]).find((s) => s.id === other.siteId)
    expect(withAlarms?.health.activeAlarms.total).toBe(1)

    await t.app.db.updateTable('org_grants').set({ revoked_at: new Date() }).where('id', '=', grantId).execute()
    expect((await get('/api/activity', { siteId: other.siteId })).statusCode).toBe(404)
    expect(((await get('/api/activity', { limit: '500' })).json().items as ActivityItem[]).some((i) => i.siteId === other.siteId)).toBe(false)
  })
})
