import { describe, expect, it } from 'vitest'
import { ReadingFilter, inputValue, scaleReading } from './readings.js'

describe('scaleReading', () => {
  it('is raw * scale + offset, identity by default', () => {
    expect(scaleReading(512, {})).toBe(512)
    expect(scaleReading(100, { scale: 0.5, offset: -10 })).toBe(40)
  })
  it('rounds to decimals without floating-point residue', () => {
    expect(scaleReading(3, { scale: 0.1 })).not.toBe(0.3)
    expect(scaleReading(3, { scale: 0.1, decimals: 1 })).toBe(0.3)
    // An LM35 on a 5 V, 10-bit ADC: 153 counts is 74.78… °C.
    expect(scaleReading(153, { scale: 500 / 1023, decimals: 1 })).toBe(74.8)
    expect(scaleReading(153, { scale: 500 / 1023, decimals: 0 })).toBe(75)
  })
})

describe('ReadingFilter', () => {
  it('logs the first value, then only moves beyond the threshold', () => {
    const f = new ReadingFilter({ threshold: 0.5 })
    expect(f.accept(20, 0)).toBe(true)
    expect(f.accept(20.5, 1000)).toBe(false)
    expect(f.accept(19.5, 2000)).toBe(false)
    expect(f.accept(20.6, 3000)).toBe(true)
    // Measured from the last logged value, not the last seen one: a slow drift still shows.
    expect(f.accept(21.0, 4000)).toBe(false)
    expect(f.accept(21.2, 5000)).toBe(true)
  })
  it('drops exact repeats with the default threshold of 0', () => {
    const f = new ReadingFilter({})
    expect(f.accept(7, 0)).toBe(true)
    expect(f.accept(7, 10)).toBe(false)
    expect(f.accept(7.01, 20)).toBe(true)
  })
  it('logs an unchanged value again after heartbeatMs', () => {
    const f = new ReadingFilter({ heartbeatMs: 60_000 })
    expect(f.accept(5, 0)).toBe(true)
    expect(f.accept(5, 59_999)).toBe(false)
    expect(f.accept(5, 60_000)).toBe(true)
    expect(f.accept(5, 60_001)).toBe(false)
  })
  it('logs the first value after a reset whatever it is', () => {
    const f = new ReadingFilter({ threshold: 10 })
    expect(f.accept(5, 0)).toBe(true)
    f.reset()
    expect(f.accept(5, 1)).toBe(true)
  })
})

describe('inputValue', () => {
  it('is true for HIGH, inverted on request', () => {
    expect([inputValue(1), inputValue(0)]).toEqual([true, false])
    expect([inputValue(1, true), inputValue(0, true)]).toEqual([false, true])
  })
})
