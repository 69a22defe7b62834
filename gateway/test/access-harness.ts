import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import { pino } from 'pino'
import { deviceTopic, type LogEvent } from '@tendero/protocol'
import { parseSiteConfig, type SiteConfig } from '../src/config.js'
import { buildGateway, type Gateway, type GatewayOptions } from '../src/gateway.js'
import { hashPassword } from '../src/broker/passwords.js'
import { testConfig, waitFor } from './harness.js'

/** A night club: the VIP door's reader, a bar terminal and the cashier, each a real MQTT client. */
export const READER = { id: 'lector-vip', password: 'lector-vip-pw' }
export const BAR = { id: 'barra-1', password: 'barra-1-pw' }
export const CASHIER = { id: 'caja-1', password: 'caja-1-pw' }
export const BA = 'America/Argentina/Buenos_Aires'

const hashes = Promise.all([READER, BAR, CASHIER].map((d) => hashPassword(d.password)))

/** Built from scratch rather than from the demo site, so other verticals' config changes cannot break it. */
export async function barSite(edit: (site: SiteConfig) => void = () => {}): Promise<SiteConfig> {
  const [reader, bar, cashier] = await hashes
  const site: SiteConfig = {
    gatewayId: 'gw-bar-test',
    timezone: BA,
    devices: [
      { id: READER.id, kind: 'rfid_reader', passwordHash: reader! },
      { id: BAR.id, kind: 'pos_terminal', passwordHash: bar! },
      { id: CASHIER.id, kind: 'pos_terminal', passwordHash: cashier! },
    ],
    rules: [],
    access: {
      currency: 'ARS',
      offlineLimitMinor: 2_000_000,
      doors: [
        { id: 'vip', deviceId: READER.id, schedule: [{ days: ['fri', 'sat'], from: '23:00', to: '06:00' }] },
        { id: 'staff', deviceId: READER.id },
      ],
      terminals: [{ deviceId: BAR.id }, { deviceId: CASHIER.id, topup: true }],
      cards: [
        { id: '04A1B2C3', holder: 'Martina Gómez', doors: ['vip'], balanceMinor: 1_000_000 },
        { id: '04D4E5F6', holder: 'Joaquín Pérez', doors: '*', balanceMinor: 300_000, offlineLimitMinor: 100_000 },
        { id: '0411AA22', holder: 'Lucía Fernández', doors: ['vip'], blocked: true, balanceMinor: 500_000 },
      ],
    },
  }
  edit(site)
  return parseSiteConfig(structuredClone(site))
}

/** Friday 21 Nov 2025, 23:30 in Buenos Aires (UTC-3): the VIP door is open. */
export const FRIDAY_NIGHT = Date.UTC(2025, 10, 22, 2, 30)

/** A device as a test drives it: publishes events, collects the commands it is sent. */
export interface TestDevice {
  client: MqttClient
  commands: Record<string, unknown>[]
  event(kind: string, data: Record<string, string | number>): Promise<void>
  /** Publishes the event and waits for the first command matching `match`. */
  request(kind: string, data: Record<string, string | number>, match: (c: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>
}

export interface BarGateway {
  gw: Gateway
  dir: string
  device(creds: { id: string; password: string }): Promise<TestDevice>
  /** Stops the gateway and its clients, keeping the data dir. */
  stop(): Promise<void>
  /** Stops and removes the data dir. */
  close(): Promise<void>
}

/** A gateway on ephemeral ports over `dir` (a new temp dir if absent), so a test can restart it on the same data. */
export async function startBarGateway(site: SiteConfig, opts: { dir?: string; gateway?: GatewayOptions } = {}): Promise<BarGateway> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'tendero-access-'))
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
  const gw = buildGateway(testConfig(site, dir), { logger, uplink: { backoffCapMs: 1000 }, log: { flushIntervalMs: 2 }, ...opts.gateway })
  const { mqttPort } = await gw.start()
  const clients: MqttClient[] = []
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await Promise.all(clients.map((c) => c.endAsync(true)))
    await gw.stop()
  }
  return {
    gw,
    dir,
    async device({ id, password }) {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
        clientId: id,
        username: id,
        password,
        reconnectPeriod: 0,
        connectTimeout: 5000,
      })
      clients.push(client)
      const commands: Record<string, unknown>[] = []
      client.on('message', (_t, payload) => commands.push(JSON.parse(payload.toString())))
      await client.subscribeAsync(deviceTopic(id, 'cmd'), { qos: 1 })
      const event = async (kind: string, data: Record<string, string | number>) => {
        await client.publishAsync(deviceTopic(id, 'event'), JSON.stringify({ kind, data }), { qos: 1 })
      }
      return {
        client,
        commands,
        event,
        async request(kind, data, match) {
          const seen = commands.length
          await event(kind, data)
          return waitFor(() => commands.slice(seen).find(match))
        },
      }
    },
    stop,
    async close() {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export function eventsOf<K extends LogEvent['kind']>(gw: Gateway, kind: K): Extract<LogEvent, { kind: K }>[] {
  return gw.log.read(0, 100_000).filter((e): e is Extract<LogEvent, { kind: K }> => e.kind === kind)
}

/** A stand-in for the cloud's ingest endpoint that can be switched off and on. */
export function switchableCloud() {
  const cloud = {
    up: false,
    fetch: (async (_url: string | URL | Request, init?: RequestInit) => {
      if (!cloud.up) throw new TypeError('fetch failed: connect ECONNREFUSED')
      const batch = JSON.parse(String(init?.body)) as { events: { seq: number }[] }
      const ack = { ackSeq: batch.events.at(-1)!.seq, stored: batch.events.length, duplicates: 0, quarantined: [] }
      return new Response(JSON.stringify(ack), { status: 200, headers: { 'content-type': 'application/json' } })
    }) as typeof fetch,
  }
  return cloud
}
