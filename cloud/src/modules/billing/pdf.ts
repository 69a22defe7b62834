import PDFDocument from 'pdfkit'
import { AGING_LABELS, BUCKETS, type AgingReport } from './aging.js'
import { formatDay, formatMoney } from './format.js'
import type { InvoiceDetail } from './invoices.js'
import type { SaasMetrics } from './saas.js'

/**
 * Billing's PDFs (pdfkit, built-in Helvetica: Latin-1 text only): the invoice, the aging
 * ("deudas") report and the MRR report. `compress: false` lets a test read the text.
 */
const PAGE = { width: 595.28, height: 841.89, margin: 40 }
const WIDTH = PAGE.width - 2 * PAGE.margin
const BOTTOM = PAGE.height - PAGE.margin
type Doc = PDFKit.PDFDocument

function render(title: string, compress: boolean, draw: (doc: Doc) => void): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: PAGE.margin, compress, info: { Title: title, Author: 'Tendero' } })
  const chunks: Buffer[] = []
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c))
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })
  draw(doc)
  doc.end()
  return done
}

function row(doc: Doc, cells: string[], widths: number[], opts: { bold?: boolean; align?: ('left' | 'right')[] } = {}): void {
  if (doc.y + 14 > BOTTOM) doc.addPage()
  const y = doc.y
  let x = PAGE.margin
  doc.font(opts.bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(8.5).fillColor('#1f2933')
  cells.forEach((c, i) => {
    doc.text(c, x, y, { width: widths[i]! - 4, align: opts.align?.[i] ?? (i === 0 ? 'left' : 'right'), lineBreak: false, ellipsis: true })
    x += widths[i]!
  })
  doc.x = PAGE.margin
  doc.y = y + 13
}

/**
 * A line's detail as one small paragraph under it: e.g. a metered utility's readings
 * (start, end, consumption) from leasing. A detail saying a gap or missing readings is
 * printed in red as "ATENCIÓN", so a gap is flagged on paper, not read as zero.
 */
export function detailText(detail: unknown): { text: string; flagged: boolean } | null {
  if (detail === null || detail === undefined || typeof detail !== 'object') return null
  const flat = (v: unknown): string => (v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v))
  const entries = Object.entries(detail as Record<string, unknown>)
  if (entries.length === 0) return null
  // Metered utilities (leasing): readings [{ deviceId, metric, unit, start: { value, time }, end: { value, time } }].
  const readings = (detail as { readings?: unknown }).readings
  if (Array.isArray(readings) && readings.length) {
    type Point = { value?: unknown; time?: unknown } | null | undefined
    let missing = false
    const parts = readings.map((r: { deviceId?: unknown; metric?: unknown; unit?: unknown; start?: Point; end?: Point }) => {
      const at = (p: Point) => (p && p.value !== undefined ? `${flat(p.value)}${typeof p.time === 'string' ? ` (${p.time.slice(0, 10)})` : ''}` : null)
      const a = at(r.start)
      const b = at(r.end)
      if (!a || !b) missing = true
      return `${flat(r.deviceId)} ${flat(r.metric)}: ${a ?? 'sin lectura'} -> ${b ?? 'sin lectura'}${r.unit ? ` ${flat(r.unit)}` : ''}`
    })
    const rest = entries.filter(([k]) => k !== 'readings' && (detail as Record<string, unknown>)[k] !== undefined && (detail as Record<string, unknown>)[k] !== null)
    const text = `Lecturas / Readings: ${parts.join('; ')}${rest.length ? `   ${rest.map(([k, v]) => `${k}: ${flat(v)}`).join('   ')}` : ''}`.slice(0, 600)
    return { text: `${missing ? 'ATENCIÓN: lecturas faltantes. ' : ''}${text}`, flagged: missing }
  }
  const flagged = entries.some(([k, v]) => /gap|missing|falt|hueco/i.test(k) && v !== false && v !== null && v !== 0 && !(Array.isArray(v) && v.length === 0))
  const text = entries.map(([k, v]) => `${k}: ${flat(v)}`).join('   ').slice(0, 600)
  return { text: `${flagged ? 'ATENCIÓN: lecturas faltantes. ' : ''}${text}`, flagged }
}

const STATUS_ES: Record<string, string> = { draft: 'BORRADOR', posted: 'EMITIDA', void: 'ANULADA' }

