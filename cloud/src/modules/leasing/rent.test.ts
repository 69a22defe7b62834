import { describe, expect, it } from 'vitest'
import { dueDateOf } from './invoicing.js'
import { addMonths, adjustmentDates, consumptionMilli, indexAt, leasePeriods, monthRent, rentOn, type RentTerms } from './rent.js'

describe('rent arithmetic', () => {
  it('adds months clamping to the end of a shorter month', () => {
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28')
    expect(addMonths('2028-01-31', 1)).toBe('2028-02-29')
    expect(addMonths('2026-11-15', 3)).toBe('2027-02-15')
    expect(addMonths('2026-03-31', -1)).toBe('2026-02-28')
  })

  it('counts only adjustment dates after the anchor', () => {
    const esc = { kind: 'percent' as const, percentBp: 500, everyMonths: 6, from: '2026-01-01' }
    expect(adjustmentDates(esc, '2026-01-01', '2027-01-01')).toEqual(['2026-07-01', '2027-01-01'])
    expect(adjustmentDates(esc, '2026-08-01', '2027-06-30')).toEqual(['2027-01-01'])
  })

  it('compounds a percentage, rounding each step half away from zero', () => {
    const terms: RentTerms = { startsOn: '2026-01-01', lastDay: '2028-12-31', steps: [{ effectiveOn: '2026-01-01', rentMinor: 333 }],
      escalation: { kind: 'percent', percentBp: 1500, everyMonths: 12, from: '2027-01-01' } }
    // 333 × 1.15 = 382.95 → 383; 383 × 1.15 = 440.45 → 440.
    expect([rentOn(terms, '2026-12-31'), rentOn(terms, '2027-01-01'), rentOn(terms, '2028-01-01')]).toEqual([333, 383, 440])
  })

  it('reads the index on the date or the latest before it', () => {
    const values = [{ onDate: '2026-01-01', valueMicro: 100_000_000 }, { onDate: '2026-02-01', valueMicro: 103_000_000 }]
    expect(indexAt(values, '2025-12-31')).toBeUndefined()
    expect(indexAt(values, '2026-01-20')).toBe(100_000_000)
    expect(indexAt(values, '2026-03-01')).toBe(103_000_000)
  })

  it('charges a whole month at one rent exactly, and splits a month by days at each rent', () => {
    const terms: RentTerms = { startsOn: '2026-02-10', lastDay: '2026-04-20', steps: [{ effectiveOn: '2026-02-10', rentMinor: 2_800_000 }], escalation: { kind: 'none' } }
    expect(leasePeriods(terms)).toEqual(['2026-02', '2026-03', '2026-04'])
    // 19 of 28 days: 1,900,000; all of March; 20 of 30 days: 1,866,666.67 → 1,866,667.
    expect(['2026-02', '2026-03', '2026-04'].map((p) => monthRent(terms, p)!.amountMinor)).toEqual([1_900_000, 2_800_000, 1_866_667])
    expect(monthRent(terms, '2026-05')).toBeUndefined()
  })

  it('turns counters into thousandths of a kWh or m³', () => {
    expect(consumptionMilli(1520.35, 1640.351, 'kwh')).toBe(120_001)
    expect(consumptionMilli(88_000, 94_000, 'l')).toBe(6_000)
    expect(consumptionMilli(12.5, 13.75, 'm3')).toBe(1_250)
  })

  it('puts an invoice due on the billing day on or after its issue', () => {
    expect(dueDateOf('2026-03-04', 10)).toBe('2026-03-10')
    expect(dueDateOf('2026-03-04', 4)).toBe('2026-03-04')
    expect(dueDateOf('2026-03-04', 1)).toBe('2026-04-01')
  })
})
