import { describe, expect, it } from 'vitest'
import { csvField, csvLine } from '../src/modules/telemetry/csv.js'
import { autoResolution } from '../src/modules/telemetry/service.js'
import { monthsOf, partitionName, partitionRange } from '../src/modules/telemetry/partitions.js'

describe('csv', () => {
  it('quotes a field with a comma, a quote, a line break or edge spaces, doubling its quotes', () => {
    expect(csvLine(['plain', 'a,b', 'say "hi"', 'two\nlines', 'cr\rhere', ' edge', 4.5, -1, null, undefined]))
      .toBe('plain,"a,b","say ""hi""","two\nlines","cr\rhere"," edge",4.5,-1,,\r\n')
  })

  it('keeps a text cell that a spreadsheet would run as a formula as text', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`)
    expect(csvField('+54 11')).toBe("'+54 11")
    expect(csvField('-')).toBe("'-")
    // Numbers are numbers: a negative reading is not a formula.
    expect(csvField(-3.5)).toBe('-3.5')
  })
})

describe('resolution and months', () => {
  it('picks raw up to 2 hours, 1-minute buckets up to 2 days, 1-hour buckets beyond', () => {
    expect(autoResolution(2 * 3_600_000)).toBe('raw')
    expect(autoResolution(2 * 3_600_000 + 1)).toBe('1m')
    expect(autoResolution(48 * 3_600_000)).toBe('1m')
    expect(autoResolution(7 * 24 * 3_600_000)).toBe('1h')
  })

  it('names UTC months and lists the distinct months of a batch once each', () => {
    const lastMs = Date.UTC(2025, 11, 31, 23, 59, 59, 999)
    expect(partitionName(lastMs)).toBe('telemetry_p202512')
    expect(partitionName(lastMs + 1)).toBe('telemetry_p202601')
    expect(partitionRange('telemetry_p202512')).toEqual({ start: Date.UTC(2025, 11, 1), end: Date.UTC(2026, 0, 1) })
    expect(partitionRange('telemetry_default')).toBeUndefined()
    expect(monthsOf([lastMs, lastMs - 5, lastMs + 1, lastMs, Date.UTC(2025, 11, 2)]))
      .toEqual([Date.UTC(2025, 11, 1), Date.UTC(2026, 0, 1)])
  })
})