export function invoicePdf(inv: InvoiceDetail, issuer: string, opts: { compress?: boolean } = {}): Promise<Buffer> {
  const title = `Factura ${inv.number ?? '(borrador)'}`
  return render(title, opts.compress ?? true, (doc) => {
    doc.font('Helvetica-Bold').fontSize(18).fillColor('#1f2933').text('Factura / Invoice')
    doc.font('Helvetica').fontSize(10).fillColor('#616e7c').text(`N.º ${inv.number ?? '(borrador / draft)'}   ${STATUS_ES[inv.status]}`)
    doc.moveDown(0.5)
    doc.fillColor('#1f2933').fontSize(10)
    doc.text(`Emisor / Issuer: ${issuer}`)
    doc.text(`Cliente / Customer: ${inv.contact.name}${inv.contact.company ? ` (${inv.contact.company})` : ''}`)
    if (inv.contact.taxId) doc.text(`CUIT / NIT: ${inv.contact.taxId}`)
    doc.text(`Fecha de emisión / Issue date: ${formatDay(inv.issueDate)}`)
    doc.text(`Vencimiento / Due date: ${formatDay(inv.dueDate)}`)
    doc.text(`Moneda / Currency: ${inv.currency}`)
    doc.moveDown(0.8)
    const widths = [WIDTH - 300, 60, 90, 55, 95]
    row(doc, ['Descripción / Description', 'Cantidad', 'Precio unit.', 'IVA', 'Importe neto'], widths, { bold: true })
    for (const l of inv.lines) {
      row(doc, [l.description, (l.quantityMilli / 1000).toLocaleString('es-AR', { maximumFractionDigits: 3 }), formatMoney(l.unitMinor, inv.currency), `${(l.taxRateBp / 100).toLocaleString('es-AR')} %`, formatMoney(l.netMinor, inv.currency)], widths)
      const detail = detailText(l.detail)
      if (detail) doc.font('Helvetica').fontSize(7.5).fillColor(detail.flagged ? '#c81e1e' : '#616e7c').text(detail.text, PAGE.margin + 8, doc.y, { width: WIDTH - 16 })
    }
    doc.moveDown(0.8)
    const sw = [WIDTH - 150, 150]
    row(doc, ['Subtotal neto / Net', formatMoney(inv.netMinor, inv.currency)], sw)
    for (const t of inv.taxes) row(doc, [`IVA ${(t.rateBp / 100).toLocaleString('es-AR')} % sobre ${formatMoney(t.netMinor, inv.currency)}`, formatMoney(t.taxMinor, inv.currency)], sw)
    row(doc, ['Total', formatMoney(inv.totalMinor, inv.currency)], sw, { bold: true })
    if (inv.paidMinor) row(doc, ['Pagado / Paid', formatMoney(inv.paidMinor, inv.currency)], sw)
    if (inv.creditedMinor) row(doc, ['Notas de crédito / Credit notes', formatMoney(inv.creditedMinor, inv.currency)], sw)
    row(doc, ['Saldo / Balance due', formatMoney(inv.openMinor, inv.currency)], sw, { bold: true })
    if (inv.notes) {
      doc.moveDown(0.8)
      doc.font('Helvetica').fontSize(9).fillColor('#616e7c').text(inv.notes)
    }
  })
}

export function agingPdf(r: AgingReport, orgName: string, opts: { compress?: boolean } = {}): Promise<Buffer> {
  return render(`Deudas - antigüedad al ${r.asOf}`, opts.compress ?? true, (doc) => {
    doc.font('Helvetica-Bold').fontSize(15).fillColor('#1f2933').text('Deudas por antigüedad / Receivables aging')
    doc.font('Helvetica').fontSize(9).fillColor('#616e7c').text(`${orgName}   Al / As of: ${formatDay(r.asOf)}`)
    doc.moveDown(0.6)
    const widths = [WIDTH - 6 * 70, 70, 70, 70, 70, 70, 70]
    row(doc, ['Cliente', ...BUCKETS.map((b) => AGING_LABELS[b]), 'Total'], widths, { bold: true })
    if (r.rows.length === 0) doc.font('Helvetica').fontSize(9).text('Sin deudas a la fecha. / Nothing owed.')
    for (const x of r.rows) row(doc, [`${x.contactName} (${x.currency})`, ...BUCKETS.map((b) => formatMoney(x[b], x.currency)), formatMoney(x.totalMinor, x.currency)], widths)
    for (const t of r.totals) row(doc, [`TOTAL ${t.currency}`, ...BUCKETS.map((b) => formatMoney(t[b], t.currency)), formatMoney(t.totalMinor, t.currency)], widths, { bold: true })
  })
}

export function mrrPdf(m: SaasMetrics, opts: { compress?: boolean } = {}): Promise<Buffer> {
  return render(`MRR ${m.month}`, opts.compress ?? true, (doc) => {
    doc.font('Helvetica-Bold').fontSize(15).fillColor('#1f2933').text(`MRR y churn / MRR and churn - ${m.month}`)
    doc.moveDown(0.6)
    const widths = [60, (WIDTH - 60) / 7, (WIDTH - 60) / 7, (WIDTH - 60) / 7, (WIDTH - 60) / 7, (WIDTH - 60) / 7, (WIDTH - 60) / 7, (WIDTH - 60) / 7]
    row(doc, ['Moneda', 'MRR inicial', 'Nuevo', 'Expansión', 'Contracción', 'Perdido', 'MRR final', 'Churn ingresos'], widths, { bold: true })
    for (const c of m.mrr)
      row(doc, [c.currency, formatMoney(c.startMinor, c.currency), formatMoney(c.newMinor, c.currency), formatMoney(c.expansionMinor, c.currency), formatMoney(c.contractionMinor, c.currency), formatMoney(c.churnedMinor, c.currency), formatMoney(c.endMinor, c.currency), `${(c.revenueChurnBp / 100).toFixed(2).replace('.', ',')} %`], widths)
    doc.moveDown(0.8)
    doc.font('Helvetica').fontSize(10).text(`Clientes al inicio / at start: ${m.logos.start}   nuevos / new: ${m.logos.new}   perdidos / churned: ${m.logos.churned}   al cierre / at end: ${m.logos.end}`)
    doc.text(`Churn de clientes / Logo churn: ${(m.logos.logoChurnBp / 100).toFixed(2).replace('.', ',')} %`)
  })
}
