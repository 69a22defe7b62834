import PDFDocument from 'pdfkit'
import { isCurrency, toDecimal } from '../common/money.js'
import { areaM2 } from './catalog.js'
import type { OccupancyView, RentIncomeView } from './schema.js'

/**
 * The leasing reports as files: CSV for a spreadsheet (UTF-8 with BOM, `;` between fields,
 * amounts with a decimal point as toDecimal writes them, headers in Spanish with the
 * English after a slash), and a one-table PDF in the style of reports/pdf.ts (A4,
 * Helvetica, Latin-1 text).
 */

const FORMULA_START = /^[=+\-@\t\r]/
function field(value: string | number): string {
  const text = typeof value === 'number' ? String(value) : FORMULA_START.test(value) ? `'${value}` : value
  return /[;"\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}
const csv = (header: string[], rows: (string | number)[][]): string =>
  '\uFEFF' + [header, ...rows].map((r) => r.map(field).join(';')).join('\r\n') + '\r\n'

const money = (minor: number, currency: string): string => (isCurrency(currency) ? toDecimal(minor, currency) : String(minor))
const KIND_ES: Record<string, string> = { rent: 'Alquiler', utility_energy: 'Energía', utility_water: 'Agua' }

const INCOME_HEADER = ['Periodo / Period', 'Moneda / Currency', 'Zona / Zone', 'Concepto / Kind', 'Importe / Amount', 'Cargos / Charges']
export function rentIncomeCsv(report: RentIncomeView): string {
  return csv(INCOME_HEADER, report.rows.map((r) => [r.period, r.currency, r.zone, KIND_ES[r.kind] ?? r.kind, money(r.amountMinor, r.currency), r.charges]))
}

const OCC_HEADER = ['Agrupación / Grouping', 'Nombre / Name', 'm² ocupados / Occupied m²', 'm² totales / Total m²', 'Ocupación % / Occupancy %', 'Locales ocupados / Occupied spaces', 'Locales totales / Total spaces']
export function occupancyCsv(report: OccupancyView): string {
  const rows = [
    ...report.byZone.map((r) => ['zona / zone', r]),
    ...report.byType.map((r) => ['tipo / type', r]),
    ['total', report.total],
  ] as [string, OccupancyView['total']][]
  return csv(OCC_HEADER, rows.map(([g, r]) => [g, r.name, areaM2(r.occupiedCentiM2), areaM2(r.totalCentiM2), r.occupiedPct.toFixed(2), r.occupiedSpaces, r.totalSpaces]))
}

const PAGE = { margin: 40, width: 595.28, height: 841.89 }

function tablePdf(title: string, subtitle: string, header: string[], rows: string[][], widths: number[], compress: boolean): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: PAGE.margin, compress, info: { Title: title, Producer: 'Tendero' } })
  const chunks: Buffer[] = []
  doc.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))))
  doc.fillColor('#1f2933').font('Helvetica-Bold').fontSize(16).text(title)
  doc.font('Helvetica').fontSize(10).fillColor('#616e7c').text(subtitle).moveDown(1)
  const drawRow = (cells: string[], bold: boolean) => {
    if (doc.y > PAGE.height - PAGE.margin - 20) doc.addPage()
    const y = doc.y
    let x = PAGE.margin
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9).fillColor('#1f2933')
    cells.forEach((cell, i) => {
      doc.text(cell, x, y, { width: widths[i]! - 4, lineBreak: false, ellipsis: true })
      x += widths[i]!
    })
    doc.x = PAGE.margin
    doc.y = y + 16
  }
  drawRow(header, true)
  for (const row of rows) drawRow(row, false)
  if (rows.length === 0) doc.font('Helvetica').text('Sin datos / No data')
  doc.end()
  return done
}

export function rentIncomePdf(report: RentIncomeView, compress = true): Promise<Buffer> {
  const rows = report.rows.map((r) => [r.period, r.currency, r.zone, KIND_ES[r.kind] ?? r.kind, money(r.amountMinor, r.currency), String(r.charges)])
  for (const t of report.totals) rows.push(['Total', t.currency, '', '', money(t.amountMinor, t.currency), ''])
  return tablePdf('Ingresos por alquiler / Rent income', `${report.from} a ${report.to}`, INCOME_HEADER, rows, [70, 60, 110, 80, 110, 85], compress)
}

export function occupancyPdf(report: OccupancyView, compress = true): Promise<Buffer> {
  const line = (g: string, r: OccupancyView['total']) => [g, r.name, areaM2(r.occupiedCentiM2), areaM2(r.totalCentiM2), `${r.occupiedPct.toFixed(2)} %`, String(r.occupiedSpaces), String(r.totalSpaces)]
  const rows = [...report.byZone.map((r) => line('Zona', r)), ...report.byType.map((r) => line('Tipo', r)), line('Total', report.total)]
  return tablePdf('Ocupación / Occupancy', `Al ${report.at}`, OCC_HEADER.map((h) => h.split(' / ')[0]!), rows, [55, 110, 70, 70, 70, 70, 70], compress)
}
