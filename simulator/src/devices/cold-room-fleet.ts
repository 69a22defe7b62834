import type { Logger } from 'pino'
import type { UpstreamChannel } from '@tendero/protocol'
import { ColdRoomModel, type ColdRoomParams } from '../models/cold-room.js'
import { SimulatorError } from '../errors.js'
import { ColdRoomNode, type ColdRoomNodeSnapshot, type SentCounts } from './cold-room-node.js'

export interface ColdRoomFleetOptions {
  mqttUrl: string
  /** How many nodes; ids are `<idPrefix>-01` … (fleetDeviceIds). */
  count: number
  idPrefix: string
  /** Each node's MQTT password; `{id}` is replaced by its device id (`{id}-demo` → `camara-07-demo`). */
  password: string
  intervalMs: number
  speed: number
  keepaliveS?: number
  reconnectPeriodMs?: number
  /** Shared physics parameters; node i gets door seed `seed + i`, so the rooms do not open in step. */
  params?: Partial<ColdRoomParams>
  seed?: number
  startTempC?: number
  compressorOn?: boolean
  logger?: Logger
  onAcknowledged?: (deviceId: string, channel: UpstreamChannel, payload: unknown) => void
}

export interface ColdRoomFleetSnapshot {
  devices: number
  online: number
  failsafe: number
  /** Messages the broker acknowledged, per channel, summed over the nodes. */
  sent: SentCounts
  simulatedS: number
  nodes: readonly ColdRoomNodeSnapshot[]
}

/** `camara-01` … `camara-50`: zero-padded to at least two digits so the ids sort as numbers. */
export function fleetDeviceIds(idPrefix: string, count: number): string[] {
  const width = Math.max(2, String(count).length)
  return Array.from({ length: count }, (_, i) => `${idPrefix}-${String(i + 1).padStart(width, '0')}`)
}

export const devicePassword = (template: string, deviceId: string): string => template.replaceAll('{id}', deviceId)

/**
 * Many cold rooms in one process, each a ColdRoomNode with its own MQTT connection,
 * credentials and door schedule, as a shop's worth of ESP32 nodes would be.
 */
export class ColdRoomFleet {
  readonly nodes: readonly ColdRoomNode[]
  private readonly intervalMs: number
  private readonly pending = new Set<NodeJS.Timeout>()
  private stopped = false

  constructor(options: ColdRoomFleetOptions) {
    if (!Number.isInteger(options.count) || options.count < 1) throw new SimulatorError('SIM_CONFIG_INVALID', 'count must be an integer ≥ 1')
    this.intervalMs = options.intervalMs
    this.nodes = fleetDeviceIds(options.idPrefix, options.count).map(
      (deviceId, i) =>
        new ColdRoomNode({
          mqttUrl: options.mqttUrl,
          deviceId,
          password: devicePassword(options.password, deviceId),
          intervalMs: options.intervalMs,
          speed: options.speed,
          ...(options.keepaliveS !== undefined ? { keepaliveS: options.keepaliveS } : {}),
          ...(options.reconnectPeriodMs !== undefined ? { reconnectPeriodMs: options.reconnectPeriodMs } : {}),
          model: new ColdRoomModel(
            { ...options.params, seed: (options.seed ?? 1) + i },
            { startTempC: options.startTempC ?? 4, compressorOn: options.compressorOn ?? false },
          ),
          ...(options.logger ? { logger: options.logger } : {}),
          ...(options.onAcknowledged ? { onAcknowledged: (channel, payload) => options.onAcknowledged!(deviceId, channel, payload) } : {}),
        }),
    )
  }

  /**
   * Starts every node, spread over one interval so fifty rooms do not all report in the
   * same millisecond. Resolves once all are connected; rejects (and stops the fleet) on the
   * first refusal, e.g. one wrong password.
   */
  async start(): Promise<void> {
    const gapMs = this.intervalMs / this.nodes.length
    const started = this.nodes.map(
      (node, i) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            this.pending.delete(timer)
            if (this.stopped) return reject(new SimulatorError('SIM_STOPPED', 'stopped before connecting'))
            node.start().then(resolve, reject)
          }, i * gapMs)
          this.pending.add(timer)
        }),
    )
    try {
      await Promise.all(started)
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    for (const timer of this.pending) clearTimeout(timer)
    this.pending.clear()
    await Promise.all(this.nodes.map((n) => n.stop()))
  }

  snapshot(): ColdRoomFleetSnapshot {
    const nodes = this.nodes.map((n) => n.snapshot())
    const sent: SentCounts = { telemetry: 0, state: 0, event: 0, ack: 0 }
    for (const n of nodes) for (const channel of Object.keys(sent) as UpstreamChannel[]) sent[channel] += n.sent[channel]
    return {
      devices: nodes.length,
      online: nodes.filter((n) => n.connected).length,
      failsafe: nodes.filter((n) => n.failsafe).length,
      sent,
      simulatedS: Math.max(0, ...nodes.map((n) => n.simulatedS)),
      nodes,
    }
  }
}
