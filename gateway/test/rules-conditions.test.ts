import { describe, expect, it } from 'vitest'
import { dryRun } from '../src/rules/dry-run.js'
import { explainRule, type RuleSpec } from '../src/rules/registry.js'
import type { ConditionNode } from '../src/rules/kinds.js'
import { deviceEvent, minutes, stateEvent, telemetry } from './rule-fixtures.js'

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0) // Monday 09:00 in Buenos Aires (UTC-3)
const rule = (when: ConditionNode): RuleSpec => ({ id: 'r', when, actions: [{ kind: 'state.set', name: 'x', value: true }] })
const at = (m: number) => T0 + minutes(m)
const transitions = (when: ConditionNode, events: Parameters<typeof dryRun>[1], until?: number) =>
  dryRun(rule(when), events, { ...(until !== undefined ? { until } : {}) }).map((t) => [t.transition, (t.time - T0) / 60_000])

describe('threshold (through the dry run)', () => {
  const when = { kind: 'threshold', deviceId: 'horno-1', metric: 'temperature_c', above: 5, forSeconds: 120, hysteresis: 0.5 }
  it('fires when held, on a virtual tick between sparse readings, and re-arms past the hysteresis', () => {
    const events = [telemetry('horno-1', { temperature_c: 6 }, at(0)), telemetry('horno-1', { temperature_c: 4.4 }, at(10))]
    expect(transitions(when, events)).toEqual([['fire', 2], ['rearm', 10]])
  })
  it('does not fire on a spike shorter than the hold', () => {
    const events = [telemetry('horno-1', { temperature_c: 6 }, at(0)), telemetry('horno-1', { temperature_c: 4 }, at(1))]
    expect(transitions(when, events, at(30))).toEqual([])
  })
})

describe('rate_of_change', () => {
  const when = { kind: 'rate_of_change', deviceId: 'horno-1', metric: 'temperature_c', direction: 'falling', perMinute: 5, windowSeconds: 120 }
  const series = (values: number[]) => values.map((v, i) => telemetry('horno-1', { temperature_c: v }, at(i * 0.5)))

  it('fires when the oven falls faster than 5 °C/min over the window, re-arms when it steadies', () => {
    // 220 → 196 in 2 minutes (−12 °C/min), then flat.
    const events = series([220, 214, 208, 202, 196, 196, 196, 196, 196, 196])
    expect(transitions(when, events)).toEqual([['fire', 1], ['rearm', 3.5]])
  })
  it('does not fire on a slow fall, nor on a fast rise', () => {
    expect(transitions(when, series([220, 219, 218, 217, 216, 215]))).toEqual([])
    expect(transitions(when, series([150, 170, 190, 210, 230]))).toEqual([])
    expect(transitions({ ...when, direction: 'rising' }, series([150, 170, 190, 210, 230]))).toEqual([['fire', 1]])
  })
})

describe('stale', () => {
  const when = { kind: 'stale', deviceId: 'sensor-1', afterSeconds: 300 }
  it('fires on the tick after N s without data and re-arms on the next message', () => {
    const events = [telemetry('sensor-1', { temperature_c: 4 }, at(0)), telemetry('sensor-1', { temperature_c: 4 }, at(20))]
    expect(transitions(when, events)).toEqual([['fire', 5], ['rearm', 20]])
  })
  it('does not fire while data keeps coming, nor for another device or for a metric it does not carry', () => {
    const steady = [0, 4, 8, 12].map((m) => telemetry('sensor-1', { temperature_c: 4 }, at(m)))
    expect(transitions(when, steady, at(16))).toEqual([])
    const other = [...steady, telemetry('sensor-2', { temperature_c: 4 }, at(14))]
    expect(transitions(when, other, at(18))).toEqual([['fire', 17]])
    const wrongMetric = [0, 4, 8].map((m) => telemetry('sensor-1', { humidity_pct: 50 }, at(m)))
    expect(transitions({ ...when, metric: 'temperature_c' }, [telemetry('sensor-1', { temperature_c: 4 }, at(0)), ...wrongMetric], at(9))).toEqual([
      ['fire', 5],
    ])
  })
})

