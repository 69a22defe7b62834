/**
 * A gateway log that already holds a long outage's worth of events, written straight
 * into the SQLite file with the gateway's own EventLog (so the schema and envelope are
 * exactly what the gateway writes), before the gateway starts. The `uplink` cursor is 0:
 * none of it is in the cloud yet.
 *
 * The load is a small shop centre's worth of devices reporting once a second: cold rooms,
 * energy meters, ovens and irrigation nodes, each with its own readings and counter,
 * plus a relay state change per device every five minutes (history that still goes first).
 */
import { EventLog, type EventInput } from '../../gateway/src/log/event-log.js'

export interface BacklogOptions {
  path: string
  events: number
  devices: number
  /** Event time of the newest backlog event (epoch ms); the rest go back from it at 1 Hz per device. */
  endAt: number
  /** Device ids are `${prefix}${i}`. */
  prefix?: string
}

export interface Backlog {
  lastSeq: number
  firstTime: number
  lastTime: number
  telemetry: number
  state: number
  writeMs: number
}

const STATE_EVERY_S = 300

/** Smooth, deterministic readings: the same backlog every run, without a PRNG to seed. */
const wave = (device: number, t: number, period: number) => Math.sin((t / period + device * 0.37) * 2 * Math.PI)
const r1 = (n: number) => Math.round(n * 10) / 10

/** The readings device `device` reports at second `t` (also used by bench/tools/ingest-bench.ts). */
export function backlogReadings(device: number, t: number): Record<string, number> {
  switch (device % 4) {
    case 0:
      return { temperature_c: r1(3.5 + 1.2 * wave(device, t, 1800)), humidity_pct: r1(82 + 6 * wave(device, t, 3600)) }
    case 1: {
      const power = Math.round(2400 + 900 * wave(device, t, 900))
      return { power_w: power, voltage_v: r1(220 + 3 * wave(device, t, 60)), current_a: r1(power / 220), energy_kwh: r1(1500 + (device * 37 + t * 0.0007)) }
    }
    case 2:
      return { temperature_c: r1(180 + 40 * wave(device, t, 2400)) }
    default:
      return { soil_moisture_pct: r1(35 + 10 * wave(device, t, 7200)), flow_lpm: r1(Math.max(0, 12 * wave(device, t, 1200))) }
  }
}

export async function writeBacklog(opts: BacklogOptions): Promise<Backlog> {
  const prefix = opts.prefix ?? 'bench-'
  const started = performance.now()
  // Each append is one received second; its receive time is what `now` says then.
  let clock = 0
  const log = new EventLog({
    path: opts.path,
    bootId: 'bench-backlog-boot',
    clockSynced: () => true,
    now: () => clock,
    monoNow: () => clock - firstSecondAt,
    maxBatch: 20_000,
    retention: { maxBytes: 0, maxAgeMs: 0 },
  })
  // On average a second holds one reading per device plus devices/STATE_EVERY_S state changes.
  const seconds = Math.ceil(opts.events / (opts.devices * (1 + 1 / STATE_EVERY_S))) + 1
  const firstSecondAt = opts.endAt - (seconds - 1) * 1000
  const counters = new Array<number>(opts.devices).fill(0)
  let telemetry = 0
  let state = 0
  let written = 0
  let lastTime = 0
  const pending: Promise<unknown>[] = []
  try {
    // Runs until the count is exact; the last second may land a moment after `endAt`.
    for (let s = 0; written < opts.events; s++) {
      const t = firstSecondAt + s * 1000
      const inputs: EventInput[] = []
      for (let d = 0; d < opts.devices && written + inputs.length < opts.events; d++) {
        // Devices report spread over the second, not all at its start.
        const time = t + Math.floor((d * 1000) / opts.devices)
        lastTime = time
        inputs.push({ kind: 'telemetry', deviceId: `${prefix}${d}`, time, body: { seq: counters[d]!++, readings: backlogReadings(d, time / 1000) } })
        telemetry++
        if ((s + d) % STATE_EVERY_S === 0 && written + inputs.length < opts.events) {
          inputs.push({ kind: 'state', deviceId: `${prefix}${d}`, time, body: { state: { relay_1: Math.floor((s + d) / STATE_EVERY_S) % 2 === 0 } } })
          state++
        }
      }
      clock = t + 1000
      written += inputs.length
      pending.push(log.append(inputs))
      // The log commits every maxBatch events on its own; settle the promises now and then.
      if (pending.length >= 500) await Promise.all(pending.splice(0))
    }
    log.flush()
    await Promise.all(pending)
    log.setCursor('uplink', 0)
    return { lastSeq: log.lastSeq(), firstTime: firstSecondAt, lastTime, telemetry, state, writeMs: performance.now() - started }
  } finally {
    log.close()
  }
}
