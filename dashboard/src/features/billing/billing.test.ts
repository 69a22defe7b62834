import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { lineNet as cloudLineNet, taxOf as cloudTaxOf } from '../../../../cloud/src/modules/common/money.js'
import { ApiError } from '../../api/client.js'
import type { Invoice } from '../../api/billing.js'
import { en as billingEn, es as billingEs } from '../../i18n/messages/billing.js'
import { en as saasEn, es as saasEs } from '../../i18n/messages/saas.js'
import {
  agingBars,
  allocationProblemOf,
  amountInput,
  checkAllocations,
  checkInvoice,
  cloudFieldOf,
  computeTotals,
  distribute,
  invoiceProblemOf,
  lineNet,
  liveTotals,
  mulDivRound,
  parseAmount,
  parseQuantity,
  parseSteps,
  taxOf,
  type InvoiceDraft,
} from './billing.js'
import { useBillingStore } from './store.js'

const invoice = (over: Partial<Invoice> = {}): Invoice => ({
  id: 'i1', status: 'posted', series: 'A-0001', number: 'A-0001-00000001', contactId: 'c1', contactName: 'Kiosco Ana', currency: 'ARS',
  issueDate: '2026-11-01', dueDate: '2026-12-01', netMinor: 100, taxMinor: 21, totalMinor: 121, paidMinor: 0, creditedMinor: 0, openMinor: 121,
  taxes: [{ rateBp: 2100, netMinor: 100, taxMinor: 21 }], sourceKey: null, notes: null, postedAt: null, createdAt: '2026-11-01T00:00:00Z', ...over,
})
const draft = (over: Partial<InvoiceDraft> = {}): InvoiceDraft => ({
  contactId: 'c1', currency: 'ARS', issueDate: '2026-11-21', dueDate: '2026-12-21', notes: '',
  lines: [{ key: 1, description: 'Alquiler', quantity: '2', unit: '1.000,00', taxRateBp: 2100 }, { key: 2, description: 'Expensas', quantity: '1', unit: '500', taxRateBp: 1050 }],
  ...over,
})

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => vi.unstubAllGlobals())

