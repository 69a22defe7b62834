import type { ColdRoomNodeSnapshot } from './devices/cold-room-node.js'
import type { ColdRoomFleetSnapshot } from './devices/cold-room-fleet.js'

function clock(seconds: number): string {
  const s = Math.floor(seconds)
  const hh = String(Math.floor(s / 3600)).padStart(2, '0')
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0')
  const ss = String(s % 60).padStart(2, '0')
  return `${hh}:${mm}:${ss}`
}

/** One human line, e.g. `camara-1 online | 5.3 °C | compressor ON | door closed (2 openings) | sent 42 | sim 00:14:00 ×20`. */
export function formatStatus(snap: ColdRoomNodeSnapshot, speed: number): string {
  const sent = snap.sent.telemetry + snap.sent.state + snap.sent.event + snap.sent.ack
  return [
    `${snap.deviceId} ${snap.connected ? 'online' : 'offline (connecting…)'}`,
    `${snap.temperatureC.toFixed(1)} °C`,
    `compressor ${snap.compressor ? 'ON' : 'off'}${snap.failsafe ? ' (FAIL-SAFE)' : ''}`,
    `door ${snap.doorOpen ? 'OPEN' : 'closed'} (${snap.doorOpenings} openings)`,
    `sent ${sent} (telemetry ${snap.sent.telemetry}, acks ${snap.sent.ack})`,
    `sim ${clock(snap.simulatedS)} ×${speed}`,
  ].join(' | ')
}

/** A fleet in one line: `50 rooms, 50 online | 0 in fail-safe | sent 3050 (telemetry 3000, acks 0) | sim 00:05:00 ×10`. */
export function formatFleetStatus(snap: ColdRoomFleetSnapshot, speed: number): string {
  const sent = snap.sent.telemetry + snap.sent.state + snap.sent.event + snap.sent.ack
  return [
    `${snap.devices} rooms, ${snap.online} online`,
    `${snap.failsafe} in fail-safe`,
    `sent ${sent} (telemetry ${snap.sent.telemetry}, acks ${snap.sent.ack})`,
    `sim ${clock(snap.simulatedS)} ×${speed}`,
  ].join(' | ')
}

type Snapshot = ColdRoomNodeSnapshot | ColdRoomFleetSnapshot

export interface StatusReporter {
  update(snap: Snapshot): void
  /**
   * Print the last status (if given) and leave the cursor on a fresh line so whatever is
   * printed next is not glued to the status.
   */
  done(last?: Snapshot): void
}

/**
 * On a terminal the line is rewritten in place; piped to a file or journald it becomes
 * one plain line every `logEveryMs`, since carriage returns would only garble the log.
 */
export function createStatusReporter(
  stream: NodeJS.WriteStream,
  speed: number,
  logEveryMs = 10_000,
  now: () => number = Date.now,
): StatusReporter {
  const tty = stream.isTTY === true
  let lastLogAt = Number.NEGATIVE_INFINITY
  let wroteInPlace = false
  return {
    update(snap) {
      const line = 'nodes' in snap ? formatFleetStatus(snap, speed) : formatStatus(snap, speed)
      if (tty) {
        const width = stream.columns ?? 0
        stream.write(`\r\x1b[2K${width > 1 && line.length >= width ? `${line.slice(0, width - 2)}…` : line}`)
        wroteInPlace = true
      } else if (now() - lastLogAt >= logEveryMs) {
        lastLogAt = now()
        stream.write(`${new Date(lastLogAt).toISOString()} ${line}\n`)
      }
    },
    done(last) {
      if (last) {
        lastLogAt = Number.NEGATIVE_INFINITY
        this.update(last)
      }
      if (wroteInPlace) stream.write('\n')
      wroteInPlace = false
    },
  }
}
