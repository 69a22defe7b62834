import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { deviceTopic } from '@tendero/protocol'
import { buildGateway } from '../src/gateway.js'
import { isGatewayError } from '../src/errors.js'
import { DEMO_DEVICE, testConfig, testSite, waitFor } from './harness.js'
import { ENV_TOKEN, startApiGateway, type ApiTestGateway } from './api-harness.js'

let t: ApiTestGateway | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

const hot = (over: Record<string, unknown> = {}) => ({
  id: 'camara-muy-alta',
  when: { kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', above: 30, forSeconds: 0 },
  alarm: { severity: 'emergency', message: 'Cámara sobre 30 °C / Cold room above 30 °C' },
  actions: [],
  ...over,
})

describe('local API rules', () => {
  it('creates, reads, replaces and deletes a rule, persisting each change to rules.json', async () => {
    t = await startApiGateway()
    const initial = await t.api('GET', '/api/rules')
    expect(initial.body).toMatchObject({ source: 'site-config', savedAt: null })
    expect(initial.body.rules.map((r: { id: string }) => r.id)).toEqual(['camara-alta', 'camara-baja'])
    const file = join(t.dir, 'rules.json')
    expect(existsSync(file)).toBe(false)

    expect(await t.api('POST', '/api/rules', hot())).toMatchObject({ status: 201, body: { id: 'camara-muy-alta' } })
    const listed = await t.api('GET', '/api/rules')
    expect(listed.body.source).toBe('api')
    expect(listed.body.rules.map((r: { id: string }) => r.id)).toEqual(['camara-alta', 'camara-baja', 'camara-muy-alta'])
    expect(JSON.parse(readFileSync(file, 'utf8')).rules).toHaveLength(3)

    const changed = hot({ description: 'más alta', when: { ...hot().when, above: 35 } })
    expect(await t.api('PUT', '/api/rules/camara-muy-alta', changed)).toMatchObject({ status: 200, body: { when: { above: 35 } } })
    expect((await t.api('GET', '/api/rules/camara-muy-alta')).body).toMatchObject({ description: 'más alta', when: { above: 35 } })

    expect((await t.api('DELETE', '/api/rules/camara-baja')).status).toBe(204)
    expect(await t.api('GET', '/api/rules/camara-baja')).toMatchObject({ status: 404, body: { error: { code: 'RULE_ERR_NOT_FOUND' } } })
    expect(JSON.parse(readFileSync(file, 'utf8')).rules.map((r: { id: string }) => r.id)).toEqual(['camara-alta', 'camara-muy-alta'])
    expect(existsSync(`${file}.tmp`)).toBe(false)
  })

  it('refuses an invalid rule with a 400 naming the path of the bad field', async () => {
    t = await startApiGateway()
    const cases: [unknown, string][] = [
      [hot({ when: { ...hot().when, forSeconds: '120' } }), '/when/forSeconds'],
      [hot({ when: { ...hot().when, forSeconds: -1 } }), '/when/forSeconds'],
      [hot({ when: { ...hot().when, deviceId: 'camara-9' } }), '/when/deviceId'],
      [hot({ actions: [{ kind: 'relay.set', deviceId: 'camara-1', relay: 'horno', on: true }] }), '/actions/0/relay'],
      [hot({ actions: [{ kind: 'relay.set', deviceId: 'nadie', relay: 'compressor', on: true }] }), '/actions/0/deviceId'],
      [hot({ alarm: { severity: 'apocalyptic', message: 'x' } }), '/alarm/severity'],
      [hot({ id: 'Bad Id' }), '/id'],
      [hot({ colour: 'red' }), '/colour'],
      [{ id: 'sin-when', actions: [] }, '/when'],
      // The condition's own validator names only the object holding an unknown field.
      [hot({ when: { ...hot().when, colour: 'red' } }), '/when'],
      [hot({ when: { kind: 'all', conditions: [{ kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', above: 1, forSeconds: 'x' }] } }), '/when/conditions/0/forSeconds'],
    ]
    for (const [body, path] of cases) {
      const res = await t.api('POST', '/api/rules', body)
      expect({ status: res.status, path: res.body.error.path }).toEqual({ status: 400, path })
      expect(res.body.error.message).toContain(path)
    }
    const severity = await t.api('POST', '/api/rules', hot({ alarm: { severity: 'apocalyptic', message: 'x' } }))
    expect(severity.body.error.message).toBe('/alarm/severity: must be one of "info", "warning", "critical", "emergency"')
    expect((await t.api('GET', '/api/rules')).body.rules).toHaveLength(2)
    expect(existsSync(join(t.dir, 'rules.json'))).toBe(false)

    expect(await t.api('POST', '/api/rules', hot({ id: 'camara-alta' }))).toMatchObject({ status: 409, body: { error: { code: 'RULE_ERR_EXISTS' } } })
    expect(await t.api('PUT', '/api/rules/camara-alta', hot())).toMatchObject({ status: 400, body: { error: { path: '/id' } } })
    expect((await t.api('PUT', '/api/rules/no-existe', hot({ id: 'no-existe' }))).status).toBe(404)
    expect((await t.api('DELETE', '/api/rules/no-existe')).status).toBe(404)
  })

  it('applies a new rule to the running engine and keeps the others running', async () => {
    t = await startApiGateway()
    expect((await t.api('POST', '/api/rules', hot())).status).toBe(201)
    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    await device.publishAsync(deviceTopic(DEMO_DEVICE.id, 'telemetry'), JSON.stringify({ readings: { temperature_c: 31 } }), { qos: 1 })
    const alarm = await waitFor(() => t!.gw.alarms.get('camara-muy-alta:camara-1'))
    expect(alarm).toMatchObject({ severity: 'emergency', state: 'raised', value: 31 })
    // Removing it leaves its active alarm for a person to clear, and the engine no longer runs it.
    expect((await t.api('DELETE', '/api/rules/camara-muy-alta')).status).toBe(204)
    expect(Object.keys(t.gw.rules.state.rules)).toEqual(['camara-alta', 'camara-baja'])
  })

  it('keeps the timers of unchanged rules when the rule set changes', async () => {
    let clock = Date.now()
    t = await startApiGateway({ gateway: { now: () => clock, rulesTickMs: 3_600_000 } })
    const device = await t.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    await device.publishAsync(deviceTopic(DEMO_DEVICE.id, 'telemetry'), JSON.stringify({ readings: { temperature_c: 6 } }), { qos: 1 })
    clock += 100_000
    expect((await t.api('POST', '/api/rules', hot())).status).toBe(201)
    // camara-alta has held 6 °C for 100 s; 20 s more on the new engine completes its 120 s.
    clock += 20_000
    t.gw.rules.tick()
    await waitFor(() => t!.gw.alarms.get('camara-alta:camara-1'))
  })

  it('runs the saved rule set after a restart; a rules file that no longer fits the site stops the boot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tendero-api-rules-'))
    try {
      const site = await testSite()
      const config = testConfig(site, dir, { api: { host: '127.0.0.1', port: 0, token: ENV_TOKEN } })
      const logger = pino({ level: 'silent' })
      const auth = { authorization: `Bearer ${ENV_TOKEN}` }
      let gw = buildGateway(config, { logger })
      expect((await gw.api.inject({ method: 'POST', url: '/api/rules', headers: auth, payload: hot() })).statusCode).toBe(201)
      expect((await gw.api.inject({ method: 'DELETE', url: '/api/rules/camara-baja', headers: auth })).statusCode).toBe(204)
      await gw.stop()

      gw = buildGateway(config, { logger })
      const res = await gw.api.inject({ method: 'GET', url: '/api/rules', headers: auth })
      expect(res.json()).toMatchObject({ source: 'api', rules: [{ id: 'camara-alta' }, { id: 'camara-muy-alta' }] })
      expect(Object.keys(gw.rules.state.rules)).toEqual(['camara-alta', 'camara-muy-alta'])
      await gw.stop()

      const file = join(dir, 'rules.json')
      const saved = JSON.parse(readFileSync(file, 'utf8'))
      saved.rules[1].when.deviceId = 'camara-borrada'
      writeFileSync(file, JSON.stringify(saved))
      let error: unknown
      try {
        buildGateway(config, { logger })
      } catch (err) {
        error = err
      }
      expect(isGatewayError(error, 'CONFIG_ERR_INVALID')).toBe(true)
      expect((error as Error).message).toContain('/rules/1/when/deviceId: unknown device "camara-borrada"')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('local API dry run', () => {
  // A cold-room excursion recorded in the log: 6 °C for 3 minutes from t0, then back to 4 °C.
  const t0 = Date.now() - 3600_000
  async function record(gw: ApiTestGateway['gw']) {
    const readings = [
      [0, 6],
      [60_000, 6.2],
      [130_000, 6.1],
      [180_000, 4],
      [240_000, 4.1],
    ]
    await gw.log.append(
      readings.map(([dt, v]) => ({ kind: 'telemetry' as const, deviceId: 'camara-1', time: t0 + dt!, body: { readings: { temperature_c: v! } } })),
    )
  }

  it('says when a saved rule would have fired and re-armed over recorded history', async () => {
    t = await startApiGateway()
    await record(t.gw)
    const res = await t.api('POST', '/api/rules/camara-alta/dry-run', { from: t0 - 60_000, to: t0 + 600_000 })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ ruleId: 'camara-alta', eventsReplayed: 5, truncated: false })
    // Above 5 °C held for 120 s fires on the first tick past t0 + 120 s; 4 °C (≤ 5 − 0.5) re-arms.
    expect(res.body.transitions).toEqual([
      { time: t0 + 120_000, transition: 'fire', deviceId: 'camara-1', value: 6.2 },
      { time: t0 + 180_000, transition: 'rearm', deviceId: 'camara-1', value: 4 },
    ])
    // A window that ends before the hold completes: nothing.
    const early = await t.api('POST', '/api/rules/camara-alta/dry-run', { from: t0 - 60_000, to: t0 + 100_000 })
    expect(early.body).toMatchObject({ eventsReplayed: 2, transitions: [] })
    // Default window: the last 24 h.
    expect((await t.api('POST', '/api/rules/camara-alta/dry-run')).body.transitions).toHaveLength(2)
  })

  it('dry-runs a rule that is not saved, and refuses bad ones and bad windows with paths', async () => {
    t = await startApiGateway()
    await record(t.gw)
    const draft = hot({ when: { ...hot().when, above: 6.05, forSeconds: 60 } })
    const res = await t.api('POST', '/api/rules/dry-run', { rule: draft, from: t0 - 1000, to: t0 + 600_000 })
    expect(res.status).toBe(200)
    expect(res.body.transitions.map((x: { transition: string }) => x.transition)).toEqual(['fire', 'rearm'])
    expect((await t.api('GET', '/api/rules/camara-muy-alta')).status).toBe(404)

    const bad = await t.api('POST', '/api/rules/dry-run', { rule: hot({ when: { ...hot().when, forSeconds: 'x' } }) })
    expect(bad).toMatchObject({ status: 400, body: { error: { path: '/rule/when/forSeconds' } } })
    const unknown = await t.api('POST', '/api/rules/dry-run', { rule: hot({ when: { ...hot().when, deviceId: 'x-1' } }) })
    expect(unknown).toMatchObject({ status: 400, body: { error: { code: 'RULE_ERR_INVALID', path: '/rule/when/deviceId' } } })
    expect(await t.api('POST', '/api/rules/camara-alta/dry-run', { from: t0, to: t0 })).toMatchObject({ status: 400, body: { error: { path: '/from' } } })
    expect(await t.api('POST', '/api/rules/camara-alta/dry-run', { from: 0, to: t0 })).toMatchObject({ status: 400, body: { error: { path: '/to' } } })
    expect(await t.api('POST', '/api/rules/camara-alta/dry-run', { from: 'ayer' })).toMatchObject({ status: 400, body: { error: { path: '/from' } } })
    expect((await t.api('POST', '/api/rules/nada/dry-run', {})).status).toBe(404)
  })
})
