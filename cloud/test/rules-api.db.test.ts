import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { addDemoGateway, addOrganization, buildTestApp, ingest, loginDemo, telemetryEvent, type TestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'
import * as rulesService from '../src/modules/rules/service.js'
import { DEMO } from '../src/seed.js'

const siteConfig = (gatewayId: string, rules: unknown[] = []) => ({
  gatewayId,
  devices: [{ id: 'camara-1', kind: 'cold-room', relays: ['compressor'] }],
  rules,
  timezone: 'America/Argentina/Buenos_Aires',
})

const hot = (over: Record<string, unknown> = {}) => ({
  id: 'camara-alta',
  when: { kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', above: 5, forSeconds: 120 },
  alarm: { severity: 'critical', message: 'Cámara sobre 5 °C por 2 minutos' },
  actions: [],
  ...over,
})

describe.each(testDrivers())('rules API on %s', (driver) => {
  let t: TestApp
  let token: string
  let baseUrl: string
  const sockets: WebSocket[] = []
  const call = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) })

  /** A gateway of the demo shop whose desired config is version 1 with `rules`. */
  const gatewayWithConfig = async (rules: unknown[] = []) => {
    const gw = await addDemoGateway(t.app)
    const res = await call('PUT', `/api/gateways/${gw.gatewayId}/config`, siteConfig(gw.gatewayId, rules))
    expect(res.statusCode, res.body).toBe(200)
    return gw
  }

  beforeAll(async () => {
    t = await buildTestApp(driver)
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    baseUrl = `127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
    token = await loginDemo(t.app)
  })
  afterAll(async () => {
    for (const ws of sockets) ws.terminate()
    await t?.close()
  })

  it('lists every condition and action kind with its JSON Schema', async () => {
    const res = await call('GET', '/api/rules/kinds')
    expect(res.statusCode).toBe(200)
    const body = res.json()
    const threshold = body.conditions.find((c: { kind: string }) => c.kind === 'threshold')
    expect(threshold.schema.properties).toMatchObject({ kind: { const: 'threshold' }, above: { type: 'number' } })
    expect(body.conditions.map((c: { kind: string }) => c.kind)).toEqual(expect.arrayContaining(['threshold', 'stale', 'schedule', 'all', 'any']))
    expect(body.actions.map((a: { kind: string }) => a.kind)).toEqual(expect.arrayContaining(['relay.set', 'alarm', 'notify']))
    expect(body.rule.properties.when).toBeDefined()
  })

  it('answers 409 RULES_NO_BASE_CONFIG while the cloud holds no config of the gateway', async () => {
    const { gatewayId } = await addDemoGateway(t.app)
    const res = await call('GET', `/api/gateways/${gatewayId}/rules`)
    expect(res.statusCode).toBe(409)
    expect(res.json().error.code).toBe('RULES_NO_BASE_CONFIG')
    const put = await call('PUT', `/api/gateways/${gatewayId}/rules/camara-alta`, hot())
    expect(put.json().error.code).toBe('RULES_NO_BASE_CONFIG')
  })

  it('starts from the config the gateway reports it runs until the cloud stores a desired version', async () => {
    const { gatewayId, gatewayKey } = await addDemoGateway(t.app)
    const ws = new WebSocket(`ws://${baseUrl}/api/gateway/channel`, { headers: { authorization: `Bearer ${gatewayKey}` } })
    sockets.push(ws)
    const received: { type: string }[] = []
    ws.on('message', (data) => received.push(JSON.parse(String(data))))
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    // No desired config to send: the cloud only asks what the gateway runs.
    await expect.poll(() => received).toEqual([{ type: 'config.request' }])
    // A report naming another gateway is not taken.
    ws.send(JSON.stringify({ type: 'config.report', running: 0, config: siteConfig('gw-otro', [hot()]) }))
    ws.send(JSON.stringify({ type: 'config.report', running: 0, config: siteConfig(gatewayId, [hot()]) }))
    await expect.poll(async () => (await call('GET', `/api/gateways/${gatewayId}/rules`)).statusCode).toBe(200)
    expect((await call('GET', `/api/gateways/${gatewayId}/rules`)).json()).toMatchObject({
      gatewayId, version: 0, source: 'reported', deviceIds: ['camara-1'], rules: [hot()],
    })

    const put = await call('PUT', `/api/gateways/${gatewayId}/rules/camara-baja?ifVersion=0`, hot({ id: 'camara-baja' }))
    expect(put.statusCode, put.body).toBe(201)
    expect(put.json().version).toBe(1)
    await expect.poll(() => received.filter((m) => m.type === 'config')).toEqual([
      { type: 'config', version: 1, config: siteConfig(gatewayId, [hot(), hot({ id: 'camara-baja' })]) },
    ])
    expect((await call('GET', `/api/gateways/${gatewayId}/rules`)).json()).toMatchObject({ version: 1, source: 'desired' })
  })

  it('names each invalid field of a rule, and accepts a valid one', async () => {
    const { gatewayId } = await gatewayWithConfig([hot()])
    const validate = (rule: unknown, create?: boolean) =>
      call('POST', `/api/gateways/${gatewayId}/rules/validate`, { rule, ...(create !== undefined ? { create } : {}) })

    const wrongType = await validate(hot({ when: { kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', above: 'cinco', forSeconds: 120 } }))
    expect(wrongType.statusCode).toBe(400)
    expect(wrongType.json().error.code).toBe('RULE_INVALID')
    expect(wrongType.json().error.details.fields).toEqual([{ path: '/when/above', message: expect.stringMatching(/number/) }])

    const both = await validate(hot({ when: { kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', above: 5, below: 1, forSeconds: 120 } }))
    expect(both.json().error.details.fields).toEqual([{ path: '/when', message: 'set exactly one of "above" or "below"' }])

    const unknownDevice = await validate(hot({ when: { kind: 'threshold', deviceId: 'camara-9', metric: 'temperature_c', above: 5, forSeconds: 120 } }))
    expect(unknownDevice.json().error.details.fields).toEqual([{ path: '/when/deviceId', message: 'unknown device "camara-9"' }])

    const noRelay = await validate(hot({ actions: [{ kind: 'relay.set', deviceId: 'camara-1', relay: 'luz', on: true }] }))
    expect(noRelay.json().error.details.fields).toEqual([{ path: '/actions/0/relay', message: 'device "camara-1" has no relay "luz"' }])

    const nothingToDo = await validate(hot({ alarm: undefined }))
    expect(nothingToDo.json().error.details.fields).toEqual([{ path: '', message: 'a rule needs at least one action or an alarm' }])

    const duplicate = await validate(hot(), true)
    expect(duplicate.json().error.details.fields).toEqual([{ path: '/id', message: 'duplicate rule id "camara-alta"' }])

    expect((await validate(hot())).json()).toEqual({ ok: true })
    expect((await validate(hot({ id: 'camara-baja' }), true)).json()).toEqual({ ok: true })
  })

  it('saves a rule as a new desired config version, pushed to the connected gateway and audited', async () => {
    const { gatewayId, gatewayKey } = await gatewayWithConfig()
    const ws = new WebSocket(`ws://${baseUrl}/api/gateway/channel`, { headers: { authorization: `Bearer ${gatewayKey}` } })
    sockets.push(ws)
    const received: { type: string; version?: number; config?: { rules: { id: string }[] } }[] = []
    ws.on('message', (data) => received.push(JSON.parse(String(data))))
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    const configs = () => received.filter((m) => m.type === 'config')
    await expect.poll(() => received.map((m) => m.type)).toEqual(['config', 'config.request'])

    const put = await call('PUT', `/api/gateways/${gatewayId}/rules/camara-alta?ifVersion=1`, hot({ id: undefined }))
    expect(put.statusCode, put.body).toBe(201)
    expect(put.json()).toEqual({ gatewayId, version: 2, rule: hot() })
    await expect.poll(() => configs().map((m) => m.version)).toEqual([1, 2])
    expect(configs()[1]!.config!.rules).toEqual([hot()])

    const config = (await call('GET', `/api/gateways/${gatewayId}/config`)).json()
    expect(config.desired).toMatchObject({ version: 2, config: { devices: siteConfig(gatewayId).devices, rules: [hot()] } })
    const rules = (await call('GET', `/api/gateways/${gatewayId}/rules`)).json()
    expect(rules).toMatchObject({ gatewayId, version: 2, timeZone: 'America/Argentina/Buenos_Aires', deviceIds: ['camara-1'], rules: [hot()] })

    const changed = hot({ description: 'más estricta', when: { ...hot().when, above: 4 } })
    const replace = await call('PUT', `/api/gateways/${gatewayId}/rules/camara-alta?ifVersion=2`, changed)
    expect(replace.statusCode).toBe(200)
    expect(replace.json().version).toBe(3)

    const trail = await t.app.db
      .selectFrom('audit_log')
      .select(['action', 'before', 'after'])
      .where('target_id', '=', gatewayId)
      .where('action', 'like', 'gateway.rule.%')
      .orderBy('id')
      .execute()
    expect(trail).toEqual([
      { action: 'gateway.rule.create', before: { version: 1, ruleId: 'camara-alta', rule: null }, after: { version: 2, ruleId: 'camara-alta', rule: hot() } },
      { action: 'gateway.rule.update', before: { version: 2, ruleId: 'camara-alta', rule: hot() }, after: { version: 3, ruleId: 'camara-alta', rule: changed } },
    ])
  })

  it('refuses a change made on a version that moved, a path id that differs, and an invalid rule', async () => {
    const { gatewayId } = await gatewayWithConfig([hot()])
    // Someone else stores version 2 meanwhile.
    expect((await call('PUT', `/api/gateways/${gatewayId}/config`, siteConfig(gatewayId, [hot()]))).json().desired.version).toBe(2)
    const stale = await call('PUT', `/api/gateways/${gatewayId}/rules/camara-alta?ifVersion=1`, hot({ description: 'x' }))
    expect(stale.statusCode).toBe(409)
    expect(stale.json().error.code).toBe('CONFIG_VERSION_CONFLICT')
    const staleDelete = await call('DELETE', `/api/gateways/${gatewayId}/rules/camara-alta?ifVersion=1`)
    expect(staleDelete.json().error.code).toBe('CONFIG_VERSION_CONFLICT')

    const otherId = await call('PUT', `/api/gateways/${gatewayId}/rules/camara-alta`, hot({ id: 'otra' }))
    expect(otherId.statusCode).toBe(400)
    expect(otherId.json().error.details.fields).toEqual([{ path: '/id', message: 'must be "camara-alta", the id in the URL' }])

    const invalid = await call('PUT', `/api/gateways/${gatewayId}/rules/camara-alta`, hot({ when: { kind: 'umbral' } }))
    expect(invalid.statusCode).toBe(400)
    expect(invalid.json().error.details.fields).toEqual([{ path: '/when/kind', message: expect.stringContaining('unknown condition kind "umbral"') }])

    // Nothing of the refused changes was stored.
    expect((await call('GET', `/api/gateways/${gatewayId}/rules`)).json()).toMatchObject({ version: 2, rules: [hot()] })
  })

  it('gives concurrent saves on the same version one winner and one conflict', async () => {
    const { gatewayId } = await gatewayWithConfig()
    const results = await Promise.all(
      ['a-1', 'b-2'].map((id) => call('PUT', `/api/gateways/${gatewayId}/rules/${id}?ifVersion=1`, hot({ id }))),
    )
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409])
    expect((await call('GET', `/api/gateways/${gatewayId}/rules`)).json().rules).toHaveLength(1)
  })

  it('deletes a rule as a new version, and answers 404 for a rule it does not have', async () => {
    const { gatewayId } = await gatewayWithConfig([hot(), hot({ id: 'camara-baja' })])
    const del = await call('DELETE', `/api/gateways/${gatewayId}/rules/camara-alta?ifVersion=1`)
    expect(del.statusCode).toBe(200)
    expect(del.json()).toEqual({ gatewayId, version: 2 })
    expect((await call('GET', `/api/gateways/${gatewayId}/rules`)).json()).toMatchObject({ version: 2, rules: [hot({ id: 'camara-baja' })] })
    const again = await call('DELETE', `/api/gateways/${gatewayId}/rules/camara-alta`)
    expect(again.statusCode).toBe(404)
    expect(again.json().error.code).toBe('RULE_NOT_FOUND')
  })

  it('dry-runs a rule over the ingested history and shows where it fires and re-arms', async () => {
    const { gatewayId, gatewayKey } = await gatewayWithConfig()
    const t0 = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000
    // One reading a minute: above 5 °C from minute 2 to 5, back to 2 °C at minute 6; another device is ignored.
    const temps = [3, 4, 6, 6, 6, 6, 2, 3]
    const events = temps.map((c, i) => telemetryEvent(i + 1, { temperature_c: c }, t0 + i * 60_000))
    const res = await ingest(t.app, gatewayKey, gatewayId, [
      ...events,
      { ...telemetryEvent(temps.length + 1, { temperature_c: 9 }, t0 + 30_000), deviceId: 'camara-2' },
    ])
    expect(res.statusCode, res.body).toBe(200)

    const dry = await call('POST', `/api/gateways/${gatewayId}/rules/dry-run`, { rule: hot(), from: t0 - 60_000, to: t0 + 600_000 })
    expect(dry.statusCode, dry.body).toBe(200)
    expect(dry.json()).toEqual({
      ruleId: 'camara-alta',
      from: t0 - 60_000,
      to: t0 + 600_000,
      timeZone: 'America/Argentina/Buenos_Aires',
      eventsReplayed: temps.length,
      truncated: false,
      transitions: [
        // Above since minute 2, held 120 s: fires on the tick at minute 4.
        { time: t0 + 240_000, transition: 'fire', deviceId: 'camara-1', value: 6 },
        { time: t0 + 360_000, transition: 'rearm', deviceId: 'camara-1', value: 2 },
      ],
    })

    // A window starting inside the excursion still fires where it would have: the warm-up saw it begin.
    const late = await call('POST', `/api/gateways/${gatewayId}/rules/dry-run`, { rule: hot(), from: t0 + 200_000, to: t0 + 600_000 })
    expect(late.json().transitions.map((x: { time: number }) => x.time)).toEqual([t0 + 240_000, t0 + 360_000])

    const invalid = await call('POST', `/api/gateways/${gatewayId}/rules/dry-run`, { rule: hot({ when: { kind: 'threshold' } }) })
    expect(invalid.statusCode).toBe(400)
    expect(invalid.json().error.code).toBe('RULE_INVALID')
    const tooLong = await call('POST', `/api/gateways/${gatewayId}/rules/dry-run`, { rule: hot(), from: 0, to: 40 * 86_400_000 })
    expect(tooLong.statusCode).toBe(400)
    expect(tooLong.json().error.code).toBe('DRYRUN_RANGE')
  })

  it('reads the history in pages, and says when it stopped reading before the end of the window', async () => {
    const { gatewayId, gatewayKey } = await gatewayWithConfig()
    const t0 = Math.floor((Date.now() - 7_200_000) / 60_000) * 60_000
    // Twenty minutes above 5 °C, then twenty back at 3 °C: fires at minute 2, re-arms at minute 20.
    const temps = Array.from({ length: 40 }, (_, i) => (i < 20 ? 6 : 3))
    // A device replaying its buffer logs old readings late: seq order is not time order.
    const events = temps.map((c, i) => telemetryEvent(i + 1, { temperature_c: c }, t0 + i * 60_000)).reverse().map((e, i) => ({ ...e, seq: i + 1 }))
    expect((await ingest(t.app, gatewayKey, gatewayId, events)).statusCode).toBe(200)
    const body = { rule: hot(), from: t0, to: t0 + 3_600_000 }

    const paged = await rulesService.dryRun(t.app.db, DEMO.organization.id, gatewayId, body, { pageRows: 7 })
    expect(paged).toMatchObject({ eventsReplayed: 40, truncated: false, transitions: [
      { time: t0 + 120_000, transition: 'fire', value: 6 },
      { time: t0 + 1_200_000, transition: 'rearm', value: 3 },
    ] })
    // The first 10 by seq are the last ten minutes: all at 3 °C, nothing to report, and no silence invented after them.
    const cut = await rulesService.dryRun(t.app.db, DEMO.organization.id, gatewayId, body, { pageRows: 4, maxEvents: 10 })
    expect(cut).toMatchObject({ eventsReplayed: 10, truncated: true, transitions: [] })
  })

  it("dry-runs a schedule in the site's time zone, with no event to replay", async () => {
    const { gatewayId } = await gatewayWithConfig()
    const from = Date.UTC(2026, 10, 2, 0, 0)
    const rule = { id: 'luces', when: { kind: 'schedule', windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '08:00', to: '09:00' }] },
      actions: [{ kind: 'relay.set', deviceId: 'camara-1', relay: 'compressor', on: true }] }
    const dry = await call('POST', `/api/gateways/${gatewayId}/rules/dry-run`, { rule, from, to: from + 86_400_000 })
    expect(dry.statusCode, dry.body).toBe(200)
    // 08:00 to 09:00 in Buenos Aires (UTC-3) is 11:00 to 12:00 UTC.
    expect(dry.json()).toMatchObject({ eventsReplayed: 0, truncated: false, transitions: [
      { time: Date.UTC(2026, 10, 2, 11, 0), transition: 'fire', deviceId: 'gateway' },
      { time: Date.UTC(2026, 10, 2, 12, 0), transition: 'rearm', deviceId: 'gateway' },
    ] })
  })

  it("answers 404 for another organization's gateway on every rules route, and stores nothing", async () => {
    const other = await addOrganization(t.app)
    const base = `/api/gateways/${other.gatewayId}`
    const responses = await Promise.all([
      call('GET', `${base}/rules`),
      call('POST', `${base}/rules/validate`, { rule: hot() }),
      call('POST', `${base}/rules/dry-run`, { rule: hot() }),
      call('PUT', `${base}/rules/camara-alta`, hot()),
      call('DELETE', `${base}/rules/camara-alta`),
    ])
    for (const res of responses) {
      expect(res.statusCode).toBe(404)
      expect(res.json().error.code).toBe('GATEWAY_NOT_FOUND')
    }
    const rows = await t.app.db.withTables<{ gateway_configs: { gateway_id: string } }>().selectFrom('gateway_configs')
      .select('gateway_id').where('gateway_id', '=', other.gatewayId).execute()
    expect(rows).toEqual([])
  })
})
