import type { Excursion, Gap, Verdict } from './analysis.js'
import type { BandOrigin } from './bands.js'
import type { ReportLang } from './schema.js'

/** The words of the CSV and the PDF, Spanish first; `lang=en` switches. */
export interface ReportLabels {
  title: string
  site: string
  date: string
  timezone: string
  generatedAt: string
  partial: string
  device: string
  band: string
  bandOrigin: Record<BandOrigin, string>
  verdict: string
  verdicts: Record<Verdict, string>
  readings: string
  expected: string
  coverage: string
  medianInterval: string
  min: string
  avg: string
  max: string
  inBand: string
  missing: string
  excursions: string
  noExcursions: string
  gaps: string
  noGaps: string
  start: string
  end: string
  duration: string
  peak: string
  alarm: string
  yes: string
  no: string
  direction: Record<Excursion['direction'], string>
  closedBy: Record<Excursion['closedBy'], string>
  gapKind: Record<Gap['kind'], string>
  gapSource: Record<Gap['source'], string>
  chartGap: string
  noData: string
  signature: string
  observations: string
  verdictRule: (incompleteAbovePct: number) => string
  bandSource: string
  csvSection: { summary: string; excursion: string; gap: string }
}

const es: ReportLabels = {
  title: 'Registro diario de cadena de frío (HACCP)',
  site: 'Sitio',
  date: 'Fecha',
  timezone: 'Zona horaria',
  generatedAt: 'Generado',
  partial: 'Día en curso: datos hasta la hora de generación',
  device: 'Equipo',
  band: 'Rango aceptable',
  bandOrigin: { device: 'configurado en el equipo', default: 'por defecto según el tipo (práctica HACCP habitual)' },
  verdict: 'Resultado',
  verdicts: { ok: 'Cumple', excursion: 'No cumple', incomplete: 'Incompleto' },
  readings: 'Lecturas',
  expected: 'Esperadas',
  coverage: 'Cobertura',
  medianInterval: 'Intervalo típico',
  min: 'Mínima',
  avg: 'Promedio',
  max: 'Máxima',
  inBand: 'Tiempo en rango',
  missing: 'Tiempo sin datos',
  excursions: 'Excursiones fuera de rango',
  noExcursions: 'Sin excursiones en los datos recibidos.',
  gaps: 'Huecos en los datos',
  noGaps: 'Sin huecos.',
  start: 'Inicio',
  end: 'Fin',
  duration: 'Duración',
  peak: 'Pico',
  alarm: 'Alarma',
  yes: 'sí',
  no: 'no',
  direction: { high: 'sobre el máximo', low: 'bajo el mínimo' },
  closedBy: { reading: 'volvió al rango', gap: 'cortada por un hueco', end: 'seguía al cierre' },
  gapKind: { no_readings: 'sin lecturas', downsampled: 'resumido por minuto', dropped: 'descartado' },
  gapSource: { silent: 'no llegaron lecturas', gateway: 'informado por el gateway' },
  chartGap: 'sin datos',
  noData: 'Sin lecturas en el día.',
  signature: 'Responsable / Firma',
  observations: 'Observaciones / acciones correctivas',
  verdictRule: (pct) => `Cumple: ninguna lectura fuera de rango y menos del ${pct} % del día sin datos. Los huecos no se interpolan.`,
  bandSource: 'Rangos por defecto: refrigerado 0 a 5 °C, congelado -18 °C o menos (práctica HACCP habitual).',
  csvSection: { summary: 'resumen', excursion: 'excursion', gap: 'hueco' },
}

const en: ReportLabels = {
  title: 'Daily cold-chain record (HACCP)',
  site: 'Site',
  date: 'Date',
  timezone: 'Time zone',
  generatedAt: 'Generated',
  partial: 'Day in progress: data up to the time of generation',
  device: 'Unit',
  band: 'Acceptable range',
  bandOrigin: { device: 'set on the device', default: "its kind's default (common HACCP practice)" },
  verdict: 'Result',
  verdicts: { ok: 'Pass', excursion: 'Fail', incomplete: 'Incomplete' },
  readings: 'Readings',
  expected: 'Expected',
  coverage: 'Coverage',
  medianInterval: 'Typical interval',
  min: 'Minimum',
  avg: 'Average',
  max: 'Maximum',
  inBand: 'Time in range',
  missing: 'Time without data',
  excursions: 'Out-of-range excursions',
  noExcursions: 'No excursions in the data received.',
  gaps: 'Gaps in the data',
  noGaps: 'No gaps.',
  start: 'Start',
  end: 'End',
  duration: 'Duration',
  peak: 'Peak',
  alarm: 'Alarm',
  yes: 'yes',
  no: 'no',
  direction: { high: 'above maximum', low: 'below minimum' },
  closedBy: { reading: 'back in range', gap: 'cut by a gap', end: 'still out at close' },
  gapKind: { no_readings: 'no readings', downsampled: 'downsampled per minute', dropped: 'dropped' },
  gapSource: { silent: 'no readings arrived', gateway: 'reported by the gateway' },
  chartGap: 'no data',
  noData: 'No readings this day.',
  signature: 'Responsible / Signature',
  observations: 'Remarks / corrective actions',
  verdictRule: (pct) => `Pass: no reading out of range and under ${pct} % of the day without data. Gaps are never interpolated.`,
  bandSource: 'Default ranges: chilled 0 to 5 °C, frozen -18 °C or colder (common HACCP practice).',
  csvSection: { summary: 'summary', excursion: 'excursion', gap: 'gap' },
}

export const labelsFor = (lang: ReportLang): ReportLabels => (lang === 'en' ? en : es)

/** 1 h 05 min, 12 min, 40 s. */
export function formatDuration(ms: number): string {
  const totalSeconds = Math.round(ms / 1000)
  if (totalSeconds < 60) return `${totalSeconds} s`
  const minutes = Math.round(totalSeconds / 60)
  if (minutes < 60) return `${minutes} min`
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`
}

/** A number as the language writes it: decimal comma in Spanish. */
export const formatNumber = (value: number | null, lang: ReportLang, digits = 1): string =>
  value === null ? '' : lang === 'es' ? value.toFixed(digits).replace('.', ',') : value.toFixed(digits)

export function formatBand(band: { minC: number | null; maxC: number | null }, lang: ReportLang): string {
  const n = (v: number) => formatNumber(v, lang)
  if (band.minC !== null && band.maxC !== null) return `${n(band.minC)} ${lang === 'es' ? 'a' : 'to'} ${n(band.maxC)} °C`
  if (band.maxC !== null) return lang === 'es' ? `${n(band.maxC)} °C o menos` : `${n(band.maxC)} °C or colder`
  return lang === 'es' ? `${n(band.minC!)} °C o más` : `${n(band.minC!)} °C or warmer`
}
