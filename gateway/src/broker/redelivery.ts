import type { EventLog } from '../log/event-log.js'

/** How many recent readings per device are remembered; a device resends only its last few. */
const PER_DEVICE = 128
/** Most log events read at boot to remember what the devices may resend. */
const SEED_LIMIT = 50_000

/**
 * QoS 1 is at-least-once: when the gateway dies after a reading is in the log but before
 * its PUBACK has left (the rest of that group commit and Aedes' own turns, milliseconds
 * under load), the device sends the reading again once it reconnects. Telemetry carries
 * the node's own counter and timestamp (protocol Telemetry.seq, there so replays can be
 * told apart): a reading whose counter and timestamp this device already had logged is
 * that copy, and is acknowledged without a second log entry. A reading without both (a
 * node with no clock) is always logged, since a counter alone restarts at 0 on reboot.
 */
export class RedeliveryFilter {
  private readonly recent = new Map<string, Set<string>>()

  constructor(private readonly perDevice = PER_DEVICE) {}

  /** Remembers the readings at the end of the log: after a crash, the copies to expect are there. */
  seed(log: EventLog, devices: number): void {
    const limit = Math.min(SEED_LIMIT, this.perDevice * Math.max(1, devices))
    for (const e of log.read(Math.max(0, log.lastSeq() - limit), limit))
      if (e.kind === 'telemetry') this.remember(e.deviceId, e.body)
  }

  /** True when this device already had this reading committed to the log. */
  isLogged(deviceId: string, body: unknown): boolean {
    const key = readingKey(body)
    return key !== undefined && this.recent.get(deviceId)?.has(key) === true
  }

  /**
   * Called once a reading is committed, not before: a copy that arrives while the first
   * is still being written is logged too (a rare duplicate) rather than acknowledged
   * ahead of the disk.
   */
  remember(deviceId: string, body: unknown): void {
    const key = readingKey(body)
    if (key === undefined) return
    let keys = this.recent.get(deviceId)
    if (!keys) this.recent.set(deviceId, (keys = new Set()))
    keys.add(key)
    // A Set iterates in insertion order: the first key is the oldest.
    if (keys.size > this.perDevice) keys.delete(keys.values().next().value!)
  }
}

function readingKey(body: unknown): string | undefined {
  const { seq, ts } = (body ?? {}) as { seq?: unknown; ts?: unknown }
  return typeof seq === 'number' && typeof ts === 'number' ? `${seq}@${ts}` : undefined
}
