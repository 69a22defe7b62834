import PDFDocument from 'pdfkit'
import type { Reading } from './analysis.js'
import { formatBand, formatDuration, formatNumber, labelsFor, type ReportLabels } from './labels.js'
import type { ColdChainReport, FridgeReport, ReportLang } from './schema.js'
import type { ColdChainData } from './service.js'
import { localClock, localDate } from './zone.js'

/**
 * The report as a PDF an inspector can file: a page per fridge (continued when its lists
 * are long) with the day's chart, the figures, every excursion and every gap, and a line
 * to sign. Drawn with pdfkit's vector paths and its built-in Helvetica (WinAnsi: accents
 * and ° print, so the text stays to Latin-1 characters).
 */

export interface PdfOptions {
  lang: ReportLang
  /** false writes the content streams as plain text, so a test can read what was printed. */
  compress?: boolean
}

const PAGE = { width: 595.28, height: 841.89, margin: 40 }
const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin
const BOTTOM = PAGE.height - PAGE.margin
const COLORS = {
  text: '#1f2933',
  muted: '#616e7c',
  band: '#d9f2e3',
  bandEdge: '#3f9c6d',
  line: '#1f4e9c',
  excursion: '#c81e1e',
  gap: '#d5d9de',
  gapHatch: '#8a939c',
  verdict: { ok: '#2f855a', excursion: '#c81e1e', incomplete: '#b7791f' },
} as const

export function coldChainPdf(data: ColdChainData, opts: PdfOptions): Promise<Buffer> {
  const { report } = data
  const t = labelsFor(opts.lang)
  const doc = new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    compress: opts.compress ?? true,
    autoFirstPage: false,
    info: { Title: `${t.title} - ${report.siteName} - ${report.date}`, Author: 'Tendero', Subject: t.title },
  })
  const chunks: Buffer[] = []
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk))
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })
  if (report.fridges.length === 0) {
    header(doc, report, t, opts.lang)
    doc.font('Helvetica').fontSize(11).fillColor(COLORS.text)
      .text(opts.lang === 'es' ? 'Este sitio no tiene heladeras, cámaras ni freezers registrados.' : 'This site has no fridge, cold room or freezer registered.')
  }
  for (const fridge of report.fridges) fridgePage(doc, report, fridge, data.readings.get(fridge.deviceId) ?? [], t, opts.lang)
  doc.end()
  return done
}

type Doc = PDFKit.PDFDocument

function header(doc: Doc, report: ColdChainReport, t: ReportLabels, lang: ReportLang): void {
  doc.addPage()
  doc.font('Helvetica-Bold').fontSize(15).fillColor(COLORS.text).text(t.title, PAGE.margin, PAGE.margin)
  const generated = `${localDate(report.generatedAt, report.timezone)} ${localClock(report.generatedAt, report.timezone)}`
  doc.font('Helvetica').fontSize(9).fillColor(COLORS.muted)
    .text(`${t.site}: ${report.siteName}   ${t.date}: ${report.date}   ${t.timezone}: ${report.timezone}   ${t.generatedAt}: ${generated}`)
  if (report.partial) doc.fillColor(COLORS.verdict.incomplete).text(t.partial)
  doc.moveDown(0.5)
  void lang
}

function ensureSpace(doc: Doc, report: ColdChainReport, t: ReportLabels, lang: ReportLang, height: number): void {
  if (doc.y + height > BOTTOM) header(doc, report, t, lang)
}