describe('schedule (site time zone)', () => {
  const lights = { kind: 'schedule', windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '10:00', to: '20:00' }] }
  const tick = (m: number) => telemetry('x', { v: 0 }, at(m))

  it('fires at 10:00 and re-arms at 20:00 Buenos Aires time (13:00 and 23:00 UTC)', () => {
    const out = dryRun(rule(lights), [tick(0)], { until: at(16 * 60), tickMs: 60_000 })
    expect(out.map((t) => [t.transition, new Date(t.time).toISOString(), t.deviceId])).toEqual([
      ['fire', '2026-01-05T13:00:00.000Z', 'gateway'],
      ['rearm', '2026-01-05T23:00:00.000Z', 'gateway'],
    ])
  })
  it('does not fire on a day outside the window, and a window may cross midnight', () => {
    const saturday = Date.UTC(2026, 0, 10, 12, 0, 0)
    expect(dryRun(rule(lights), [telemetry('x', { v: 0 }, saturday)], { until: saturday + minutes(20 * 60), tickMs: 60_000 })).toEqual([])
    const night = { kind: 'schedule', windows: [{ days: ['fri'], from: '22:00', to: '06:00' }] }
    const friday = Date.UTC(2026, 0, 9, 12, 0, 0) // 09:00 local
    const out = dryRun(rule(night), [telemetry('x', { v: 0 }, friday)], { until: friday + minutes(24 * 60), tickMs: 60_000 })
    expect(out.map((t) => [t.transition, new Date(t.time).toISOString()])).toEqual([
      ['fire', '2026-01-10T01:00:00.000Z'], // Friday 22:00 local
      ['rearm', '2026-01-10T09:00:00.000Z'], // Saturday 06:00 local
    ])
  })
  it('follows the configured time zone', () => {
    const out = dryRun(rule(lights), [tick(0)], { until: at(16 * 60), tickMs: 60_000, timeZone: 'UTC' })
    expect(out[0]!.time).toBe(Date.UTC(2026, 0, 5, 12, 1, 0)) // already inside 10:00-20:00 UTC: fires on the first tick
  })
})

describe('counter', () => {
  const door = { kind: 'counter', deviceId: 'camara-1', event: 'door.opened', windowSeconds: 3600, moreThan: 3 }
  it('fires when the door opens more than 3 times in an hour, re-arms when openings slide out', () => {
    const events = [0, 10, 20, 30].map((m) => deviceEvent('camara-1', 'door.opened', at(m)))
    expect(transitions(door, events, at(120))).toEqual([['fire', 30], ['rearm', 60]])
  })
  it('does not fire on openings spread over more than the window, on other events, or data that does not match', () => {
    expect(transitions(door, [0, 25, 50, 75, 100].map((m) => deviceEvent('camara-1', 'door.opened', at(m))))).toEqual([])
    expect(transitions(door, [0, 1, 2, 3].map((m) => deviceEvent('camara-1', 'door.closed', at(m))))).toEqual([])
    const filtered = { ...door, data: { door: 'camara' } }
    const mixed = [0, 1, 2, 3].map((m) => deviceEvent('camara-1', 'door.opened', at(m), { door: m === 3 ? 'oficina' : 'camara' }))
    expect(transitions(filtered, mixed)).toEqual([])
    expect(transitions(filtered, [...mixed, deviceEvent('camara-1', 'door.opened', at(4), { door: 'camara' })])).toEqual([['fire', 4]])
  })
  it('counts a metric crossing its limit, not every reading past it', () => {
    const co2 = { kind: 'counter', deviceId: 'sala-1', metric: 'co2_ppm', above: 1000, windowSeconds: 3600, moreThan: 1 }
    const readings = [1200, 1300, 1250].map((v, i) => telemetry('sala-1', { co2_ppm: v }, at(i)))
    expect(transitions(co2, readings)).toEqual([])
    const twice = [...readings, telemetry('sala-1', { co2_ppm: 900 }, at(5)), telemetry('sala-1', { co2_ppm: 1100 }, at(6))]
    expect(transitions(co2, twice)).toEqual([['fire', 6]])
  })
})