describe('invoice arithmetic', () => {
  it('rounds each line once, half away from zero, on known values', () => {
    // 0,05 at 10,5 % is 0,525 centavos of tax: 1.
    expect(taxOf(5, 1050)).toBe(1)
    // 0,50 at 21 % is 10,5 centavos: 11, and -10,5 is -11 (away from zero, not up).
    expect(taxOf(50, 2100)).toBe(11)
    expect(taxOf(-50, 2100)).toBe(-11)
    expect(mulDivRound(-5, 1, 2)).toBe(-3)
    // 1,5 × 3,33 = 4,995: 5,00; 0,001 × 5,00 = 0,005: 0,01.
    expect(lineNet(1500, 333)).toBe(500)
    expect(lineNet(1, 500)).toBe(1)
    expect(lineNet(1, 499)).toBe(0)
    // 3 × 1.234,56 at 21 %: 3.703,68 net, 777,7728 tax → 777,77.
    expect(computeTotals([{ quantityMilli: 3000, unitMinor: 123456, taxRateBp: 2100 }])).toMatchObject({ netMinor: 370368, taxMinor: 77777, totalMinor: 448145 })
  })

  it('sums per line, not per rate: two lines of 0,50 at 21 % are 0,22 of tax, not 0,21', () => {
    const t = computeTotals([
      { quantityMilli: 1000, unitMinor: 50, taxRateBp: 2100 },
      { quantityMilli: 1000, unitMinor: 50, taxRateBp: 2100 },
    ])
    expect(t.taxMinor).toBe(22)
    expect(t.taxes).toEqual([{ rateBp: 2100, netMinor: 100, taxMinor: 22 }])
  })

  it('gives net and tax per rate, highest first, and the total as integer sums', () => {
    const t = computeTotals([
      { quantityMilli: 2000, unitMinor: 100000, taxRateBp: 2100 },
      { quantityMilli: 1000, unitMinor: 50000, taxRateBp: 1050 },
      { quantityMilli: 1000, unitMinor: 10000, taxRateBp: 0 },
      { quantityMilli: 1000, unitMinor: 10000, taxRateBp: 2700 },
    ])
    expect(t.taxes.map((r) => r.rateBp)).toEqual([2700, 2100, 1050, 0])
    expect(t.lines).toEqual([
      { netMinor: 200000, taxMinor: 42000 },
      { netMinor: 50000, taxMinor: 5250 },
      { netMinor: 10000, taxMinor: 0 },
      { netMinor: 10000, taxMinor: 2700 },
    ])
    expect(t).toMatchObject({ netMinor: 270000, taxMinor: 49950, totalMinor: 319950 })
  })

  it('agrees with the cloud’s own functions on many generated lines', () => {
    let seed = 42
    const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n
    for (let i = 0; i < 2000; i++) {
      const q = 1 + next(5_000_000)
      const unit = next(10_000_000)
      const rate = [2100, 1050, 2700, 1900, 0][next(5)]!
      expect(lineNet(q, unit)).toBe(cloudLineNet(q, unit))
      expect(taxOf(lineNet(q, unit), rate)).toBe(cloudTaxOf(cloudLineNet(q, unit), rate))
    }
  })

  it('stays exact past 2^53 intermediate products', () => {
    // 1e9 thousandths × 9.000.000.001 minor units is 9e18 before the division: floats would lose units.
    expect(lineNet(1_000_000_000, 9_000_000_001)).toBe(9_000_000_001_000_000)
    expect(1_000_000_000 * 9_000_000_001 / 1000).not.toBe(9_000_000_001_000_000)
    expect(lineNet(999_999_999, 9_007_199_254)).toBe(cloudLineNet(999_999_999, 9_007_199_254))
  })

  it('computes live totals from what parses, counting the rest as nothing yet', () => {
    const t = liveTotals(draft({ lines: [...draft().lines, { key: 3, description: '', quantity: '1', unit: 'abc', taxRateBp: 2100 }] }), 'es-AR')
    expect(t).toMatchObject({ netMinor: 250000, taxMinor: 47250, totalMinor: 297250 })
    expect(t.lines[2]).toEqual({ netMinor: 0, taxMinor: 0 })
  })
})

describe('typed numbers', () => {
  it('reads amounts and quantities in the locale, per currency digits, as integers', () => {
    expect(parseAmount('1.234,56', 'es-AR', 'ARS')).toBe(123456)
    expect(parseAmount('$ 1.234,5', 'es-AR', 'ARS')).toBe(123450)
    expect(parseAmount('1,234.56', 'en', 'USD')).toBe(123456)
    expect(parseAmount('1.5', 'es-AR', 'ARS')).toBeNull()
    expect(parseAmount('1.234', 'es-AR', 'CLP')).toBe(1234)
    expect(parseAmount('12,5', 'es-AR', 'CLP')).toBeNull()
    expect(parseAmount('0,1', 'es-AR', 'ARS')).toBe(10)
    // 0,1 + 0,2 typed as amounts adds up exactly.
    expect(parseAmount('0,1', 'es-AR', 'ARS')! + parseAmount('0,2', 'es-AR', 'ARS')!).toBe(30)
    expect(parseQuantity('1,5', 'es-AR')).toBe(1500)
    expect(parseQuantity('0,001', 'es-AR')).toBe(1)
    expect(parseQuantity('1,0001', 'es-AR')).toBeNull()
    expect(parseQuantity('2.5', 'en')).toBe(2500)
    expect(amountInput(123456, 'ARS', 'es-AR')).toBe('1234,56')
    expect(amountInput(5, 'USD', 'en')).toBe('0.05')
    expect(amountInput(1234, 'CLP', 'es-AR')).toBe('1234')
  })

  it('reads dunning days', () => {
    expect(parseSteps('-3, 1, 7, 15, 30')).toEqual([-3, 1, 7, 15, 30])
    expect(parseSteps('7 1 1 -3')).toEqual([-3, 1, 7])
    expect(parseSteps('')).toEqual([])
    expect(parseSteps('1, 400')).toBeNull()
    expect(parseSteps('1,5')).toEqual([1, 5])
    expect(parseSteps('uno')).toBeNull()
  })
})

