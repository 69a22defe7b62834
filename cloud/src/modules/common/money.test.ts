import { describe, expect, it } from 'vitest'
import { allocate, lineNet, mulDivRound, taxOf, toDecimal } from './money.js'

describe('money in minor units', () => {
  it('rounds half away from zero, exactly, past what doubles can hold', () => {
    expect(taxOf(1050, 2100)).toBe(221) // 220.5 -> 221
    expect(taxOf(-1050, 2100)).toBe(-221)
    expect(taxOf(1049, 2100)).toBe(220) // 220.29
    expect(taxOf(1000, 1050)).toBe(105) // IVA 10.5 %
    expect(mulDivRound(1, 1, 2)).toBe(1)
    expect(mulDivRound(-1, 1, 2)).toBe(-1)
    expect(mulDivRound(1, 1, 3)).toBe(0)
    // 9007199254740991 × 3 / 3 overflows a double on the way; bigint keeps it exact.
    expect(mulDivRound(Number.MAX_SAFE_INTEGER, 3, 3)).toBe(Number.MAX_SAFE_INTEGER)
    expect(() => mulDivRound(Number.MAX_SAFE_INTEGER, 3, 1)).toThrow(/out of range/)
    expect(() => mulDivRound(1.5, 1, 1)).toThrow(RangeError)
  })

  it('prices quantities in thousandths', () => {
    expect(lineNet(1500, 1000)).toBe(1500) // 1.5 × 10.00
    expect(lineNet(333, 100)).toBe(33) // 0.333 × 1.00 = 0.333
    expect(lineNet(12_345, 8_765)).toBe(108_204) // 12.345 × 87.65 = 1082.04
  })

  it('splits an amount in proportion without losing or inventing a centavo', () => {
    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33])
    expect(allocate(-100, [1, 1, 1])).toEqual([-34, -33, -33])
    expect(allocate(1000, [30, 1])).toEqual([968, 32])
    expect(allocate(5, [0, 1])).toEqual([0, 5])
    for (let seed = 1; seed < 200; seed++) {
      const weights = Array.from({ length: 1 + (seed % 7) }, (_, i) => ((seed * 7919 + i * 104729) % 97) + 1)
      const total = (seed * 2654435761) % 10_000_019
      const parts = allocate(total, weights)
      expect(parts.reduce((a, b) => a + b, 0)).toBe(total)
      const sum = weights.reduce((a, b) => a + b, 0)
      parts.forEach((p, i) => expect(Math.abs(p - (total * weights[i]!) / sum)).toBeLessThan(1))
    }
    expect(() => allocate(10, [0, 0])).toThrow(RangeError)
  })

  it('writes plain decimals for CSV', () => {
    expect(toDecimal(123_450, 'ARS')).toBe('1234.50')
    expect(toDecimal(-5, 'USD')).toBe('-0.05')
    expect(toDecimal(1500, 'CLP')).toBe('1500')
  })
})