describe('all / any', () => {
  const doorOpen = { kind: 'threshold', deviceId: 'camara-1', metric: 'door_open', above: 0.5, forSeconds: 60 }
  const closedHours = { kind: 'schedule', windows: [{ days: ['mon'], from: '20:00', to: '08:00' }] }
  it('all: door open a minute, only after hours; re-arms for the same device when the door closes', () => {
    const when = { kind: 'all', conditions: [doorOpen, closedHours] }
    const dayEvents = [telemetry('camara-1', { door_open: 1 }, at(0)), telemetry('camara-1', { door_open: 0 }, at(30))]
    expect(transitions(when, dayEvents)).toEqual([])
    const night = at(12 * 60) // 21:00 local
    const out = dryRun(rule(when), [telemetry('camara-1', { door_open: 1 }, night), telemetry('camara-1', { door_open: 0 }, night + minutes(5))])
    expect(out.map((t) => [t.transition, (t.time - night) / 60_000, t.deviceId])).toEqual([
      ['fire', 1, 'camara-1'],
      ['rearm', 5, 'camara-1'],
    ])
  })
  it('any with a combined duration: either cold room warm for 3 minutes in total', () => {
    const warm = (deviceId: string) => ({ kind: 'threshold', deviceId, metric: 'temperature_c', above: 5, forSeconds: 0 })
    const when = { kind: 'any', conditions: [warm('camara-1'), warm('camara-2')], forSeconds: 180 }
    const events = [
      telemetry('camara-1', { temperature_c: 6 }, at(0)),
      telemetry('camara-2', { temperature_c: 6 }, at(1)),
      telemetry('camara-1', { temperature_c: 4 }, at(2)),
    ]
    expect(transitions(when, events, at(10))).toEqual([['fire', 3]])
    expect(transitions(when, events.slice(0, 1).concat(telemetry('camara-1', { temperature_c: 4 }, at(2))), at(10))).toEqual([])
  })
})

describe('state', () => {
  it('fires while a named state has the value, from state events of device gateway', () => {
    const when = { kind: 'state', key: 'modo', equals: 'noche' }
    const events = [stateEvent('gateway', { modo: 'noche' }, at(1)), stateEvent('gateway', { modo: 'dia' }, at(2))]
    expect(transitions(when, events)).toEqual([['fire', 1], ['rearm', 2]])
    expect(transitions({ ...when, deviceId: 'camara-1', key: 'compressor', equals: true }, [stateEvent('camara-1', { compressor: false }, at(1))])).toEqual([])
  })
})

describe('rule validation', () => {
  const explain = (when: unknown, extra: Record<string, unknown> = {}) =>
    explainRule({ id: 'r', when, actions: [{ kind: 'notify', channel: 'sms', audience: 'owner', message: 'hola' }], ...extra }, '/rules/0')

  it('points at the bad field of a nested condition', () => {
    const nested = (window: Record<string, unknown>) => ({
      kind: 'all',
      conditions: [{ kind: 'stale', deviceId: 'a', afterSeconds: 10 }, { kind: 'schedule', windows: [window] }],
    })
    expect(explain(nested({ days: ['lun'], from: '08:00', to: '20:00' }))[0]).toMatch(/^\/rules\/0\/when\/conditions\/1\/windows\/0\/days\/0: /)
    expect(explain(nested({ days: ['mon'], from: '8:00', to: '20:00' }))[0]).toMatch(/^\/rules\/0\/when\/conditions\/1\/windows\/0\/from: /)
    expect(explain({ kind: 'any', conditions: [{ kind: 'magic' }] })).toEqual([
      expect.stringMatching(/^\/rules\/0\/when\/conditions\/0\/kind: unknown condition kind "magic"/),
    ])
  })
  it('checks cross-field rules per kind and refuses unknown fields', () => {
    expect(explain({ kind: 'counter', deviceId: 'a', windowSeconds: 60, moreThan: 1 })).toEqual(['/rules/0/when: set exactly one of "event" or "metric"'])
    expect(explain({ kind: 'schedule', windows: [{ days: ['mon'], from: '08:00', to: '08:00' }] })[0]).toMatch(/from" different/)
    expect(explain({ kind: 'stale', deviceId: 'a', afterSeconds: 10, after: 3 })[0]).toMatch(/^\/rules\/0\/when/)
    expect(explain({ kind: 'stale', deviceId: 'a', afterSeconds: 10 })).toEqual([])
  })
  it('keeps rule publishes out of device topics and checks the alarm policy', () => {
    const stale = { kind: 'stale', deviceId: 'a', afterSeconds: 10 }
    expect(explain(stale, { actions: [{ kind: 'publish', topic: 'tendero/v1/camara-1/cmd' }] })[0]).toMatch(/^\/rules\/0\/actions\/0: "topic" must be under/)
    expect(explain(stale, { actions: [{ kind: 'publish', topic: 'tendero/v1/$gateway/luces' }] })).toEqual([])
    expect(explain(stale, { alarm: { severity: 'fatal', message: 'x' } })[0]).toMatch(/^\/rules\/0\/alarm\/severity/)
    expect(explain(stale, { actions: [] })).toEqual(['/rules/0: a rule needs at least one action or an alarm'])
  })
})