describe('the invoice form’s checks and the cloud’s refusals', () => {
  it('builds the body in minor units and thousandths', () => {
    const { problems, body } = checkInvoice(draft(), 'es-AR')
    expect(problems).toEqual({})
    expect(body).toEqual({
      contactId: 'c1', currency: 'ARS', issueDate: '2026-11-21', dueDate: '2026-12-21',
      lines: [
        { description: 'Alquiler', quantityMilli: 2000, unitMinor: 100000, taxRateBp: 2100 },
        { description: 'Expensas', quantityMilli: 1000, unitMinor: 50000, taxRateBp: 1050 },
      ],
    })
  })

  it('puts each problem on its field, a line’s by its key', () => {
    const d = draft({ contactId: '', dueDate: '2026-11-01' })
    d.lines[1]!.quantity = '0'
    d.lines[1]!.unit = '1.5'
    d.lines[0]!.description = ' '
    const { problems, body } = checkInvoice(d, 'es-AR')
    expect(body).toBeUndefined()
    expect(problems).toEqual({
      contactId: 'billing.form.errors.customerRequired',
      dueDate: 'billing.form.errors.dueBeforeIssue',
      'lines.1.description': 'billing.form.errors.descriptionRequired',
      'lines.2.quantity': 'billing.form.errors.quantityInvalid',
      'lines.2.unit': 'billing.form.errors.amountInvalid',
    })
  })

  it('maps the cloud’s VALIDATION and codes to fields', () => {
    expect(cloudFieldOf('dueDate: must not be before issueDate')).toBe('dueDate')
    expect(cloudFieldOf('body/lines/1/unitMinor must be >= 0')).toBe('lines.1.unitMinor')
    expect(cloudFieldOf('lines[0].quantityMilli: a positive integer (thousandths)')).toBe('lines.0.quantityMilli')
    const err = (code: string, message: string, status = 400) => new ApiError(status, code, message)
    expect(invoiceProblemOf(err('VALIDATION', 'dueDate: must not be before issueDate'), [7, 9])).toEqual({ field: 'dueDate', key: 'billing.form.errors.dueBeforeIssue' })
    expect(invoiceProblemOf(err('VALIDATION', '/lines/1/quantityMilli must be >= 1'), [7, 9])).toMatchObject({ field: 'lines.9.quantity' })
    expect(invoiceProblemOf(err('CONTACT_NOT_FOUND', 'Contact not found', 404), [])).toMatchObject({ field: 'contactId' })
    expect(invoiceProblemOf(err('INVOICE_POSTED', 'x', 409), [])).toEqual({ key: 'billing.errors.INVOICE_POSTED' })
    expect(invoiceProblemOf(err('SOMETHING_ELSE', 'x', 500), [])).toEqual({ key: 'errors.UNKNOWN' })
  })

  it('puts an over-allocation on the payment’s amount or on the invoice rows that ask too much', () => {
    const rows = [
      { invoiceId: 'a', amountMinor: 500, openMinor: 1000 },
      { invoiceId: 'b', amountMinor: 2000, openMinor: 1500 },
    ]
    const over = (m: string) => new ApiError(409, 'ALLOCATION_EXCEEDS_BALANCE', m)
    expect(allocationProblemOf(over("amountMinor: more than the payment's open balance (100)"), rows)).toMatchObject({ field: 'amount', key: 'billing.errors.overPayment' })
    expect(allocationProblemOf(over("amountMinor: more than the invoice's open balance (1500)"), rows)).toMatchObject({ field: 'alloc.b', fields: ['alloc.b'], key: 'billing.errors.overInvoice' })
    // The balance moved since the list was read: the whole group.
    expect(allocationProblemOf(over("amountMinor: more than the invoice's open balance (0)"), rows.slice(0, 1))).toMatchObject({ field: 'allocations' })
    expect(allocationProblemOf(new ApiError(422, 'MONEY_CURRENCY_MISMATCH', 'x'), rows)).toMatchObject({ field: 'currency' })
  })

  it('spreads a payment over the oldest invoices first and parses typed allocations', () => {
    const inv = [
      { id: 'new', dueDate: '2026-12-01', openMinor: 1000 },
      { id: 'old', dueDate: '2026-10-01', openMinor: 700 },
    ]
    expect(distribute(1200, inv)).toEqual({ old: 700, new: 500 })
    expect(distribute(300, inv)).toEqual({ old: 300 })
    expect(distribute(5000, inv)).toEqual({ old: 700, new: 1000 })
    expect(checkAllocations({ a: '1.000,50', b: '', c: 'x' }, 'es-AR', 'ARS')).toEqual({
      problems: { 'alloc.c': 'billing.payment.errors.amountInvalid' },
      allocations: [{ invoiceId: 'a', amountMinor: 100050 }],
    })
  })
})