function fridgePage(doc: Doc, report: ColdChainReport, f: FridgeReport, readings: readonly Reading[], t: ReportLabels, lang: ReportLang): void {
  header(doc, report, t, lang)
  const n = (v: number | null, digits = 1) => formatNumber(v, lang, digits)
  const time = (ms: number) => localClock(ms, report.timezone)

  // Device and verdict.
  const top = doc.y
  doc.font('Helvetica-Bold').fontSize(12).fillColor(COLORS.text).text(`${t.device}: ${f.name} (${f.deviceId})`, PAGE.margin, top, { width: CONTENT_WIDTH - 130 })
  doc.font('Helvetica').fontSize(9).fillColor(COLORS.text)
    .text(`${t.band}: ${formatBand(f.band, lang)} - ${t.bandOrigin[f.band.origin]}`, { width: CONTENT_WIDTH - 130 })
  const color = COLORS.verdict[f.verdict]
  doc.roundedRect(PAGE.width - PAGE.margin - 120, top, 120, 30, 4).fillAndStroke(color, color)
  doc.font('Helvetica-Bold').fontSize(12).fillColor('#ffffff')
    .text(t.verdicts[f.verdict], PAGE.width - PAGE.margin - 120, top + 9, { width: 120, align: 'center' })
  doc.x = PAGE.margin
  doc.y = Math.max(doc.y, top + 36)

  chart(doc, report, f, readings, t, lang)

  // Summary table: two columns of label and value.
  const rows: [string, string][] = [
    [t.readings, `${f.readings}${f.expected !== null ? ` / ${t.expected.toLowerCase()} ${f.expected}` : ''}`],
    [t.coverage, f.coveragePct === null ? '-' : `${n(f.coveragePct)} %`],
    [t.medianInterval, f.medianIntervalMs === null ? '-' : formatDuration(f.medianIntervalMs)],
    [t.inBand, f.inBandPct === null ? '-' : `${n(f.inBandPct)} %`],
    [`${t.min} / ${t.avg} / ${t.max}`, f.minC === null ? '-' : `${n(f.minC)} / ${n(f.avgC)} / ${n(f.maxC)} °C`],
    [t.missing, `${formatDuration(f.missingMs)} (${n(f.missingPct)} %)`],
  ]
  doc.font('Helvetica').fontSize(9)
  const colWidth = CONTENT_WIDTH / 2
  const tableTop = doc.y
  rows.forEach(([label, value], i) => {
    const x = PAGE.margin + (i % 2) * colWidth
    const y = tableTop + Math.floor(i / 2) * 13
    doc.fillColor(COLORS.muted).text(`${label}: `, x, y, { continued: true, lineBreak: false }).fillColor(COLORS.text).text(value, { lineBreak: false })
  })
  doc.x = PAGE.margin
  doc.y = tableTop + Math.ceil(rows.length / 2) * 13 + 8

  // Excursions.
  section(doc, `${t.excursions} (${f.excursions.length})`)
  if (f.excursions.length === 0) doc.font('Helvetica').fontSize(9).fillColor(COLORS.text).text(f.readings === 0 ? t.noData : t.noExcursions)
  const exCols = [55, 55, 60, 50, 150, CONTENT_WIDTH - 370]
  if (f.excursions.length) tableRow(doc, [t.start, t.end, t.duration, t.peak, '', t.alarm], exCols, COLORS.muted)
  for (const x of f.excursions) {
    ensureSpace(doc, report, t, lang, 14)
    tableRow(doc, [time(x.start), time(x.end), formatDuration(x.durationMs), `${n(x.peakC)} °C`,
      `${t.direction[x.direction]}, ${t.closedBy[x.closedBy]}`, x.alarmCovered ? `${t.yes} (${x.alarmIds.join(', ')})` : t.no], exCols, COLORS.excursion)
  }
  doc.moveDown(0.5)

  // Gaps.
  section(doc, `${t.gaps} (${f.gaps.length})`)
  if (f.gaps.length === 0) doc.font('Helvetica').fontSize(9).fillColor(COLORS.text).text(t.noGaps)
  const gapCols = [55, 55, 60, CONTENT_WIDTH - 170]
  if (f.gaps.length) tableRow(doc, [t.start, t.end, t.duration, ''], gapCols, COLORS.muted)
  for (const g of f.gaps) {
    ensureSpace(doc, report, t, lang, 14)
    tableRow(doc, [time(g.start), g.end >= report.to ? '24:00' : time(g.end), formatDuration(g.durationMs), `${t.gapKind[g.kind]} - ${t.gapSource[g.source]}`], gapCols, COLORS.text)
  }
  doc.moveDown(0.8)

  // Rules, then the signature.
  ensureSpace(doc, report, t, lang, 110)
  doc.font('Helvetica').fontSize(8).fillColor(COLORS.muted).text(t.verdictRule(report.incompleteAbovePct), PAGE.margin, doc.y, { width: CONTENT_WIDTH })
  doc.text(t.bandSource, { width: CONTENT_WIDTH })
  // Kept above the bottom margin, or pdfkit would carry the last line to a page of its own.
  const y = Math.max(doc.y + 20, BOTTOM - 90)
  doc.fontSize(9).fillColor(COLORS.text).text(`${t.observations}:`, PAGE.margin, y)
  doc.moveTo(PAGE.margin, y + 30).lineTo(PAGE.width - PAGE.margin, y + 30).lineWidth(0.5).strokeColor(COLORS.muted).stroke()
  doc.moveTo(PAGE.margin, y + 62).lineTo(PAGE.margin + 260, y + 62).stroke()
  doc.text(t.signature, PAGE.margin, y + 65)
}

