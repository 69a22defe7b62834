import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { MqttClient } from 'mqtt'
import { buildApp } from '../../cloud/src/app.js'
import { migrateToLatest, openDatabase } from '../../cloud/src/plugins/db/database.js'
import { seedDemo } from '../../cloud/src/seed.js'
import { DEMO_KEY, testConfig, type TestApp } from '../../cloud/test/support/app.js'
import { startTestGateway, testSite, waitFor, DEMO_DEVICE, type TestGateway } from '../../gateway/test/harness.js'
import { startFakeModbusDevice, type FakeModbusDevice } from '../../gateway/test/modbus-harness.js'
import { startInfluxd, type InfluxServer } from '../../gateway/test/influx-harness.js'
import type { CloudConfig } from '../../cloud/src/config.js'

/**
 * A small real Tendero for the deployment tests: a cloud app on PGlite listening on a
 * free port, a gateway uploading to it, a Modbus TCP device it polls, optionally a real
 * influxd for the history sink, and a device that spoke MQTT over TCP. After `drive()`
 * every counter the dashboards chart has moved: messages accepted and rejected, a refused
 * connection, an alarm raised and the command it sent, batches the cloud acknowledged,
 * points InfluxDB took.
 */
export interface Stack {
  cloud: TestApp
  cloudUrl: string
  gateway: TestGateway
  influx: InfluxServer | undefined
  device: MqttClient
  close(): Promise<void>
}

export const INFLUX_DATABASE = 'tendero_test'

export async function startStack(opts: { influx?: boolean; cloud?: Partial<CloudConfig> } = {}): Promise<Stack> {
  const cleanups: [string, () => Promise<unknown>][] = []
  // Every part is closed even when one hangs or fails; which one did is the error.
  const close = async () => {
    const problems: string[] = []
    while (cleanups.length > 0) {
      const [what, fn] = cleanups.pop()!
      let timer: NodeJS.Timeout | undefined
      const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('still closing after 15 s')), 15_000)))
      await Promise.race([fn(), limit])
        .catch((err: unknown) => problems.push(`${what}: ${(err as Error).message}`))
        .finally(() => clearTimeout(timer))
    }
    if (problems.length > 0) throw new Error(`closing the stack: ${problems.join('; ')}`)
  }
  try {
    const cloud = await startCloud(opts.cloud)
    cleanups.push(['cloud', () => cloud.close()])
    const address = await (cloud.app as FastifyInstance).listen({ port: 0, host: '127.0.0.1' })
    const influx = opts.influx ? await startInfluxd() : undefined
    if (influx) cleanups.push(['influxd', () => influx.close()])
    const plc: FakeModbusDevice = await startFakeModbusDevice({ holding: [43] })
    cleanups.push(['modbus device', () => plc.close()])
    const site = await testSite((s) => {
      // Fire at once: the demo rule waits two minutes above 5 °C.
      for (const rule of s.rules ?? []) if (rule.id === 'camara-alta' && 'forSeconds' in rule.when) rule.when.forSeconds = 0
      s.devices.push({
        id: 'tablero',
        kind: 'cold_room',
        modbus: { host: '127.0.0.1', port: plc.port, pollMs: 100, registers: [{ name: 'temperature_c', address: 0, fn: 'holding', type: 'int16', scale: 0.1 }] },
      })
    })
    const gateway = await startTestGateway({
      site,
      config: {
        cloud: { url: address, gatewayKey: DEMO_KEY },
        ...(influx ? { influx: { url: influx.url, database: INFLUX_DATABASE } } : {}),
      },
      gateway: { uplink: { idleMs: 50, backoffCapMs: 500 }, influx: { idleMs: 50 } },
    })
    cleanups.push(['gateway', () => gateway.close()])
    const device = await gateway.connect(DEMO_DEVICE.id, DEMO_DEVICE.password)
    return { cloud, cloudUrl: address, gateway, influx, device, close }
  } catch (err) {
    await close().catch(() => {})
    throw err
  }
}

/**
 * The cloud on PGlite in a temp dir, migrated and seeded before the app is built: on a
 * loaded 2-core machine PGlite's 21 migrations can outlast Fastify's 10 s plugin timeout,
 * which only the app's own plugins are held to.
 */
async function startCloud(overrides: Partial<CloudConfig> = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'tendero-cloud-'))
  try {
    const database = { driver: 'pglite' as const, dataDir: dir }
    const db = await openDatabase(database)
    try {
      await migrateToLatest(db)
      await seedDemo(db, { gatewayKey: DEMO_KEY })
    } finally {
      await db.destroy()
    }
    const app = await buildApp(testConfig(database, { seedDemo: false, ...overrides }))
    return {
      app,
      database,
      close: async () => {
        await app.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
}

/** Real traffic through every path the metrics count; resolves once the cloud and InfluxDB have it all. */
export async function drive(stack: Stack): Promise<void> {
  const { gateway: t, device } = stack
  const topic = (channel: string) => `tendero/v1/${DEMO_DEVICE.id}/${channel}`
  await device.publishAsync(topic('telemetry'), JSON.stringify({ ts: Date.now(), readings: { temperature_c: 7.5 } }), { qos: 1 })
  await device.publishAsync(topic('state'), JSON.stringify({ ts: Date.now(), state: { compressor: true } }), { qos: 1 })
  // Acknowledged and dropped: counted as a rejection, never logged.
  await device.publishAsync(topic('telemetry'), '{not json', { qos: 1 })
  // A wrong password: refused at CONNACK and counted by reason.
  await t.connect(DEMO_DEVICE.id, 'wrong-password').then(
    (c) => c.endAsync(true).then(() => Promise.reject(new Error('a wrong password was let in'))),
    () => undefined,
  )
  await waitFor(() => t.gw.alarms.list().some((a) => a.ruleId === 'camara-alta'), 10_000)
  await waitFor(() => t.gw.modbus.status().some((d) => d.online === true), 10_000)
  // Everything logged so far, the alarm and the command included, acknowledged by the cloud.
  const target = t.gw.log.lastSeq()
  await waitFor(() => t.gw.uplink.status().ackedSeq >= target, 15_000)
  if (stack.influx) await waitFor(() => (t.gw.influx?.status().cursor ?? 0) >= target, 15_000)
}

export async function scrape(url: string, token?: string): Promise<Response> {
  return fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {})
}
