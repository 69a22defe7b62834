import { createWriteStream, type WriteStream } from 'node:fs'
import type { UpstreamChannel } from '@tendero/protocol'

/** One line of the ack log: a telemetry reading the gateway acknowledged (PUBACK). */
export interface AckRecord {
  deviceId: string
  /** The node's own counter (Telemetry.seq). */
  seq: number
}

/**
 * Appends one JSON line per acknowledged telemetry reading, for crash tests that must
 * prove every reading the gateway vouched for reached the cloud. Only telemetry carries
 * a counter that names a message, so other channels are not recorded. Lines are buffered:
 * if the simulator itself is killed the file may miss its last acks, never claim extra ones.
 */
export class AckLog {
  private readonly stream: WriteStream
  private failed: Error | undefined

  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { flags: 'a' })
    this.stream.on('error', (err) => (this.failed = err))
  }

  record(deviceId: string, channel: UpstreamChannel, payload: unknown): void {
    if (channel !== 'telemetry') return
    const seq = (payload as { seq?: unknown }).seq
    if (typeof seq !== 'number') return
    this.stream.write(`${JSON.stringify({ deviceId, seq } satisfies AckRecord)}\n`)
  }

  /** Flushes and closes; rejects if any write failed, so a test never reads a silently short file. */
  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stream.end(() => (this.failed ? reject(this.failed) : resolve()))
    })
  }
}

/** Parses an ack log into acknowledged counters per device. A last line cut short (a killed writer) is ignored. */
export function readAckLog(text: string): Map<string, Set<number>> {
  const acked = new Map<string, Set<number>>()
  const lines = text.split('\n')
  lines.pop()
  for (const [i, line] of lines.entries()) {
    let record: AckRecord
    try {
      record = JSON.parse(line) as AckRecord
    } catch {
      throw new Error(`ack log line ${i + 1} is not JSON: ${line.slice(0, 80)}`)
    }
    if (typeof record.deviceId !== 'string' || !Number.isInteger(record.seq)) throw new Error(`ack log line ${i + 1} lacks deviceId or seq`)
    let seqs = acked.get(record.deviceId)
    if (!seqs) acked.set(record.deviceId, (seqs = new Set()))
    seqs.add(record.seq)
  }
  return acked
}
