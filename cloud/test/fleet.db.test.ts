import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { onConnect, onGatewayMessage } from '../src/modules/fleet/service.js'
import { addDemoGateway, addOrganization, buildTestApp, loginDemo, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'

const siteConfig = (gatewayId: string, rules: unknown[] = []) => ({ gatewayId, devices: [], rules, timezone: 'UTC' })

describe.each(testDrivers())('fleet (desired config, cloud commands) on %s', (driver) => {
  let t: TestApp
  let token: string
  const call = (method: 'GET' | 'PUT' | 'POST', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) })

  beforeAll(async () => {
    t = await buildTestApp(driver)
    token = await loginDemo(t.app)
  })
  afterAll(async () => {
    await t?.close()
  })

  it('numbers desired config versions 1, 2, 3 per gateway and returns the latest', async () => {
    const { gatewayId } = await addDemoGateway(t.app)
    expect((await call('GET', `/api/gateways/${gatewayId}/config`)).json()).toEqual({
      gatewayId, desired: null, reported: { version: 0, at: null, error: null },
    })
    for (const expected of [1, 2, 3]) {
      const res = await call('PUT', `/api/gateways/${gatewayId}/config`, siteConfig(gatewayId, [{ n: expected }]))
      expect(res.statusCode).toBe(200)
      expect(res.json().desired).toMatchObject({ version: expected, config: { rules: [{ n: expected }] } })
    }
    const other = await addDemoGateway(t.app)
    const first = await call('PUT', `/api/gateways/${other.gatewayId}/config`, siteConfig(other.gatewayId))
    expect(first.json().desired.version).toBe(1)
  })

  it('gives concurrent PUTs consecutive versions, each answered with its own', async () => {
    const { gatewayId } = await addDemoGateway(t.app)
    const results = await Promise.all([1, 2, 3].map(() => call('PUT', `/api/gateways/${gatewayId}/config`, siteConfig(gatewayId))))
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200])
    expect(results.map((r) => r.json().desired.version).sort()).toEqual([1, 2, 3])
  })

  it('refuses a config of the wrong shape or for another gateway id with 400', async () => {
    const { gatewayId } = await addDemoGateway(t.app)
    const noRules = await call('PUT', `/api/gateways/${gatewayId}/config`, { gatewayId, devices: [] })
    expect(noRules.statusCode).toBe(400)
    expect(noRules.json().error.code).toBe('VALIDATION')
    const mismatch = await call('PUT', `/api/gateways/${gatewayId}/config`, siteConfig('gw-someone-else'))
    expect(mismatch.statusCode).toBe(400)
    expect(mismatch.json().error.code).toBe('CONFIG_GATEWAY_MISMATCH')
  })

  it("answers 404 for another organization's gateway on every route", async () => {
    const other = await addOrganization(t.app)
    const base = `/api/gateways/${other.gatewayId}`
    const responses = await Promise.all([
      call('GET', `${base}/config`),
      call('PUT', `${base}/config`, siteConfig(other.gatewayId)),
      call('POST', `${base}/commands`, { deviceId: 'camara-1', command: { kind: 'relay.set', relay: 'compressor', on: true }, expiresInSeconds: 60 }),
      call('GET', `${base}/commands/00000000-0000-4000-8000-000000000000`),
    ])
    for (const res of responses) {
      expect(res.statusCode).toBe(404)
      expect(res.json().error.code).toBe('GATEWAY_NOT_FOUND')
    }
    const rows = await t.app.db.withTables<{ gateway_configs: { gateway_id: string } }>().selectFrom('gateway_configs')
      .select('gateway_id').where('gateway_id', '=', other.gatewayId).execute()
    expect(rows).toEqual([])
  })

  it('takes a command from pending to sent on connect to acked on the gateway answer', async () => {
    const { gatewayId } = await addDemoGateway(t.app)
    const created = await call('POST', `/api/gateways/${gatewayId}/commands`, {
      deviceId: 'camara-1', command: { kind: 'relay.set', relay: 'compressor', on: true }, expiresInSeconds: 60,
    })
    expect(created.statusCode).toBe(201)
    const command = created.json()
    expect(command).toMatchObject({ gatewayId, deviceId: 'camara-1', status: 'pending', result: null, sentAt: null })
    expect(command.expiresAt - command.createdAt).toBeGreaterThanOrEqual(59_000)

    const messages = await onConnect(t.app.db, gatewayId)
    expect(messages).toEqual([
      { type: 'command', id: command.id, deviceId: 'camara-1', issuedAt: command.createdAt, expiresAt: command.expiresAt,
        command: { kind: 'relay.set', relay: 'compressor', on: true } },
    ])
    expect((await call('GET', `/api/gateways/${gatewayId}/commands/${command.id}`)).json().status).toBe('sent')

    await onGatewayMessage(t.app.db, gatewayId, { type: 'command.ack', id: command.id, ok: true })
    // A late duplicate answer cannot rewrite the final status.
    await onGatewayMessage(t.app.db, gatewayId, { type: 'command.ack', id: command.id, ok: false, error: 'expired' })
    const done = (await call('GET', `/api/gateways/${gatewayId}/commands/${command.id}`)).json()
    expect(done).toMatchObject({ status: 'acked', result: null, doneAt: expect.any(Number) })
    expect(await onConnect(t.app.db, gatewayId)).toEqual([])
  })

  it('marks a command expired, and never sends it, once its expiry passes unanswered', async () => {
    const { gatewayId } = await addDemoGateway(t.app)
    const created = (await call('POST', `/api/gateways/${gatewayId}/commands`, {
      deviceId: 'camara-1', command: { kind: 'relay.set', relay: 'compressor', on: false }, expiresInSeconds: 5,
    })).json()
    expect(await onConnect(t.app.db, gatewayId, created.expiresAt + 1)).toEqual([])
    const view = (await call('GET', `/api/gateways/${gatewayId}/commands/${created.id}`)).json()
    expect(view).toMatchObject({ status: 'expired', sentAt: null })
  })

  it("records the gateway's config verdict: the version it runs and why it refused one", async () => {
    const { gatewayId } = await addDemoGateway(t.app)
    await call('PUT', `/api/gateways/${gatewayId}/config`, siteConfig(gatewayId))
    await call('PUT', `/api/gateways/${gatewayId}/config`, siteConfig(gatewayId))
    await onGatewayMessage(t.app.db, gatewayId, { type: 'config.status', version: 1, ok: true, running: 1 })
    await onGatewayMessage(t.app.db, gatewayId, { type: 'config.status', version: 2, ok: false, running: 1, reason: '/rules/0: bad' })
    const view = (await call('GET', `/api/gateways/${gatewayId}/config`)).json()
    expect(view.desired.version).toBe(2)
    expect(view.reported).toEqual({ version: 1, at: expect.any(Number), error: { version: 2, reason: '/rules/0: bad' } })
  })
})
