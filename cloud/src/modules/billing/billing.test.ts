import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { bucketOf } from './aging.js'
import { creditSeriesOf } from './credit-notes.js'
import { formatMoney } from './format.js'
import { mercadoPagoGateway, mercadoPagoManifest } from './gateway/mercadopago.js'
import { stripeGateway } from './gateway/stripe.js'
import { decimalToMinor, type WebhookRequest } from './gateway/types.js'
import { computeLines, formatNumber } from './invoices.js'
import { monthly } from './saas.js'

const now = new Date('2026-03-05T12:00:00Z')
const nowS = Math.floor(now.getTime() / 1000)

describe('invoice arithmetic', () => {
  it('computes line nets in thousandths and tax per line, half away from zero', () => {
    const r = computeLines([
      { description: 'a', quantityMilli: 1500, unitMinor: 333, taxRateBp: 2100 }, // 499.5 -> 500; 105
      { description: 'b', quantityMilli: 1000, unitMinor: 1005, taxRateBp: 1050 }, // 105.525 -> 106
      { description: 'c', quantityMilli: 2000, unitMinor: 10, taxRateBp: 0 },
    ])
    expect(r.lines.map((l) => [l.netMinor, l.taxMinor])).toEqual([[500, 105], [1005, 106], [20, 0]])
    expect([r.netMinor, r.taxMinor, r.totalMinor]).toEqual([1525, 211, 1736])
  })
  it('numbers and series', () => {
    expect(formatNumber('A-0001', 42)).toBe('A-0001-00000042')
    expect(creditSeriesOf('B-0003')).toBe('NCB-0003')
  })
  it('formats money for Spanish readers exactly', () => {
    expect(formatMoney(123456789, 'ARS')).toBe('$\u00a01.234.567,89')
    expect(formatMoney(9007199254740991, 'ARS')).toBe('$\u00a090.071.992.547.409,91')
    expect(formatMoney(150000, 'COP')).toBe('$\u00a01.500,00')
  })
  it('ages by days past due', () => {
    expect([0, -5, 1, 30, 31, 60, 61, 90, 91].map(bucketOf)).toEqual(['current', 'current', 'd1_30', 'd1_30', 'd31_60', 'd31_60', 'd61_90', 'd61_90', 'over90'])
  })
  it('normalizes yearly plans to a month', () => {
    expect(monthly({ price_minor: 100_000, interval: 'year' })).toBe(8333)
    expect(monthly({ price_minor: 100_006, interval: 'year' })).toBe(8334)
    expect(monthly({ price_minor: 500, interval: 'month' })).toBe(500)
  })
  it('reads provider decimals without floats', () => {
    expect(decimalToMinor(605, 2)).toBe(60500)
    expect(decimalToMinor(1210.5, 2)).toBe(121050)
    expect(decimalToMinor('0.1', 2)).toBe(10)
    expect(decimalToMinor(0.29, 2)).toBe(29)
    expect(decimalToMinor('1234.565', 2)).toBe(123457)
    expect(decimalToMinor(1500, 0)).toBe(1500)
  })
})

const req = (headers: Record<string, string>, rawBody: string, query: Record<string, string> = {}): WebhookRequest => ({ headers, rawBody, body: JSON.parse(rawBody), query })

describe('Stripe signatures', () => {
  const secret = 'whsec_unit'
  const raw = '{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","object":"payment_intent","amount_received":500,"currency":"ars","metadata":{}}}}'
  const sig = (t: number, body = raw, s = secret) => createHmac('sha256', s).update(`${t}.${body}`).digest('hex')
  it('accepts any matching v1 within 5 minutes, and refuses the rest', () => {
    expect(() => stripeGateway.verify(req({ 'stripe-signature': `t=${nowS},v1=${sig(nowS)}` }, raw), secret, now)).not.toThrow()
    expect(() => stripeGateway.verify(req({ 'stripe-signature': `t=${nowS},v1=${'a'.repeat(64)},v1=${sig(nowS)}` }, raw), secret, now)).not.toThrow()
    expect(() => stripeGateway.verify(req({ 'stripe-signature': `t=${nowS - 299},v1=${sig(nowS - 299)}` }, raw), secret, now)).not.toThrow()
    const fail = (h: string, body = raw) => {
      try {
        stripeGateway.verify(req({ 'stripe-signature': h }, body), secret, now)
        return 'ok'
      } catch (e) {
        return (e as { code: string }).code
      }
    }
    expect(fail(`t=${nowS - 301},v1=${sig(nowS - 301)}`)).toBe('WEBHOOK_TIMESTAMP_STALE')
    expect(fail(`t=${nowS + 301},v1=${sig(nowS + 301)}`)).toBe('WEBHOOK_TIMESTAMP_STALE')
    expect(fail(`t=${nowS},v1=${sig(nowS, raw, 'other')}`)).toBe('WEBHOOK_SIGNATURE_INVALID')
    expect(fail(`t=${nowS},v1=${sig(nowS)}`, raw.replace('500', '501'))).toBe('WEBHOOK_SIGNATURE_INVALID')
    expect(fail(`t=${nowS},v0=${sig(nowS)}`)).toBe('WEBHOOK_SIGNATURE_MISSING')
    expect(fail(`v1=${sig(nowS)}`)).toBe('WEBHOOK_SIGNATURE_MISSING')
  })
  it('normalizes a paid checkout session, and ignores other events', () => {
    const session = JSON.stringify({ id: 'evt_2', type: 'checkout.session.completed', data: { object: { id: 'cs_1', object: 'checkout.session', amount_total: 150000, currency: 'cop', payment_status: 'paid', payment_intent: 'pi_9', client_reference_id: 'A-0001-00000003', metadata: {} } } })
    expect(stripeGateway.parse(req({}, session)).payment).toMatchObject({ providerPaymentId: 'pi_9', amountMinor: 150000, currency: 'COP', status: 'settled', invoiceRef: 'A-0001-00000003' })
    expect(stripeGateway.parse(req({}, JSON.stringify({ id: 'evt_3', type: 'customer.created', data: { object: { id: 'cus_1' } } }))).payment).toBeNull()
    expect(() => stripeGateway.parse(req({}, JSON.stringify({ id: 'evt_4', type: 'payment_intent.succeeded', data: { object: { id: 'pi', object: 'payment_intent', amount_received: 5, currency: 'xxx' } } })))).toThrow(/amount and currency/)
  })
  it('normalizes a payment intent', () => {
    expect(stripeGateway.parse(req({}, raw))).toMatchObject({ eventId: 'evt_1', payment: { providerPaymentId: 'pi_1', amountMinor: 500, currency: 'ARS', status: 'settled' } })
  })
})