function section(doc: Doc, title: string): void {
  doc.font('Helvetica-Bold').fontSize(10).fillColor(COLORS.text).text(title, PAGE.margin, doc.y)
  doc.moveDown(0.2)
}

function tableRow(doc: Doc, cells: string[], widths: number[], color: string): void {
  const y = doc.y
  let x = PAGE.margin
  doc.font('Helvetica').fontSize(8.5).fillColor(color)
  let bottom = y
  cells.forEach((cell, i) => {
    doc.text(cell, x, y, { width: widths[i]! - 4, lineBreak: true })
    bottom = Math.max(bottom, doc.y)
    x += widths[i]!
  })
  doc.x = PAGE.margin
  doc.y = bottom + 1
}

/** Columns of the chart: the day is folded into this many min/avg/max buckets. */
const CHART_COLUMNS = 480

function chart(doc: Doc, report: ColdChainReport, f: FridgeReport, readings: readonly Reading[], t: ReportLabels, lang: ReportLang): void {
  const box = { x: PAGE.margin + 30, y: doc.y + 4, width: CONTENT_WIDTH - 30, height: 170 }
  const span = report.to - report.from
  const xOf = (ms: number) => box.x + ((ms - report.from) / span) * box.width

  const bounds = [f.band.minC, f.band.maxC].filter((v): v is number => v !== null)
  // Reduced, not spread: a day at one reading a second is 86,400 arguments.
  let lo = readings.reduce((m, r) => Math.min(m, r.min), Math.min(Infinity, ...bounds))
  let hi = readings.reduce((m, r) => Math.max(m, r.max), Math.max(-Infinity, ...bounds))
  if (!Number.isFinite(lo)) (lo = 0), (hi = 10)
  const pad = Math.max(1, (hi - lo) * 0.1)
  lo = Math.floor(lo - pad)
  hi = Math.ceil(hi + pad)
  const yOf = (c: number) => box.y + box.height - ((c - lo) / (hi - lo)) * box.height

  doc.save()
  doc.rect(box.x, box.y, box.width, box.height).lineWidth(0.5).strokeColor(COLORS.muted).stroke()
  // The band, shaded, with its edges.
  const bandTop = f.band.maxC !== null ? yOf(f.band.maxC) : box.y
  const bandBottom = f.band.minC !== null ? yOf(f.band.minC) : box.y + box.height
  doc.rect(box.x, bandTop, box.width, bandBottom - bandTop).fill(COLORS.band)
  doc.lineWidth(0.6).strokeColor(COLORS.bandEdge)
  for (const edge of bounds) doc.moveTo(box.x, yOf(edge)).lineTo(box.x + box.width, yOf(edge)).dash(3, { space: 2 }).stroke().undash()

  // Gaps: grey and hatched, labelled when there is room.
  for (const g of f.gaps) {
    const x0 = xOf(g.start)
    const w = Math.max(1, xOf(g.end) - x0)
    doc.rect(x0, box.y, w, box.height).fill(g.kind === 'downsampled' ? '#eceff2' : COLORS.gap)
    doc.save().rect(x0, box.y, w, box.height).clip()
    doc.lineWidth(0.4).strokeColor(COLORS.gapHatch)
    for (let hx = x0 - box.height; hx < x0 + w; hx += 6) doc.moveTo(hx, box.y + box.height).lineTo(hx + box.height, box.y).stroke()
    doc.restore()
    // The label runs along the gap, upwards, so a short gap is labelled too.
    const label = g.kind === 'downsampled' ? t.gapKind.downsampled : t.chartGap
    doc.save().rotate(-90, { origin: [x0 + w / 2, box.y + box.height - 4] })
    doc.font('Helvetica').fontSize(6.5).fillColor(COLORS.text)
      .text(label, x0 + w / 2, box.y + box.height - 4 - 3, { width: box.height - 8, lineBreak: false })
    doc.restore()
  }

  // The readings, folded into columns; a column without readings breaks the line.
  const columns = foldColumns(readings, report.from, span)
  // Folded columns sit up to two column widths apart without a gap between their readings.
  const breakMs = f.gapThresholdMs + (readings.length > CHART_COLUMNS ? (2 * span) / CHART_COLUMNS : 0)
  const trace = (pick: (c: Column) => boolean, color: string, width: number) => {
    doc.lineWidth(width).strokeColor(color)
    let drawing = false
    let previous: Column | undefined
    for (const c of columns) {
      if (!pick(c) || (previous && c.time - previous.time > breakMs)) {
        if (drawing) doc.stroke()
        drawing = false
      }
      if (pick(c)) {
        if (!drawing) doc.moveTo(xOf(c.time), yOf(c.avg))
        else doc.lineTo(xOf(c.time), yOf(c.avg))
        drawing = true
        // A lone point still shows.
        doc.lineTo(xOf(c.time) + 0.01, yOf(c.avg))
      }
      previous = c
    }
    if (drawing) doc.stroke()
  }
  trace(() => true, COLORS.line, 0.8)
  const inExcursion = (c: Column) => f.excursions.some((x) => c.time >= x.start && c.time <= x.end)
  trace(inExcursion, COLORS.excursion, 1.6)
  // Peaks a column's average hides: the extreme of each excursion as a red tick.
  for (const x of f.excursions) doc.circle(xOf(x.start), yOf(x.peakC), 1.6).fill(COLORS.excursion)

  // Axes: hours on the site's clock, degrees at the band's edges and the chart's ends.
  doc.font('Helvetica').fontSize(6.5).fillColor(COLORS.muted)
  for (let h = 0; h <= 24; h += 3) {
    const ms = report.from + h * 3_600_000
    if (ms > report.to) break
    doc.text(h === 24 ? '24:00' : localClock(ms, report.timezone), xOf(ms) - 12, box.y + box.height + 2, { width: 24, align: 'center', lineBreak: false })
  }
  for (const c of [lo, hi, ...bounds]) doc.text(`${formatNumber(c, lang, c % 1 ? 1 : 0)} °C`, PAGE.margin - 4, yOf(c) - 3, { width: 32, align: 'right', lineBreak: false })
  doc.restore()
  doc.x = PAGE.margin
  doc.y = box.y + box.height + 14
}

interface Column {
  time: number
  avg: number
}

function foldColumns(readings: readonly Reading[], from: number, span: number): Column[] {
  // Few readings: each is its own point. Many: one average per column.
  if (readings.length <= CHART_COLUMNS) return readings.map((r) => ({ time: r.time, avg: r.value }))
  const width = span / CHART_COLUMNS
  const columns = new Map<number, { sum: number; n: number; time: number }>()
  for (const r of readings) {
    const k = Math.floor((r.time - from) / width)
    const c = columns.get(k) ?? { sum: 0, n: 0, time: r.time }
    c.sum += r.value * r.samples
    c.n += r.samples
    columns.set(k, c)
  }
  return [...columns.values()].map((c) => ({ time: c.time, avg: c.sum / c.n }))
}
