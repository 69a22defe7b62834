import { describe, expect, it } from 'vitest'
import { formatDate, formatMoney, formatNumber, formatPercent } from './format.js'

// ICU puts a no-break space between symbol and number in es-AR/es-CO: compare with plain spaces.
const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ')

describe('formatMoney', () => {
  it('reads integer minor units (centavos) in the currency and the locale', () => {
    expect(plain(formatMoney(150050, 'ARS', 'es-AR'))).toBe('$ 1.500,50')
    expect(plain(formatMoney(150000, 'ARS', 'es-AR'))).toBe('$ 1.500,00')
    expect(plain(formatMoney(150050, 'ARS', 'en'))).toBe('ARS 1,500.50')
    expect(formatMoney(199, 'USD', 'en')).toBe('$1.99')
    expect(plain(formatMoney(199, 'USD', 'es-AR'))).toBe('US$ 1,99')
  })

  it('counts COP in centavos like the cloud, and shows whole pesos without them', () => {
    // 12.500 pesos are 1.250.000 centavos (ISO 4217), whatever digits ICU shows for COP.
    expect(plain(formatMoney(1_250_000, 'COP', 'es-CO'))).toBe('$ 12.500')
    expect(plain(formatMoney(1_250_000, 'COP', 'es-AR'))).toMatch(/^COP 12\.500(,00)?$/)
    // A fraction of a peso is never rounded away.
    expect(plain(formatMoney(1_250_050, 'COP', 'es-CO'))).toBe('$ 12.500,50')
  })

  it('keeps the sign, zero and large amounts exact', () => {
    expect(plain(formatMoney(-15_000, 'ARS', 'es-AR'))).toBe('-$ 150,00')
    expect(plain(formatMoney(0, 'ARS', 'es-AR'))).toBe('$ 0,00')
    expect(plain(formatMoney(123_456_789_012, 'ARS', 'es-AR'))).toBe('$ 1.234.567.890,12')
  })

  it('falls back to Intl for other currencies', () => {
    expect(plain(formatMoney(1234, 'EUR', 'en'))).toBe('€12.34')
    expect(plain(formatMoney(1234, 'CLP', 'es-AR'))).toMatch(/1\.234$/)
  })
})

describe('formatDate, formatNumber, formatPercent', () => {
  // 02:00 UTC on 21 Nov is still the 20th in Buenos Aires (UTC-3) and Bogotá (UTC-5).
  const lateEvening = Date.UTC(2026, 10, 21, 2, 0)

  it("shows the day in the site's time zone", () => {
    expect(formatDate(lateEvening, 'es-AR', 'America/Argentina/Buenos_Aires')).toBe('20 de nov de 2026')
    expect(formatDate(lateEvening, 'en', 'America/Bogota')).toBe('Nov 20, 2026')
    expect(formatDate(lateEvening, 'en', 'UTC')).toBe('Nov 21, 2026')
  })

  it("uses the locale's separators", () => {
    expect(formatNumber(1234.56, 'es-AR')).toBe('1.234,6')
    expect(formatNumber(12345.6, 'es-AR', 2)).toBe('12.345,60')
    expect(formatNumber(12345.6, 'en', 0)).toBe('12,346')
    expect(plain(formatPercent(0.425, 'es-AR'))).toMatch(/^43 ?%$/)
    expect(formatPercent(0.4251, 'en', 1)).toBe('42.5%')
  })
})
