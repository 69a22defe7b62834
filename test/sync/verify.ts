/**
 * What "exactly once, in order" means, checked on what the cloud stored against the
 * gateway's own log and the readings the devices were acknowledged:
 *  - every log seq 1…lastSeq is in the cloud once, as the same event, and nothing else;
 *  - per device, the node's telemetry counter (Telemetry.seq) rises with the gateway seq,
 *    never repeats and has no hole from 0 to the highest one the cloud holds;
 *  - every reading a device got a PUBACK for is there.
 * Pure functions over rows, so the checks themselves have tests (verify.test.ts).
 */

export interface SyncedEvent {
  seq: number
  kind: string
  deviceId: string
  /** Telemetry.seq for telemetry, null for every other kind. */
  nodeSeq: number | null
  bootId: string
}

export interface Duplicate {
  deviceId: string
  nodeSeq: number
  seqs: number[]
  /** Boot ids of the gateway processes that logged the copies: two boots = a device resent after a crash. */
  bootIds: string[]
}

export interface SyncReport {
  lastSeq: number
  logEvents: number
  cloudEvents: number
  telemetry: number
  devices: number
  /** Cloud events per kind (telemetry, state, alarm, command, ack…). */
  kinds: Record<string, number>
  /** The gateway's own log is not 1…lastSeq (sync contract 1). */
  logNotGapFree: number[]
  /** Log seqs the cloud does not hold. */
  missing: number[]
  /** Cloud seqs the log never had. */
  unexpected: number[]
  /** Same seq, different event. */
  mismatched: number[]
  duplicates: Duplicate[]
  outOfOrder: { deviceId: string; seq: number; nodeSeq: number; after: number }[]
  holes: { deviceId: string; nodeSeq: number }[]
  ackedMissing: { deviceId: string; nodeSeq: number }[]
  acked: number
}

const same = (a: SyncedEvent, b: SyncedEvent) =>
  a.kind === b.kind && a.deviceId === b.deviceId && a.nodeSeq === b.nodeSeq && a.bootId === b.bootId

export function checkSync(log: readonly SyncedEvent[], cloud: readonly SyncedEvent[], acked: ReadonlyMap<string, ReadonlySet<number>>): SyncReport {
  const logBySeq = new Map(log.map((e) => [e.seq, e]))
  const cloudBySeq = new Map<number, SyncedEvent>()
  const repeatedInCloud: number[] = []
  for (const e of cloud) {
    if (cloudBySeq.has(e.seq)) repeatedInCloud.push(e.seq)
    cloudBySeq.set(e.seq, e)
  }
  const lastSeq = log.reduce((max, e) => Math.max(max, e.seq), 0)
  const sortedLog = [...log].sort((a, b) => a.seq - b.seq)
  const logNotGapFree = sortedLog.filter((e, i) => e.seq !== i + 1).map((e) => e.seq)

  const missing = sortedLog.filter((e) => !cloudBySeq.has(e.seq)).map((e) => e.seq)
  const unexpected = [...cloudBySeq.keys()].filter((seq) => !logBySeq.has(seq)).concat(repeatedInCloud).sort((a, b) => a - b)
  const mismatched = sortedLog.filter((e) => cloudBySeq.has(e.seq) && !same(e, cloudBySeq.get(e.seq)!)).map((e) => e.seq)

  // Per device, the cloud's telemetry in gateway order.
  const byDevice = new Map<string, SyncedEvent[]>()
  for (const e of [...cloudBySeq.values()].sort((a, b) => a.seq - b.seq)) {
    if (e.kind !== 'telemetry' || e.nodeSeq === null) continue
    let list = byDevice.get(e.deviceId)
    if (!list) byDevice.set(e.deviceId, (list = []))
    list.push(e)
  }
  const duplicates: Duplicate[] = []
  const outOfOrder: SyncReport['outOfOrder'] = []
  const holes: SyncReport['holes'] = []
  let telemetry = 0
  for (const [deviceId, events] of byDevice) {
    telemetry += events.length
    const copies = new Map<number, SyncedEvent[]>()
    let highest = -1
    for (const e of events) {
      const nodeSeq = e.nodeSeq!
      copies.set(nodeSeq, [...(copies.get(nodeSeq) ?? []), e])
      if (nodeSeq <= highest) outOfOrder.push({ deviceId, seq: e.seq, nodeSeq, after: highest })
      highest = Math.max(highest, nodeSeq)
    }
    for (const [nodeSeq, list] of copies)
      if (list.length > 1) duplicates.push({ deviceId, nodeSeq, seqs: list.map((e) => e.seq), bootIds: [...new Set(list.map((e) => e.bootId))] })
    for (let n = 0; n < highest; n++) if (!copies.has(n)) holes.push({ deviceId, nodeSeq: n })
  }

  const ackedMissing: SyncReport['ackedMissing'] = []
  let ackedCount = 0
  for (const [deviceId, seqs] of acked) {
    const held = new Set((byDevice.get(deviceId) ?? []).map((e) => e.nodeSeq))
    for (const nodeSeq of seqs) {
      ackedCount += 1
      if (!held.has(nodeSeq)) ackedMissing.push({ deviceId, nodeSeq })
    }
  }

  const kinds: Record<string, number> = {}
  for (const e of cloudBySeq.values()) kinds[e.kind] = (kinds[e.kind] ?? 0) + 1

  return {
    lastSeq,
    kinds,
    logEvents: log.length,
    cloudEvents: cloud.length,
    telemetry,
    devices: byDevice.size,
    logNotGapFree,
    missing,
    unexpected,
    mismatched,
    duplicates,
    outOfOrder,
    holes,
    ackedMissing,
    acked: ackedCount,
  }
}

/** The faults of a report, each with a few examples; empty when the sync was exactly once and in order. */
export function faults(report: SyncReport): string[] {
  const out: string[] = []
  const show = (what: string, list: readonly unknown[]) => {
    if (list.length > 0) out.push(`${list.length} ${what}, e.g. ${JSON.stringify(list.slice(0, 5))}`)
  }
  show('gaps in the gateway log', report.logNotGapFree)
  show('log events missing in the cloud', report.missing)
  show('cloud events the log never had', report.unexpected)
  show('cloud events that differ from the log', report.mismatched)
  show('readings stored more than once', report.duplicates)
  show('readings out of per-device order', report.outOfOrder)
  show('holes in a device counter', report.holes)
  show('PUBACKed readings missing in the cloud', report.ackedMissing)
  return out
}
