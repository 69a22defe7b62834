import { describe, expect, it } from 'vitest'
import { createStatusReporter, formatFleetStatus, formatStatus } from './status-line.js'
import type { ColdRoomNodeSnapshot } from './devices/cold-room-node.js'

const snap: ColdRoomNodeSnapshot = {
  deviceId: 'camara-1',
  connected: true,
  temperatureC: 5,
  compressor: true,
  relays: {},
  failsafe: false,
  failsafes: { compressor: { mode: 'off' } },
  doorOpen: false,
  doorOpenings: 2,
  simulatedS: 840,
  sent: { telemetry: 39, state: 2, event: 0, ack: 1 },
  commands: { applied: 1, refused: 0, invalid: 0 },
}

function fakeStream(isTTY: boolean) {
  const writes: string[] = []
  const stream = { isTTY, columns: 200, write: (s: string) => writes.push(s) > 0 } as unknown as NodeJS.WriteStream
  return { stream, writes }
}

describe('status line', () => {
  it('says device, temperature, relay, door and messages sent', () => {
    expect(formatStatus(snap, 20)).toBe(
      'camara-1 online | 5.0 °C | compressor ON | door closed (2 openings) | sent 42 (telemetry 39, acks 1) | sim 00:14:00 ×20',
    )
  })

  it('says when the node runs its relays in fail-safe', () => {
    expect(formatStatus({ ...snap, connected: false, failsafe: true }, 20)).toContain('| compressor ON (FAIL-SAFE) |')
  })

  it('sums a fleet into one line', () => {
    const fleet = { devices: 50, online: 48, failsafe: 2, sent: { telemetry: 3000, state: 50, event: 0, ack: 0 }, simulatedS: 300, nodes: [snap] }
    expect(formatFleetStatus(fleet, 10)).toBe('50 rooms, 48 online | 2 in fail-safe | sent 3050 (telemetry 3000, acks 0) | sim 00:05:00 ×10')
    const { stream, writes } = fakeStream(false)
    createStatusReporter(stream, 10).update(fleet)
    expect(writes[0]).toContain('50 rooms, 48 online')
  })

  it('rewrites in place on a terminal', () => {
    const { stream, writes } = fakeStream(true)
    const status = createStatusReporter(stream, 1)
    status.update(snap)
    status.update(snap)
    status.done()
    expect(writes).toHaveLength(3)
    expect(writes[0]!.startsWith('\r\x1b[2K')).toBe(true)
    expect(writes[2]).toBe('\n')
  })

  it('logs a plain line every 10 s otherwise, and the last one on exit', () => {
    const { stream, writes } = fakeStream(false)
    let now = 0
    const status = createStatusReporter(stream, 1, 10_000, () => now)
    status.update(snap)
    now = 5_000
    status.update(snap)
    now = 10_000
    status.update(snap)
    status.done(snap)
    expect(writes).toHaveLength(3)
    expect(writes.every((w) => w.endsWith('\n') && !w.includes('\r'))).toBe(true)
  })
})
