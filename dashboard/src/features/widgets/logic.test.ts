import { describe, expect, it } from 'vitest'
import { accessReads } from './access.js'
import { effectiveBand, outOfBand } from './bands.js'
import { circuitOfMetric, circuits, todayKwh } from './energy.js'
import { freshness, reportIntervalMs, staleAfterMs } from './freshness.js'
import { arcPath, gaugeFraction, gaugeScale } from './gauge.js'
import { co2Level, moistureLevel } from './levels.js'
import { formatReading } from './readings.js'

describe('bands', () => {
  it('falls back to the kind default and flags readings outside', () => {
    expect(effectiveBand('freezer', null)).toEqual({ minC: null, maxC: -18, origin: 'default' })
    expect(effectiveBand('oven', null)).toBeNull()
    expect(effectiveBand('cold_room', { minC: null, maxC: null })).toEqual({ minC: 0, maxC: 5, origin: 'default' })
    expect(outOfBand({ minC: 0, maxC: 5 }, 5.1)).toBe('high')
    expect(outOfBand({ minC: 0, maxC: 5 }, -0.1)).toBe('low')
    expect(outOfBand({ minC: null, maxC: -18 }, -30)).toBeNull()
  })
})

describe('freshness', () => {
  it('takes the median gap between readings as the period', () => {
    expect(reportIntervalMs([{ time: 0, value: 1 }])).toBeNull()
    expect(reportIntervalMs([0, 10, 20, 90, 100].map((time) => ({ time, value: 0 })))).toBe(10)
    expect(staleAfterMs(null)).toBe(120_000)
    expect(staleAfterMs(60_000)).toBe(180_000)
    expect(freshness(null, 0, null)).toBe('never')
    expect(freshness(0, 121_000, null)).toBe('stale')
  })
})

describe('gauge', () => {
  it('spans the band with a margin and takes in a value outside it', () => {
    expect(gaugeScale({ minC: 0, maxC: 5 }, 3)).toEqual({ min: -5, max: 10 })
    expect(gaugeScale({ minC: 0, maxC: 5 }, 14.2)).toEqual({ min: -5, max: 16 })
    expect(gaugeScale({ minC: null, maxC: -18 }, undefined)).toEqual({ min: -33, max: -13 })
    expect(gaugeFraction({ min: 0, max: 10 }, 5)).toBe(0.5)
    expect(gaugeFraction({ min: 0, max: 10 }, 50)).toBe(1)
    expect(arcPath(0, 1, 80, 100, 95)).toBe('M 20.00 95.00 A 80 80 0 0 1 180.00 95.00')
  })
})

describe('energy', () => {
  it('finds circuits in metric names and switched loads', () => {
    expect(circuitOfMetric('power_kw')).toBeNull()
    expect(circuitOfMetric('power_kw_horno')).toBe('horno')
    expect(circuitOfMetric('luces_kw')).toBe('luces')
    const list = circuits(
      { power_kw: { value: 2 }, power_kw_heladera: { value: 0.6 }, luces_kw: { value: 0.9 } },
      { heladera: { value: true }, cartel: { value: false }, mode: { value: 'auto' } },
    )
    expect(list).toEqual([
      { name: 'luces', powerKw: 0.9 },
      { name: 'heladera', powerKw: 0.6, on: true },
      { name: 'cartel', on: false },
    ])
  })

  it("counts today's energy from the counter at midnight", () => {
    expect(todayKwh(12.5, 10)).toBe(2.5)
    expect(todayKwh(12.5, null)).toBeNull()
    expect(todayKwh(1, 10)).toBeNull()
  })
})

describe('levels and readings', () => {
  it('colours soil moisture and CO2 as the rule packs do', () => {
    expect(moistureLevel(25)).toBe('dry')
    expect(moistureLevel(50)).toBe('moist')
    expect(moistureLevel(80)).toBe('wet')
    expect(co2Level(600)).toBe('good')
    expect(co2Level(1000)).toBe('fair')
    expect(co2Level(1600)).toBe('poor')
  })

  it('formats readings by their unit suffix in the locale', () => {
    expect(formatReading('temperature_c', 4.25, 'es-AR')).toBe('4,3 °C')
    expect(formatReading('co2_ppm', 1234, 'es-AR')).toBe('1.234 ppm')
    expect(formatReading('co2_ppm', 12345, 'en')).toBe('12,345 ppm')
    expect(formatReading('rain_mm_h', 2, 'en')).toBe('2.0 mm/h')
    expect(formatReading('energy_kwh', 1.5, 'es-AR')).toBe('1,50 kWh')
    expect(formatReading('soil_moisture_pct', 41.6, 'es-AR')).toBe('42 %')
    expect(formatReading('people', 7, 'es-AR')).toBe('7')
  })
})

describe('access reads', () => {
  it("keeps the reader's decisions, newest first", () => {
    const item = (seq: number, deviceId: string, body: unknown, kind = 'access') => ({
      siteId: 's', siteName: 'S', gatewayId: 'gw', seq, kind, deviceId, time: 1000 + seq, body,
    })
    const reads = accessReads(
      [
        item(1, 'lector', { cardId: 'A1', doorId: 'vip', allow: true, reason: 'allowed', holder: 'Ana' }),
        item(2, 'lector', { cardId: 'B2', doorId: 'vip', allow: false, reason: 'unknown_card' }),
        item(3, 'otro', { cardId: 'C3', doorId: 'x', allow: true, reason: 'allowed' }),
        item(4, 'lector', { doorId: 'vip', allow: true, reason: 'remote_open', source: 'cloud' }),
        item(5, 'lector', { nonsense: true }),
        item(6, 'lector', { allow: true }, 'payment'),
      ],
      'lector',
    )
    expect(reads.map((r) => [r.key, r.allow, r.reason, r.remote])).toEqual([
      ['gw:4', true, 'remote_open', true],
      ['gw:2', false, 'unknown_card', false],
      ['gw:1', true, 'allowed', false],
    ])
    expect(reads[2]!.holder).toBe('Ana')
  })
})
