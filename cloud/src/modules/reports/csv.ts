import { formatDuration, labelsFor } from './labels.js'
import type { ColdChainReport, ReportLang } from './schema.js'
import { localDate, localClock } from './zone.js'

/**
 * The report as one flat CSV table, for the inspector who opens it in a spreadsheet and
 * filters: every row names its section (summary, excursion, gap), the site, the day and
 * the fridge, so sorting or filtering never separates a row from what it is about.
 *
 * lang=es writes what Excel set to a Spanish or Argentine locale opens with a double
 * click: `;` between fields and a decimal comma (there the comma is the decimal
 * separator, so Excel expects `;`). lang=en writes `,` and a decimal point. Both are
 * UTF-8 with a byte order mark (accents in "Cámara"), CRLF line ends, times on the site's
 * clock, and no `sep=` line (Excel then ignores the BOM). Gaps and excursions are rows of
 * their own; a fridge without either still has its summary row.
 */

const FORMULA_START = /^[=+\-@\t\r]/

function field(value: string | number | null | undefined, sep: string): string {
  if (value === null || value === undefined) return ''
  const text = typeof value === 'number' ? String(value) : FORMULA_START.test(value) ? `'${value}` : value
  const needsQuotes = text.includes(sep) || /["\r\n]|^\s|\s$/.test(text)
  return needsQuotes ? `"${text.replace(/"/g, '""')}"` : text
}

const HEADER = {
  es: ['seccion', 'sitio', 'fecha', 'zona_horaria', 'dispositivo_id', 'dispositivo', 'tipo', 'rango_min_c', 'rango_max_c',
    'origen_rango', 'resultado', 'lecturas', 'esperadas', 'cobertura_pct', 'minima_c', 'promedio_c', 'maxima_c',
    'en_rango_pct', 'sin_datos_pct', 'inicio_local', 'fin_local', 'duracion_min', 'duracion', 'detalle', 'pico_c', 'alarma'],
  en: ['section', 'site', 'date', 'time_zone', 'device_id', 'device', 'kind', 'band_min_c', 'band_max_c',
    'band_origin', 'result', 'readings', 'expected', 'coverage_pct', 'min_c', 'avg_c', 'max_c',
    'in_range_pct', 'without_data_pct', 'start_local', 'end_local', 'duration_min', 'duration', 'detail', 'peak_c', 'alarm'],
} as const

export function coldChainCsv(report: ColdChainReport, lang: ReportLang): string {
  const t = labelsFor(lang)
  const sep = lang === 'es' ? ';' : ','
  const num = (v: number | null, digits = 2) => (v === null ? '' : lang === 'es' ? String(Number(v.toFixed(digits))).replace('.', ',') : String(Number(v.toFixed(digits))))
  const local = (ms: number) => `${localDate(ms, report.timezone)} ${localClock(ms, report.timezone, true)}`
  const minutes = (ms: number) => num(ms / 60_000, 1)
  const line = (cells: (string | number | null | undefined)[]) => cells.map((c) => field(c, sep)).join(sep) + '\r\n'

  let out = '\uFEFF' + line([...HEADER[lang]])
  for (const f of report.fridges) {
    const head = [report.siteName, report.date, report.timezone, f.deviceId, f.name, f.kind, num(f.band.minC), num(f.band.maxC),
      t.bandOrigin[f.band.origin], t.verdicts[f.verdict]]
    out += line([t.csvSection.summary, ...head, f.readings, f.expected, num(f.coveragePct, 1), num(f.minC), num(f.avgC), num(f.maxC),
      num(f.inBandPct, 1), num(f.missingPct, 1), local(report.from), local(report.partial ? report.generatedAt : report.to),
      minutes((report.partial ? report.generatedAt : report.to) - report.from), '', report.partial ? t.partial : '', '', ''])
    for (const x of f.excursions) {
      out += line([t.csvSection.excursion, ...head, '', '', '', '', '', '', '', '', local(x.start), local(x.end),
        minutes(x.durationMs), formatDuration(x.durationMs), `${t.direction[x.direction]}; ${t.closedBy[x.closedBy]}`, num(x.peakC),
        x.alarmCovered ? `${t.yes}: ${x.alarmIds.join(' ')}` : t.no])
    }
    for (const g of f.gaps) {
      out += line([t.csvSection.gap, ...head, '', '', '', '', '', '', '', '', local(g.start), local(g.end),
        minutes(g.durationMs), formatDuration(g.durationMs), `${t.gapKind[g.kind]} (${t.gapSource[g.source]})`, '', ''])
    }
  }
  return out
}
