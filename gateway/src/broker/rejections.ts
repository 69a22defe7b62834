import type { Logger } from 'pino'

/**
 * Why a device's message was refused. `acl`, `wildcard_topic` and `bad_topic` close the
 * connection; the others are acknowledged and dropped (see broker.ts for why).
 */
export type RejectReason =
  | 'acl'
  | 'wildcard_topic'
  | 'bad_topic'
  | 'rate_limited'
  | 'too_large'
  | 'bad_json'
  | 'non_finite'
  | 'bad_payload'
  | 'bad_timestamp'

/** Why a connection was refused at CONNACK; counted gateway-wide, since the id is the attacker's choice. */
export type ConnectRefusal = 'unknown_device' | 'bad_password' | 'bad_client_id'

/**
 * Rejection counters per device and reason, and logs that cannot flood: at most one line
 * per device and reason per `logEveryMs`, carrying how many were not logged since.
 * Keys are device ids from the registry only (a client is authenticated before it can
 * publish), so the maps stay bounded whatever a client sends.
 */
export class Rejections {
  private readonly counts = new Map<string, Partial<Record<RejectReason, number>>>()
  private readonly refused: Partial<Record<ConnectRefusal, number>> = {}
  private readonly lastLog = new Map<string, { at: number; suppressed: number }>()

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    private readonly logEveryMs = 1000,
  ) {}

  record(deviceId: string, reason: RejectReason, fields: { topic?: string; detail?: string } = {}): void {
    const perDevice = this.counts.get(deviceId) ?? {}
    perDevice[reason] = (perDevice[reason] ?? 0) + 1
    this.counts.set(deviceId, perDevice)
    const key = `${deviceId}\u0000${reason}`
    const t = this.now()
    const last = this.lastLog.get(key)
    if (last && t - last.at < this.logEveryMs) {
      last.suppressed += 1
      return
    }
    const topic = fields.topic && fields.topic.length > 200 ? `${fields.topic.slice(0, 200)}…` : fields.topic
    this.logger.warn({ deviceId, reason, topic, detail: fields.detail, suppressed: last?.suppressed ?? 0 }, 'message rejected')
    this.lastLog.set(key, { at: t, suppressed: 0 })
  }

  refuseConnect(reason: ConnectRefusal): void {
    this.refused[reason] = (this.refused[reason] ?? 0) + 1
  }

  /** Totals per device (the /health `rejected` shape since issue 2). */
  totals(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [id, reasons] of this.counts) out[id] = Object.values(reasons).reduce((a, b) => a + b, 0)
    return out
  }

  byReason(): Record<string, Partial<Record<RejectReason, number>>> {
    return Object.fromEntries([...this.counts].map(([id, r]) => [id, { ...r }]))
  }

  connectRefusals(): Partial<Record<ConnectRefusal, number>> {
    return { ...this.refused }
  }
}
