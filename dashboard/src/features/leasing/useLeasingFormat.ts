// Money, calendar dates, months, areas and percentages of leases in the UI language. Leases
// carry calendar dates (no time of day), so they are formatted in UTC where they stay the
// same day everywhere; money is in the lease's own currency (a USD lease shows US$).
import { useI18n } from 'vue-i18n'
import { formatMoney, formatNumber } from '../../i18n/format.js'
import { dateEpoch, periodEpoch } from './leasing.js'

const dateFormats = new Map<string, Intl.DateTimeFormat>()
function cached(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`
  let f = dateFormats.get(key)
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' })
    dateFormats.set(key, f)
  }
  return f
}

export function formatCalendarDate(date: string, locale: string): string {
  return cached(locale, { day: 'numeric', month: 'short', year: 'numeric' }).format(dateEpoch(date))
}

export function formatPeriod(period: string, locale: string): string {
  return cached(locale, { month: 'long', year: 'numeric' }).format(periodEpoch(period))
}

export function useLeasingFormat() {
  const { t, locale } = useI18n()
  return {
    money: (minor: number, currency: string) => formatMoney(minor, currency, locale.value),
    date: (date: string) => formatCalendarDate(date, locale.value),
    period: (period: string) => formatPeriod(period, locale.value),
    /** "nov 2026", for narrow tables. */
    periodShort: (period: string) => cached(locale.value, { month: 'short', year: 'numeric' }).format(periodEpoch(period)),
    /** Hundredths of a m² as "42,50 m²". */
    area: (centiM2: number) => t('leasing.area', { value: formatNumber(centiM2 / 100, locale.value, 2) }),
    /** A percentage already in 0-100 with up to two decimals: "42,5 %". */
    pct: (value: number) => new Intl.NumberFormat(locale.value, { style: 'percent', maximumFractionDigits: 2 }).format(value / 100),
    /** Basis points as a percentage: 750 → "7,5 %". */
    bp: (bp: number) => new Intl.NumberFormat(locale.value, { style: 'percent', maximumFractionDigits: 2 }).format(bp / 10_000),
  }
}
