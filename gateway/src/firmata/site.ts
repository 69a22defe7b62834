import type { Logger } from 'pino'
import type { Command } from '@tendero/protocol'
import type { DeviceConfig } from '../config.js'
import type { EventInput } from '../log/event-log.js'
import { firmataCommandWriter } from './commands.js'
import { FirmataDriver } from './driver.js'
import type { FirmataIoFactory } from './io.js'

export interface FirmataSiteOptions {
  devices: readonly DeviceConfig[]
  logger: Logger
  now: () => number
  ioFactory?: FirmataIoFactory
  /** Appends to the log and hands the events to the rules (and the local API's live view). */
  record(events: EventInput[]): Promise<void>
  /** Presence for the local API's live view, before it is logged. */
  onPresence(deviceId: string, online: boolean): void
}

/** What `/health` shows per board. */
export interface FirmataHealth {
  state: 'online' | 'unavailable'
  lastReadingAt: number | null
  lastError: string | null
  consecutiveFailures: number
  connects: number
}

/**
 * The site's Firmata boards wired the way the gateway wires Modbus devices: readings as
 * `telemetry`, inputs and relay positions as `state`, presence as `state {online}`, and
 * `relay.set` commands as pin writes acked in the log. Keeps gateway.ts to one call.
 */
export function firmataForSite(opts: FirmataSiteOptions) {
  const devices = opts.devices.flatMap((d) => (d.firmata ? [{ id: d.id, firmata: d.firmata, relays: d.relays }] : []))
  const driver = new FirmataDriver({
    devices,
    logger: opts.logger,
    now: opts.now,
    ...(opts.ioFactory ? { ioFactory: opts.ioFactory } : {}),
    onReadings: (deviceId, readings) => opts.record([{ kind: 'telemetry', deviceId, body: { readings } }]),
    onState: (deviceId, state) => opts.record([{ kind: 'state', deviceId, body: { state } }]),
    onPresence(deviceId, online) {
      opts.onPresence(deviceId, online)
      return opts.record([{ kind: 'state', deviceId, body: { state: { online } } }])
    },
  })
  const writes = firmataCommandWriter({ driver, logger: opts.logger, now: opts.now, record: opts.record })
  return {
    driver,
    has: (deviceId: string) => driver.has(deviceId),
    /** Returns at once; the ack is logged when the write is done (or refused). */
    send: (deviceId: string, command: Command) => writes.send(deviceId, command),
    /** Acks of commands in flight first, then relays to fail-safe, ports closed, presence logged. */
    async stop(): Promise<void> {
      await writes.settled()
      await driver.stop()
    },
    /** The `/health` entry: `{ firmata: { <deviceId>: … } }`, or nothing when the site has no boards. */
    health(): { firmata?: Record<string, FirmataHealth> } {
      if (devices.length === 0) return {}
      const entries = driver.status().map((d): [string, FirmataHealth] => [
        d.deviceId,
        {
          state: d.online === true ? 'online' : 'unavailable',
          lastReadingAt: d.lastReadingAt ?? null,
          lastError: d.lastError ?? null,
          consecutiveFailures: d.consecutiveFailures,
          connects: d.connects,
        },
      ])
      return { firmata: Object.fromEntries(entries) }
    },
  }
}