describe('Mercado Pago signatures', () => {
  const secret = 'mp-unit-secret'
  const raw = '{"id":99,"type":"payment","action":"payment.created","data":{"id":"ABC123"}}'
  it('builds the documented manifest (data.id lower-cased, absent parts left out)', () => {
    expect(mercadoPagoManifest('ABC123', 'req-1', '1700000000')).toBe('id:abc123;request-id:req-1;ts:1700000000;')
    expect(mercadoPagoManifest(undefined, 'req-1', '1')).toBe('request-id:req-1;ts:1;')
  })
  it('verifies ts/v1 over id;request-id;ts and refuses a stale or forged one', () => {
    const sign = (ts: string, s = secret) => `ts=${ts},v1=${createHmac('sha256', s).update(`id:abc123;request-id:r-9;ts:${ts};`).digest('hex')}`
    const r = (sig: string) => req({ 'x-signature': sig, 'x-request-id': 'r-9' }, raw, { 'data.id': 'ABC123', type: 'payment' })
    expect(() => mercadoPagoGateway.verify(r(sign(String(nowS))), secret, now)).not.toThrow()
    expect(() => mercadoPagoGateway.verify(r(sign(String(nowS * 1000))), secret, now)).not.toThrow()
    expect(() => mercadoPagoGateway.verify(r(sign(String(nowS - 400))), secret, now)).toThrow(/signed timestamp/)
    expect(() => mercadoPagoGateway.verify(r(sign(String(nowS), 'nope')), secret, now)).toThrow(/does not match/)
    expect(mercadoPagoGateway.parse(r(''))).toEqual({ eventId: '99', type: 'payment.created', payment: null, fetchPaymentId: 'ABC123' })
  })
})

describe('invoice PDF', () => {
  it('prints the invoice in Spanish first, with line detail and a flagged gap', async () => {
    const { invoicePdf, detailText } = await import('./pdf.js')
    expect(detailText({ readingStart: 100, readingEnd: 250, gap: true })?.flagged).toBe(true)
    expect(detailText({ readingStart: 100, readingEnd: 250, gaps: [] })?.flagged).toBe(false)
    const metered = detailText({ readings: [{ deviceId: 'medidor-12', metric: 'energy_kwh', unit: 'kwh', start: { value: 1000, time: '2026-03-01T00:00:00Z' }, end: { value: 1150, time: '2026-03-31T23:00:00Z' } }], resolution: null })
    expect(metered).toEqual({ text: 'Lecturas / Readings: medidor-12 energy_kwh: 1000 (2026-03-01) -> 1150 (2026-03-31) kwh', flagged: false })
    expect(detailText({ readings: [{ deviceId: 'm', metric: 'water', start: null, end: { value: 3 } }] })?.flagged).toBe(true)
    const pdf = await invoicePdf(
      {
        id: 'x', status: 'posted', series: 'A-0001', number: 'A-0001-00000007', contactId: 'c', contactName: 'Local 5', currency: 'ARS', issueDate: '2026-03-01', dueDate: '2026-03-10',
        netMinor: 100000, taxMinor: 21000, totalMinor: 121000, paidMinor: 0, creditedMinor: 0, openMinor: 121000, taxes: [{ rateBp: 2100, netMinor: 100000, taxMinor: 21000 }],
        sourceKey: null, notes: null, postedAt: null, createdAt: '2026-03-01T00:00:00Z',
        contact: { name: 'Local 5', company: null, taxId: '30-1', email: null },
        lines: [{ id: 'l', position: 1, description: 'Energía marzo', quantityMilli: 150000, unitMinor: 666, taxRateBp: 2100, netMinor: 100000, taxMinor: 21000, sourceType: 'utility', sourceId: 'm', detail: { medidor: 'E-12', inicio: 1000, fin: 1150, gap: true } }],
      },
      'Shopping Sur',
      { compress: false },
    )
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-')
    // pdfkit writes text as hex glyph runs: [<48656c6c6f> ...] TJ
    const text = [...pdf.toString('latin1').matchAll(/\[([^\]]*)\]\s*TJ/g)]
      .map((m) => [...m[1]!.matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => Buffer.from(h[1]!, 'hex').toString('latin1')).join(''))
      .join('\n')
    expect(text).toContain('Factura / Invoice')
    expect(text).toContain('A-0001-00000007')
    expect(text).toContain('lecturas faltantes')
  })
})
