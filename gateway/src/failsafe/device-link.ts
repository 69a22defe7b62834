import type { Logger } from 'pino'
import type { DeviceConfig } from '../config.js'
import type { CommandIntent } from '../rules/kinds.js'
import { failsafeCommands } from './spec.js'

/**
 * What the broker reports about a device's MQTT session:
 * - `connected`: authenticated and CONNACKed;
 * - `commandsReady`: the session holds a subscription to the device's cmd topic (restored
 *   with a persistent session, or just subscribed), so a command published now arrives;
 * - `disconnected`: the session ended (clean DISCONNECT, socket lost, keepalive expired,
 *   taken over by a newer connection of the same id, broker closing).
 * `connection` is the broker's client object: it tells two sessions of one id apart.
 */
export type DeviceLinkChange = 'connected' | 'commandsReady' | 'disconnected'

export interface DeviceLinksOptions {
  devices: readonly DeviceConfig[]
  /** The rules' command path: logs a `command` event, then publishes QoS 1. */
  sendCommand(deviceId: string, intent: CommandIntent): Promise<void>
  /** Logs a `state` event for the device (and hands it to the rules). */
  recordState(deviceId: string, state: { online: boolean }): Promise<void>
  logger: Logger
}

/**
 * Fail-safe states and presence, gateway side. Every time a device can receive commands
 * it is told the safe state of each of its relays (`failsafe.set`), because the node
 * keeps them only in RAM and the site config may have changed since it last heard. Every
 * connect and disconnect is logged as `state {online}` so rules and the cloud see a link
 * loss, and when the node went into fail-safe on its own.
 */
export class DeviceLinks {
  private readonly devices: Map<string, DeviceConfig>
  private readonly current = new Map<string, object>()
  private readonly told = new WeakSet<object>()
  private readonly inFlight = new Set<Promise<void>>()

  constructor(private readonly opts: DeviceLinksOptions) {
    this.devices = new Map(opts.devices.map((d) => [d.id, d]))
  }

  /** Devices with a live session now. */
  online(): string[] {
    return [...this.current.keys()]
  }

  onLink = (deviceId: string, change: DeviceLinkChange, connection: object): void => {
    if (!this.devices.has(deviceId)) return
    switch (change) {
      case 'connected':
        this.current.set(deviceId, connection)
        this.track(this.opts.recordState(deviceId, { online: true }), deviceId, 'online state')
        break
      case 'commandsReady':
        // Both a restored subscription and a fresh SUBSCRIBE can announce one session.
        if (this.told.has(connection)) return
        this.told.add(connection)
        this.track(this.sendFailsafes(deviceId), deviceId, 'fail-safe commands')
        break
      case 'disconnected':
        // A takeover ends the old session; only the session we know as current going
        // away means the device is offline.
        if (this.current.get(deviceId) !== connection) return
        this.current.delete(deviceId)
        this.track(this.opts.recordState(deviceId, { online: false }), deviceId, 'offline state')
        break
    }
  }

  /** Resolves once every state event and command started so far is done (before the log closes). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
  }

  private async sendFailsafes(deviceId: string): Promise<void> {
    const intents = failsafeCommands(this.devices.get(deviceId)?.relays)
    // In order, one at a time: the log and the device see them in config order.
    for (const intent of intents) await this.opts.sendCommand(deviceId, intent)
    if (intents.length > 0) this.opts.logger.info({ deviceId, relays: intents.length }, 'fail-safe states sent')
  }

  // Nothing here may throw into the broker's event emitter; a failure is logged and dropped.
  private track(work: Promise<void>, deviceId: string, what: string): void {
    const run = work
      .catch((err: unknown) => this.opts.logger.warn({ deviceId, err }, `could not record ${what}`))
      .finally(() => this.inFlight.delete(run))
    this.inFlight.add(run)
  }
}
