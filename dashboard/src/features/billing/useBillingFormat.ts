// Money, calendar dates, quantities and tax rates of billing documents in the UI language.
// Documents carry calendar dates (no time of day), formatted in UTC where they stay the same
// day everywhere; money is in the document's own currency, from its integer minor units.
import { useI18n } from 'vue-i18n'
import { formatMoney } from '../../i18n/format.js'

const dateFormats = new Map<string, Intl.DateTimeFormat>()
function dateFormat(locale: string): Intl.DateTimeFormat {
  let f = dateFormats.get(locale)
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' })
    dateFormats.set(locale, f)
  }
  return f
}

/** "2026-11-21" → "21 nov 2026" / "Nov 21, 2026". */
export const formatCalendarDate = (date: string, locale: string): string => dateFormat(locale).format(Date.parse(`${date.slice(0, 10)}T00:00:00Z`))

/** Basis points as a rate: 1050 → "10,5 %" in Spanish, "10.5%" in English. */
export const formatRateBp = (bp: number, locale: string): string =>
  new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 2 }).format(bp / 10_000)

/** Thousandths as a quantity: 1500 → "1,5". Display only (the value stays an integer). */
export const formatQuantity = (milli: number, locale: string): string => new Intl.NumberFormat(locale, { maximumFractionDigits: 3 }).format(milli / 1000)

export function useBillingFormat() {
  const { locale } = useI18n()
  return {
    money: (minor: number, currency: string) => formatMoney(minor, currency, locale.value),
    date: (date: string) => formatCalendarDate(date, locale.value),
    rate: (bp: number) => formatRateBp(bp, locale.value),
    quantity: (milli: number) => formatQuantity(milli, locale.value),
  }
}
