// How a reading reads: the unit comes from the metric's suffix (the simulator and the rule
// packs name metrics with their unit: temperature_c, co2_ppm, power_kw…).

interface Unit {
  suffix: string
  symbol: string
  digits: number
}

// Longest suffix first: `_mm_h` before `_h`, `_kwh` before `_h`.
const UNITS: readonly Unit[] = [
  { suffix: '_mm_h', symbol: 'mm/h', digits: 1 },
  { suffix: '_24h_mm', symbol: 'mm', digits: 1 },
  { suffix: '_kwh', symbol: 'kWh', digits: 2 },
  { suffix: '_kw', symbol: 'kW', digits: 2 },
  { suffix: '_lpm', symbol: 'L/min', digits: 1 },
  { suffix: '_ppm', symbol: 'ppm', digits: 0 },
  { suffix: '_pct', symbol: '%', digits: 0 },
  { suffix: '_dba', symbol: 'dBA', digits: 0 },
  { suffix: '_mm', symbol: 'mm', digits: 1 },
  { suffix: '_c', symbol: '°C', digits: 1 },
  { suffix: '_v', symbol: 'V', digits: 0 },
  { suffix: '_a', symbol: 'A', digits: 1 },
  { suffix: '_l', symbol: 'L', digits: 0 },
]

export function unitOf(metric: string): Unit | undefined {
  return UNITS.find((u) => metric.endsWith(u.suffix))
}

const formats = new Map<string, Intl.NumberFormat>()
function numberFormat(locale: string, digits: number): Intl.NumberFormat {
  const key = `${locale}|${digits}`
  let format = formats.get(key)
  if (!format) formats.set(key, (format = new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits })))
  return format
}

/** "4,2 °C", "812 ppm", "1.234 kWh" in the user's locale; a unitless count as an integer. */
export function formatReading(metric: string, value: number, locale: string): string {
  const unit = unitOf(metric)
  if (!unit) return numberFormat(locale, Number.isInteger(value) ? 0 : 2).format(value)
  const number = numberFormat(locale, unit.digits).format(value)
  return unit.symbol === '%' ? `${number} %` : `${number} ${unit.symbol}`
}

/** Metrics that are 0/1 flags rather than quantities. */
export const FLAG_METRICS: readonly string[] = ['door_open']
