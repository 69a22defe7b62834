import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { deviceTopic } from '@tendero/protocol'
import { buildGateway, type Gateway } from '../src/gateway.js'
import { RedeliveryFilter } from '../src/broker/redelivery.js'
import { DEMO_DEVICE, testConfig, testSite } from './harness.js'

// A reading logged just before the gateway died, whose PUBACK never left, comes back
// from the device after the restart: it is acknowledged, not logged a second time.

let dir: string | undefined
let running: Gateway | undefined
afterEach(async () => {
  await running?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
  running = dir = undefined
})

async function boot(dataDir: string) {
  const gw = buildGateway(testConfig(await testSite(), dataDir), { logger: pino({ level: 'silent' }) })
  running = gw
  const { mqttPort } = await gw.start()
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
    clientId: DEMO_DEVICE.id,
    username: DEMO_DEVICE.id,
    password: DEMO_DEVICE.password,
    reconnectPeriod: 0,
  })
  const send = (body: object) => client.publishAsync(deviceTopic(DEMO_DEVICE.id, 'telemetry'), JSON.stringify(body), { qos: 1 })
  const readings = () =>
    gw.log
      .read(0, 1000)
      .filter((e) => e.kind === 'telemetry')
      .map((e) => e.body as { seq?: number; ts?: number })
  return { gw, client, send, readings }
}

describe('redelivered readings', () => {
  it('logs a reading resent after a restart once, and still logs what only looks alike', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tendero-redelivery-'))
    const ts = Date.now()
    const first = await boot(dir)
    await first.send({ ts, seq: 7, readings: { temperature_c: 4 } })
    await first.client.endAsync(true)
    await first.gw.stop()

    const second = await boot(dir)
    // The same reading again: PUBACKed (the await resolves), not logged twice.
    await second.send({ ts, seq: 7, readings: { temperature_c: 4 } })
    await second.send({ ts: ts + 1000, seq: 8, readings: { temperature_c: 4 } })
    // A rebooted node counts from 0 again, at another time: a new reading.
    await second.send({ ts: ts + 2000, seq: 7, readings: { temperature_c: 4 } })
    // Without a timestamp a counter alone proves nothing: always logged.
    await second.send({ seq: 8, readings: { temperature_c: 4 } })
    await second.send({ seq: 8, readings: { temperature_c: 4 } })
    await second.client.endAsync()
    expect(second.readings().map((r) => [r.seq, r.ts === undefined ? null : r.ts - ts])).toEqual([
      [7, 0],
      [8, 1000],
      [7, 2000],
      [8, null],
      [8, null],
    ])
  })

  it('remembers a bounded number of readings per device', () => {
    const filter = new RedeliveryFilter(2)
    for (const seq of [1, 2, 3]) filter.remember('a', { seq, ts: 100 + seq })
    expect(filter.isLogged('a', { seq: 1, ts: 101 })).toBe(false)
    expect(filter.isLogged('a', { seq: 3, ts: 103 })).toBe(true)
    expect(filter.isLogged('b', { seq: 3, ts: 103 })).toBe(false)
    expect(filter.isLogged('a', { seq: 3 })).toBe(false)
  })
})