describe('aging bars', () => {
  it('scales to the largest bucket and never draws a debt as nothing', () => {
    const bars = agingBars({ current: 0, d1_30: 1_000_000, d31_60: 1, d61_90: 0, over90: 500_000, totalMinor: 1_500_001 }, 120, 30)
    expect(bars.map((b) => [b.bucket, b.length, b.y])).toEqual([
      ['current', 0, 0],
      ['d1_30', 120, 30],
      ['d31_60', 1, 60],
      ['d61_90', 0, 90],
      ['over90', 60, 120],
    ])
  })
})

describe('useBillingStore', () => {
  it('loads a filtered page, loads more without duplicates, and ignores an older filter’s late answer', async () => {
    const answers: Record<string, () => Promise<Response>> = {}
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        const q = new URL(url, 'http://x').searchParams
        return answers[`${q.get('status') ?? ''}|${q.get('cursor') ?? ''}`]!()
      }),
    )
    let releaseSlow!: () => void
    answers['|'] = () => new Promise((resolve) => (releaseSlow = () => resolve(Response.json({ items: [invoice({ id: 'slow' })], nextCursor: null }))))
    answers['posted|'] = async () => Response.json({ items: [invoice({ id: 'a' }), invoice({ id: 'b' })], nextCursor: 'c2' })
    answers['posted|c2'] = async () => Response.json({ items: [invoice({ id: 'b' }), invoice({ id: 'c' })], nextCursor: null })
    const store = useBillingStore()
    const slow = store.load()
    await store.load({ status: 'posted' })
    releaseSlow()
    await slow
    expect(store.invoices.map((i) => i.id)).toEqual(['a', 'b'])
    expect(store.cursor).toBe('c2')
    await store.loadMore()
    expect(store.invoices.map((i) => i.id)).toEqual(['a', 'b', 'c'])
    expect(store.cursor).toBeNull()
    const before = store.changed
    store.put(invoice({ id: 'd', status: 'draft', number: null }))
    expect(store.invoices[0]!.id).toBe('d')
    expect(store.changed).toBe(before + 1)
  })
})

describe('messages', () => {
  it('has every Spanish message in English', () => {
    const keys = (o: object, p = ''): string[] => Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? keys(v, `${p}${k}.`) : [`${p}${k}`]))
    expect(keys(billingEn)).toEqual(keys(billingEs))
    expect(keys(saasEn)).toEqual(keys(saasEs))
  })
})
