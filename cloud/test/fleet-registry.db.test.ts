import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import type { SyncStatus } from '@tendero/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { onGatewayMessage } from '../src/modules/fleet/service.js'
import { DEMO } from '../src/seed.js'
import { addDemoGateway, addOrganization, buildTestApp, loginDemo, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'

const relayOn = { kind: 'relay.set', relay: 'compressor', on: true } as const

const status = (overrides: Partial<SyncStatus> = {}): SyncStatus => ({
  at: Date.now() - 1000, lastSeq: 50, lagEvents: 7, lagSeconds: 12.5, oldestUnsentAt: Date.now() - 12_500, eventsPerDay: 1000,
  bufferDaysLeft: 30, usedBytes: 1000, maxBytes: 100_000, quarantinedTotal: 0, droppedTotal: 0, clockSynced: true, ...overrides,
})

describe.each(testDrivers())('fleet registry, status and idempotent commands on %s', (driver) => {
  let t: TestApp
  let token: string
  let baseUrl: string
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT', url: string, payload?: object, headers: Record<string, string> = {}) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...headers }, ...(payload ? { payload } : {}) })
  const audit = (action: string) => t.app.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute()
  const commandsOf = (gatewayId: string) =>
    t.app.db.withTables<{ cloud_commands: { id: string; gateway_id: string } }>().selectFrom('cloud_commands').select('id').where('gateway_id', '=', gatewayId).execute()

  beforeAll(async () => {
    t = await buildTestApp(driver)
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    baseUrl = `127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
    token = await loginDemo(t.app)
  })
  afterAll(async () => {
    await t?.close()
  })

  describe('device registry', () => {
    it('creates, lists in pages, reads, renames and deletes devices, auditing each change', async () => {
      const { gatewayId } = await addDemoGateway(t.app)
      const base = `/api/gateways/${gatewayId}/devices`
      for (const id of ['heladera-3', 'camara-2', 'puerta-1']) {
        const res = await call('POST', base, { id, name: `Equipo ${id}`, kind: 'cold_room' })
        expect(res.statusCode).toBe(201)
        expect(res.json()).toEqual({ id, gatewayId, siteId: DEMO.site.id, name: `Equipo ${id}`, kind: 'cold_room', coldBand: null })
      }
      const first = (await call('GET', `${base}?limit=2`)).json()
      expect(first.items.map((d: { id: string }) => d.id)).toEqual(['camara-2', 'heladera-3'])
      expect(first.nextCursor).toEqual(expect.any(String))
      const second = (await call('GET', `${base}?limit=2&cursor=${first.nextCursor}`)).json()
      expect(second).toEqual({ items: [expect.objectContaining({ id: 'puerta-1' })], nextCursor: null })

      const renamed = await call('PATCH', `${base}/camara-2`, { name: 'Cámara de carnes' })
      expect(renamed.statusCode).toBe(200)
      expect(renamed.json()).toMatchObject({ id: 'camara-2', name: 'Cámara de carnes', kind: 'cold_room' })
      expect((await call('GET', `${base}/camara-2`)).json().name).toBe('Cámara de carnes')
      const update = (await audit('device.update')).find((e) => e.target_id === `${gatewayId}/camara-2`)
      expect(update).toMatchObject({ actor_type: 'user', org_id: DEMO.organization.id })
      expect(update!.before).toMatchObject({ name: 'Equipo camara-2' })
      expect(update!.after).toMatchObject({ name: 'Cámara de carnes' })

      expect((await call('DELETE', `${base}/puerta-1`)).statusCode).toBe(204)
      expect((await call('GET', `${base}/puerta-1`)).json().error.code).toBe('DEVICE_NOT_FOUND')
      expect((await call('DELETE', `${base}/puerta-1`)).statusCode).toBe(404)
      expect((await audit('device.create')).filter((e) => e.target_id?.startsWith(`${gatewayId}/`))).toHaveLength(3)
      expect((await audit('device.delete')).filter((e) => e.target_id === `${gatewayId}/puerta-1`)).toHaveLength(1)
      // The site detail lists what the registry holds.
      const site = (await call('GET', `/api/sites/${DEMO.site.id}`)).json()
      expect(site.devices.filter((d: { gatewayId: string }) => d.gatewayId === gatewayId).map((d: { id: string }) => d.id)).toEqual(['camara-2', 'heladera-3'])
    })

    it('refuses a duplicate id (409), a bad id or kind (400) and an empty patch (400)', async () => {
      const { gatewayId } = await addDemoGateway(t.app)
      const base = `/api/gateways/${gatewayId}/devices`
      await call('POST', base, { id: 'camara-1', name: 'Cámara', kind: 'cold_room' })
      const dup = await call('POST', base, { id: 'camara-1', name: 'Otra', kind: 'cold_room' })
      expect(dup.statusCode).toBe(409)
      expect(dup.json().error.code).toBe('DEVICE_EXISTS')
      expect((await call('POST', base, { id: 'Cámara 1', name: 'x', kind: 'cold_room' })).statusCode).toBe(400)
      expect((await call('POST', base, { id: 'c-2', name: 'x', kind: 'Cold Room' })).statusCode).toBe(400)
      expect((await call('PATCH', `${base}/camara-1`, {})).statusCode).toBe(400)
      expect((await call('PATCH', `${base}/nope`, { name: 'x' })).json().error.code).toBe('DEVICE_NOT_FOUND')
    })

    it("answers 404 for an unknown or another organization's gateway, changing nothing", async () => {
      const other = await addOrganization(t.app)
      await t.app.db.insertInto('devices').values({ id: 'suyo', gateway_id: other.gatewayId, site_id: other.siteId, name: 'Suyo', kind: 'cold_room' }).execute()
      for (const gatewayId of [other.gatewayId, 'gw-nadie']) {
        const base = `/api/gateways/${gatewayId}/devices`
        const responses = await Promise.all([
          call('GET', base),
          call('GET', `${base}/suyo`),
          call('POST', base, { id: 'intruso', name: 'x', kind: 'cold_room' }),
          call('PATCH', `${base}/suyo`, { name: 'hackeado' }),
          call('DELETE', `${base}/suyo`),
        ])
        for (const res of responses) expect(res.json().error.code).toBe('GATEWAY_NOT_FOUND')
      }
      const theirs = await t.app.db.selectFrom('devices').selectAll().where('gateway_id', '=', other.gatewayId).execute()
      expect(theirs).toEqual([{ id: 'suyo', gateway_id: other.gatewayId, site_id: other.siteId, name: 'Suyo', kind: 'cold_room', cold_band_min_c: null, cold_band_max_c: null }])
    })

    it('lets an owner read the registry but not change it (fleet.config)', async () => {
      const { gatewayId } = await addDemoGateway(t.app)
      const owner = await t.app.userTokens.sign({ id: randomUUID(), orgId: DEMO.organization.id, role: 'owner' })
      const as = (method: 'GET' | 'POST', payload?: object) =>
        t.app.inject({ method, url: `/api/gateways/${gatewayId}/devices`, headers: { authorization: `Bearer ${owner}` }, ...(payload ? { payload } : {}) })
      expect((await as('GET')).statusCode).toBe(200)
      expect((await as('POST', { id: 'x', name: 'x', kind: 'cold_room' })).statusCode).toBe(403)
    })
  })

  describe('commands', () => {
    it('sends one command for a retried POST with the same Idempotency-Key, returning the same body', async () => {
      const { gatewayId } = await addDemoGateway(t.app)
      const body = { deviceId: 'camara-1', command: relayOn, expiresInSeconds: 60 }
      const key = { 'idempotency-key': `cmd-${randomUUID()}` }
      const first = await call('POST', `/api/gateways/${gatewayId}/commands`, body, key)
      const retry = await call('POST', `/api/gateways/${gatewayId}/commands`, body, key)
      expect(first.statusCode).toBe(201)
      expect(retry.statusCode).toBe(201)
      expect(retry.json()).toEqual(first.json())
      expect(retry.headers['idempotent-replayed']).toBe('true')
      expect(await commandsOf(gatewayId)).toEqual([{ id: first.json().id }])
      const entries = (await audit('gateway.command.create')).filter((e) => e.target_id === first.json().id)
      expect(entries).toHaveLength(1)
      expect(entries[0]).toMatchObject({ actor_type: 'user', org_id: DEMO.organization.id })

      const different = await call('POST', `/api/gateways/${gatewayId}/commands`, { ...body, expiresInSeconds: 30 }, key)
      expect(different.statusCode).toBe(422)
      expect(different.json().error.code).toBe('IDEMPOTENCY_KEY_REUSED')
      expect(await commandsOf(gatewayId)).toHaveLength(1)

      // Without a key, each POST is its own command.
      await call('POST', `/api/gateways/${gatewayId}/commands`, body)
      await call('POST', `/api/gateways/${gatewayId}/commands`, body)
      expect(await commandsOf(gatewayId)).toHaveLength(3)
    })

    it('sends a command down an open channel once, however often the POST is retried', async () => {
      const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
      const ws = new WebSocket(`ws://${baseUrl}/api/gateway/channel`, { headers: { authorization: `Bearer ${gatewayKey}` } })
      const received: { type: string }[] = []
      ws.on('message', (data) => received.push(JSON.parse(String(data))))
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
      try {
        await waitFor(() => t.app.gatewayPresence.isOnline(gatewayId))
        const body = { deviceId: 'camara-1', command: relayOn, expiresInSeconds: 60 }
        const key = { 'idempotency-key': `cmd-${randomUUID()}` }
        const results = []
        for (let i = 0; i < 3; i++) results.push(await call('POST', `/api/gateways/${gatewayId}/commands`, body, key))
        expect(new Set(results.map((r) => r.json().id)).size).toBe(1)
        expect(results[0]!.json().status).toBe('sent')
        await new Promise((r) => setTimeout(r, 200))
        expect(received.filter((m) => m.type === 'command')).toHaveLength(1)
      } finally {
        ws.close()
      }
    })
  })

  describe('gateway status', () => {
    it('lists the organization\'s gateways with online, lag and config versions, in pages', async () => {
      const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
      await onGatewayMessage(t.app.db, gatewayId, { type: 'sync.status', status: status() })
      await call('PUT', `/api/gateways/${gatewayId}/config`, { gatewayId, devices: [], rules: [], timezone: 'UTC' })
      await call('PUT', `/api/gateways/${gatewayId}/config`, { gatewayId, devices: [], rules: [], timezone: 'UTC' })
      await onGatewayMessage(t.app.db, gatewayId, { type: 'config.status', version: 1, ok: true, running: 1 })

      const offline = (await call('GET', `/api/gateways/${gatewayId}`)).json()
      expect(offline).toMatchObject({
        id: gatewayId, siteId: DEMO.site.id, online: false, lastContactAt: expect.any(Number), lagEvents: 7, lagSeconds: 12.5,
        config: { desiredVersion: 2, reportedVersion: 1, upToDate: false, error: null },
      })

      const ws = new WebSocket(`ws://${baseUrl}/api/gateway/channel`, { headers: { authorization: `Bearer ${gatewayKey}` } })
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
      try {
        await waitFor(() => t.app.gatewayPresence.isOnline(gatewayId))
        expect((await call('GET', `/api/gateways/${gatewayId}`)).json().online).toBe(true)
      } finally {
        ws.close()
      }

      const all: { id: string; siteId: string }[] = []
      let cursor: string | null = null
      do {
        const page: { items: { id: string; siteId: string }[]; nextCursor: string | null } =
          (await call('GET', `/api/gateways?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json()
        expect(page.items.length).toBeLessThanOrEqual(2)
        all.push(...page.items)
        cursor = page.nextCursor
      } while (cursor)
      const ids = all.map((g) => g.id)
      expect(ids).toEqual([...ids].sort())
      expect(new Set(ids).size).toBe(ids.length)
      expect(ids).toContain(gatewayId)
      expect(ids).toContain(DEMO.gateway.id)
      expect(all.every((g) => g.siteId === DEMO.site.id)).toBe(true)
    })

    it("keeps other organizations' gateways out: 404 on detail, absent from lists, 404 for their site filter", async () => {
      const other = await addOrganization(t.app)
      expect((await call('GET', `/api/gateways/${other.gatewayId}`)).json().error.code).toBe('GATEWAY_NOT_FOUND')
      const list = (await call('GET', '/api/gateways?limit=500')).json()
      expect(list.items.map((g: { id: string }) => g.id)).not.toContain(other.gatewayId)
      expect((await call('GET', `/api/gateways?siteId=${other.siteId}`)).json().error.code).toBe('SITE_NOT_FOUND')
      const mine = (await call('GET', `/api/gateways?siteId=${DEMO.site.id}`)).json()
      expect(mine.items.length).toBeGreaterThan(0)
      expect((await call('GET', '/api/gateways?cursor=not-ours')).json().error.code).toBe('PAGINATION_BAD_CURSOR')
    })
  })
})

async function waitFor(probe: () => unknown, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('waitFor: timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}
