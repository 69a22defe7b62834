import { describe, expect, it } from 'vitest'
import { tickLabel } from './axis.js'
import { metricsOfItems } from './metrics.js'
import {
  DAY_MS,
  fromLocalInput,
  HOUR_MS,
  MIN_RANGE_MS,
  presetRange,
  resolutionFor,
  selectionRange,
  startOfDay,
  toLocalInput,
  zoom,
  zoneOffsetMs,
} from './range.js'

const BA = 'America/Argentina/Buenos_Aires'
const MADRID = 'Europe/Madrid'
// 2026-11-21 15:00 UTC = 12:00 in Buenos Aires (UTC-3).
const NOW = Date.UTC(2026, 10, 21, 15, 0, 0)

describe('time zone helpers', () => {
  it("finds the shop's midnight, not the browser's", () => {
    expect(zoneOffsetMs(NOW, BA)).toBe(-3 * HOUR_MS)
    expect(startOfDay(NOW, BA)).toBe(Date.UTC(2026, 10, 21, 3))
    // 02:00 UTC is still the 20th in Buenos Aires.
    expect(startOfDay(Date.UTC(2026, 10, 21, 2), BA)).toBe(Date.UTC(2026, 10, 20, 3))
    expect(startOfDay(NOW, MADRID)).toBe(Date.UTC(2026, 10, 20, 23))
  })

  it('keeps midnight right across a daylight-saving change', () => {
    // Madrid moves to summer time on 2026-03-29 at 02:00; that day starts at 00:00 CET (UTC+1).
    expect(startOfDay(Date.UTC(2026, 2, 29, 12), MADRID)).toBe(Date.UTC(2026, 2, 28, 23))
    expect(startOfDay(Date.UTC(2026, 2, 30, 12), MADRID)).toBe(Date.UTC(2026, 2, 29, 22))
  })

  it("round-trips the custom range's inputs on the site's clock", () => {
    expect(toLocalInput(NOW, BA)).toBe('2026-11-21T12:00')
    expect(fromLocalInput('2026-11-21T12:00', BA)).toBe(NOW)
    expect(fromLocalInput('2026-11-21T12:00', MADRID)).toBe(Date.UTC(2026, 10, 21, 11))
    expect(fromLocalInput('nope', BA)).toBeNull()
  })
})

describe('presets and resolution', () => {
  it('reads today from local midnight, the week and the month back from now', () => {
    expect(presetRange('day', NOW, BA)).toEqual({ from: Date.UTC(2026, 10, 21, 3), to: NOW })
    expect(presetRange('week', NOW, BA)).toEqual({ from: NOW - 7 * DAY_MS, to: NOW })
    expect(presetRange('month', NOW, BA)).toEqual({ from: NOW - 30 * DAY_MS, to: NOW })
  })

  it("picks what the cloud's auto resolution picks", () => {
    expect(resolutionFor({ from: 0, to: 2 * HOUR_MS })).toBe('raw')
    expect(resolutionFor({ from: 0, to: 2 * HOUR_MS + 1 })).toBe('1m')
    expect(resolutionFor({ from: 0, to: 2 * DAY_MS })).toBe('1m')
    expect(resolutionFor({ from: 0, to: 7 * DAY_MS })).toBe('1h')
    expect(resolutionFor(presetRange('day', NOW, BA))).toBe('1m')
    expect(resolutionFor(presetRange('month', NOW, BA))).toBe('1h')
  })
})

describe('zoom', () => {
  const week = { from: NOW - 7 * DAY_MS, to: NOW }

  it('keeps a range that runs up to now at now, and gets finer as it narrows', () => {
    const steps = [week]
    while (resolutionFor(steps[steps.length - 1]!) !== 'raw') steps.push(zoom(steps[steps.length - 1]!, 2, NOW))
    expect(steps.every((r) => r.to === NOW)).toBe(true)
    expect(steps.map(resolutionFor)).toEqual(['1h', '1h', '1m', '1m', '1m', '1m', '1m', 'raw'])
  })

  it('zooms an older range around its middle, and never past now nor under five minutes', () => {
    const old = { from: NOW - 3 * DAY_MS, to: NOW - DAY_MS }
    expect(zoom(old, 2, NOW)).toEqual({ from: NOW - 2.5 * DAY_MS, to: NOW - 1.5 * DAY_MS })
    expect(zoom({ from: NOW - 2 * DAY_MS, to: NOW - DAY_MS }, 0.25, NOW)).toEqual({ from: NOW - 4 * DAY_MS, to: NOW })
    const tight = zoom({ from: NOW - DAY_MS, to: NOW - DAY_MS + MIN_RANGE_MS }, 2, NOW)
    expect(tight.to - tight.from).toBe(MIN_RANGE_MS)
  })

  it('turns a drag into a range inside the shown one', () => {
    expect(selectionRange(NOW - HOUR_MS, NOW - 3 * HOUR_MS, week)).toEqual({ from: NOW - 3 * HOUR_MS, to: NOW - HOUR_MS })
    expect(selectionRange(NOW - HOUR_MS, NOW + HOUR_MS, week)).toEqual({ from: NOW - HOUR_MS, to: NOW })
    expect(selectionRange(NOW - 2 * HOUR_MS, NOW - 2 * HOUR_MS + 10_000, week)).toBeNull()
    expect(selectionRange(NOW - 2 * HOUR_MS, NOW - 2 * HOUR_MS + 2 * 60_000, week)).toEqual({
      from: NOW - 2 * HOUR_MS + 60_000 - MIN_RANGE_MS / 2,
      to: NOW - 2 * HOUR_MS + 60_000 + MIN_RANGE_MS / 2,
    })
  })
})

describe('axis labels and metrics', () => {
  it("labels ticks on the site's clock, as fine as the span needs", () => {
    expect(tickLabel(NOW, HOUR_MS, 'es-AR', BA)).toBe('12:00')
    expect(tickLabel(NOW, 30 * DAY_MS, 'es-AR', BA)).toMatch(/^21 nov/)
    expect(tickLabel(NOW, 3 * DAY_MS, 'en', BA)).toMatch(/^Sat/)
  })

  it("lists a device's metrics, its widget's first", () => {
    const item = (deviceId: string, metric: string) => ({ time: 0, deviceId, metric, value: 1 })
    expect(
      metricsOfItems([item('c', 'door_open'), item('c', 'zz'), item('c', 'temperature_c'), item('x', 'power_kw')], 'c', ['temperature_c', 'evaporator_c', 'door_open']),
    ).toEqual(['temperature_c', 'door_open', 'zz'])
  })
})
