import { describe, expect, it } from 'vitest'
import type { LogEvent } from '@tendero/protocol'
import { dryRun } from '../../src/rules/dry-run.js'
import { loadPack } from '../../src/rules/packs/index.js'
import { deviceEvent, minutes, stateEvent, telemetry } from '../rule-fixtures.js'

/**
 * Table-driven pack tests: every rule gets a recorded history that makes it fire (at a
 * stated minute) and a near miss that must not, replayed through the real dry run on a
 * virtual clock in the pack's time zone. Times are minutes from T0.
 */

/** Monday 2026-01-05 09:00 in Buenos Aires (12:00 UTC). */
export const T0 = Date.UTC(2026, 0, 5, 12, 0, 0)
const at = (m: number) => T0 + minutes(m)

/** Minutes from T0 to local `HH:MM` on the day `dayOffset` days after Monday. */
export const local = (hhmm: string, dayOffset = 0) => dayOffset * 1440 + Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3)) - 9 * 60

export const reading = (deviceId: string, readings: Record<string, number>, m: number) => telemetry(deviceId, readings, at(m))
export const event = (deviceId: string, kind: string, m: number, data?: Record<string, string | number | boolean>) =>
  deviceEvent(deviceId, kind, at(m), data)
export const state = (deviceId: string, s: Record<string, string | number | boolean>, m: number) => stateEvent(deviceId, s, at(m))

/** One metric over time: `[[minute, value], ...]`. */
export const series = (deviceId: string, metric: string, points: [number, number][]) =>
  points.map(([m, v]) => reading(deviceId, { [metric]: v }, m))

/** `n` events `every` minutes apart starting at `from`. */
export const repeated = (n: number, every: number, from: number, make: (m: number) => LogEvent) =>
  Array.from({ length: n }, (_, i) => make(from + i * every))

export interface Scenario {
  events: LogEvent[]
  /** Keep the virtual clock running to this minute after the last event. */
  until?: number
  /** Virtual tick, in seconds (default 1). */
  tickSeconds?: number
}

export interface RuleCase {
  /** What happens, in words, for the test name. */
  fires: string
  firing: Scenario & { /** Minute the rule must fire at (±1 tick). */ at: number }
  nearMiss: string
  notFiring: Scenario
}

function replay(rule: Parameters<typeof dryRun>[0], s: Scenario, timeZone: string) {
  return dryRun(rule, s.events, {
    timeZone,
    tickMs: (s.tickSeconds ?? 1) * 1000,
    ...(s.until !== undefined ? { until: at(s.until) } : {}),
  })
}

/** Registers, for each rule of the pack, one firing and one near-miss test; every rule must have a case. */
export function describePack(packName: string, cases: Record<string, RuleCase>): void {
  const pack = loadPack(packName)
  describe(`rule pack ${packName}`, () => {
    it('has a firing and a near-miss scenario for every rule, and none for rules it lacks', () => {
      expect(Object.keys(cases).sort()).toEqual(pack.rules.map((r) => r.id).sort())
    })
    for (const rule of pack.rules) {
      const c = cases[rule.id]
      if (!c) continue
      it(`${rule.id} fires: ${c.fires}`, () => {
        const fires = replay(rule, c.firing, pack.timezone).filter((t) => t.transition === 'fire')
        expect(fires.length, 'fires').toBeGreaterThan(0)
        const minute = (fires[0]!.time - T0) / 60_000
        expect(Math.abs(minute - c.firing.at), `fired at minute ${minute}`).toBeLessThanOrEqual((c.firing.tickSeconds ?? 1) / 60)
      })
      it(`${rule.id} does not fire: ${c.nearMiss}`, () => {
        const fires = replay(rule, c.notFiring, pack.timezone).filter((t) => t.transition === 'fire')
        expect(fires.map((t) => (t.time - T0) / 60_000)).toEqual([])
      })
    }
  })
}
