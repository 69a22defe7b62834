import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, DEMO_DEVICE } from '../../gateway/test/harness.js'
import { DEMO } from '../../cloud/src/seed.js'
import { drive, scrape, startStack, type Stack } from './stack.js'
import { parseExposition, sampleValue } from './queries.js'

const METRICS_TOKEN = 'metrics-token-0123456789abcdef'
const API_TOKEN = 'technician-token-0123456789'
const PROM_TEXT = /^text\/plain; version=0\.0\.4/

let stack: Stack
let gatewayUrl: string

beforeAll(async () => {
  stack = await startStack({ cloud: { metricsToken: METRICS_TOKEN } })
  gatewayUrl = `http://127.0.0.1:${stack.gateway.apiPort}/metrics`
})
afterAll(async () => {
  await stack?.close()
})

async function gatewayText(): Promise<string> {
  const res = await scrape(gatewayUrl)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(PROM_TEXT)
  return res.text()
}

async function cloudText(): Promise<string> {
  const res = await scrape(`${stack.cloudUrl}/metrics`, METRICS_TOKEN)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(PROM_TEXT)
  return res.text()
}

describe('gateway GET /metrics', () => {
  it('counts real MQTT traffic, rejections, refusals, alarms, commands, uplink and Modbus', async () => {
    const before = await gatewayText()
    expect(sampleValue(before, 'tendero_gateway_mqtt_messages_accepted_total', { channel: 'telemetry' }) ?? 0).toBe(0)
    expect(sampleValue(before, 'tendero_gateway_alarms_raised_total', { severity: 'critical' })).toBe(0)

    await drive(stack)
    const after = await gatewayText()
    const v = (name: string, labels: Record<string, string> = {}) => sampleValue(after, `tendero_gateway_${name}`, labels)
    expect(v('mqtt_messages_accepted_total', { channel: 'telemetry' })).toBe(1)
    expect(v('mqtt_messages_accepted_total', { channel: 'state' })).toBe(1)
    expect(v('mqtt_messages_rejected_total', { device: DEMO_DEVICE.id, reason: 'bad_json' })).toBe(1)
    expect(v('mqtt_connect_refused_total', { reason: 'bad_password' })).toBe(1)
    expect(v('mqtt_clients')).toBe(1)
    expect(v('alarms_raised_total', { severity: 'critical' })).toBe(1)
    expect(v('alarms_active', { severity: 'critical' })).toBe(1)
    expect(v('commands_sent_total', { source: 'rule', transport: 'mqtt' })).toBeGreaterThanOrEqual(1)
    expect(v('log_events_total', { kind: 'alarm' })).toBe(1)
    expect(v('uplink_batches_acked_total')).toBeGreaterThanOrEqual(1)
    expect(v('uplink_requests_total', { result: '2xx' })).toBeGreaterThanOrEqual(1)
    expect(v('uplink_events_acked_total')).toBeGreaterThanOrEqual(v('log_events_total', { kind: 'alarm' })!)
    expect(v('uplink_rtt_seconds_count')).toBe(v('uplink_batches_acked_total'))
    expect(v('modbus_device_up', { device: 'tablero' })).toBe(1)
    expect(v('log_last_seq')).toBeGreaterThan(0)
    expect(v('log_used_bytes')).toBeGreaterThan(0)
    expect(v('clock_synced')).toBe(1)
    expect(v('process_resident_memory_bytes')).toBeGreaterThan(0)
    // No InfluxDB configured: no InfluxDB series pretending to be zero.
    expect(parseExposition(after).has('tendero_gateway_influx_lag_events')).toBe(false)
  })

  it('labels carry only fixed sets and the site config’s device ids', async () => {
    const text = await gatewayText()
    const devices = new Set(stack.gateway.gw.config.site.devices.map((d) => d.id))
    const values = [...text.matchAll(/\bdevice="([^"]*)"/g)].map((m) => m[1]!)
    expect(values.length).toBeGreaterThan(0)
    for (const id of values) expect(devices.has(id), id).toBe(true)
    const sources = new Set([...text.matchAll(/\bsource="([^"]*)"/g)].map((m) => m[1]))
    for (const s of sources) expect(['rule', 'failsafe', 'cloud', 'access', 'charge']).toContain(s)
  })

  it('is open like /health while the rest of the local API wants the token', async () => {
    const t = await startTestGateway({ config: { api: { host: '127.0.0.1', port: 0, token: API_TOKEN } } })
    try {
      const base = `http://127.0.0.1:${t.apiPort}`
      expect((await fetch(`${base}/api/devices`)).status).toBe(401)
      const res = await fetch(`${base}/metrics`)
      expect(res.status).toBe(200)
      // Its own registry: none of the other gateway's traffic shows up here.
      const text = await res.text()
      expect(sampleValue(text, 'tendero_gateway_mqtt_messages_accepted_total', { channel: 'telemetry' }) ?? 0).toBe(0)
      expect(sampleValue(text, 'tendero_gateway_modbus_device_up', { device: 'tablero' })).toBeUndefined()
    } finally {
      await t.close()
    }
  })
})

describe('cloud GET /metrics', () => {
  it('wants the METRICS_TOKEN bearer when one is set', async () => {
    expect((await scrape(`${stack.cloudUrl}/metrics`)).status).toBe(401)
    expect((await scrape(`${stack.cloudUrl}/metrics`, 'not-the-metrics-token')).status).toBe(401)
    expect((await scrape(`${stack.cloudUrl}/metrics`, METRICS_TOKEN)).status).toBe(200)
  })

  it('counts ingested batches and events, and times requests by route template', async () => {
    await drive(stack)
    // A parametric route and a miss: neither raw URL may become a label value.
    await fetch(`${stack.cloudUrl}/api/sites/${DEMO.site.id}`)
    await fetch(`${stack.cloudUrl}/no/such/page-${Date.now()}`)
    const text = await cloudText()
    const v = (name: string, labels: Record<string, string> = {}) => sampleValue(text, `tendero_cloud_${name}`, labels)
    expect(v('ingest_batches_total')).toBeGreaterThanOrEqual(1)
    expect(v('ingest_events_total', { outcome: 'stored' })).toBeGreaterThanOrEqual(stack.gateway.gw.uplink.status().ackedSeq)
    expect(v('http_request_duration_seconds_count', { method: 'POST', route: '/api/ingest', status: '2xx' })).toBeGreaterThanOrEqual(1)
    expect(v('http_request_duration_seconds_count', { method: 'GET', route: '/api/sites/:siteId', status: '4xx' })).toBe(1)
    expect(v('http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '4xx' })).toBe(1)
    expect(text).not.toContain(DEMO.site.id)
    expect(text).not.toContain(DEMO.organization.id)
    expect(text).not.toContain('/no/such/page')
    expect(v('db_up')).toBe(1)
    expect(v('outbox_pending', { outbox: 'notification' })).toBeGreaterThanOrEqual(0)
    expect(v('realtime_sockets')).toBe(0)
    expect(v('process_resident_memory_bytes')).toBeGreaterThan(0)
  })

  it('counts job runs and failures by job name', async () => {
    const { app } = stack.cloud
    const name = 'test.metrics-flaky'
    let calls = 0
    app.jobs.register(name, 60_000, async () => {
      calls += 1
      if (calls === 2) throw new Error('flaky')
    })
    await app.jobs.run(name)
    await app.jobs.run(name).catch(() => {})
    const text = await cloudText()
    expect(sampleValue(text, 'tendero_cloud_job_runs_total', { job: name })).toBe(2)
    expect(sampleValue(text, 'tendero_cloud_job_failures_total', { job: name })).toBe(1)
  })

  // Last: it takes the database away from this cloud for good.
  it('still answers with the database gone, reporting db_up 0', async () => {
    await stack.cloud.app.db.destroy()
    const started = Date.now()
    const text = await cloudText()
    expect(Date.now() - started).toBeLessThan(5000)
    expect(sampleValue(text, 'tendero_cloud_db_up')).toBe(0)
    expect(sampleValue(text, 'tendero_cloud_outbox_pending', { outbox: 'mail' })).toBeUndefined()
    expect(sampleValue(text, 'tendero_cloud_ingest_batches_total')).toBeGreaterThanOrEqual(1)
  })
})
