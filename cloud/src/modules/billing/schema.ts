import Type from 'typebox'
import { CurrencySchema, MinorSchema, PositiveMinorSchema, RateBpSchema } from '../common/money.js'
import { Page, PageQuery } from '../common/pagination.js'

const Day = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'Calendar date, YYYY-MM-DD' })
const Id = Type.String({ maxLength: 64 })
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

export const IdParams = Type.Object({ id: Id })
export const ContactParams = Type.Object({ contactId: Id })

export const LineBody = Type.Object(
  {
    description: Type.String({ minLength: 1, maxLength: 500 }),
    quantityMilli: Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'Quantity in thousandths (1500 = 1.5)' }),
    unitMinor: PositiveMinorSchema,
    taxRateBp: RateBpSchema,
    sourceType: Type.Optional(Type.String({ maxLength: 40 })),
    sourceId: Type.Optional(Type.String({ maxLength: 100 })),
    detail: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
)

const SERIES = Type.String({ pattern: '^[A-Z0-9]{1,4}-[0-9]{4}$', description: 'Letter and point of sale, e.g. A-0001' })

export const InvoiceBody = Type.Object(
  {
    contactId: Id,
    currency: CurrencySchema,
    issueDate: Day,
    dueDate: Day,
    series: Type.Optional(SERIES),
    lines: Type.Array(LineBody, { minItems: 1, maxItems: 500 }),
    notes: Type.Optional(Type.String({ maxLength: 2000 })),
    sourceKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    post: Type.Optional(Type.Boolean({ description: 'Post at once (number and journal) instead of leaving a draft' })),
  },
  { additionalProperties: false },
)
export type InvoiceBody = Type.Static<typeof InvoiceBody>
export const InvoiceUpdateBody = Type.Object(
  {
    contactId: Id,
    currency: CurrencySchema,
    issueDate: Day,
    dueDate: Day,
    series: Type.Optional(SERIES),
    lines: Type.Array(LineBody, { minItems: 1, maxItems: 500 }),
    notes: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
)

const TaxRow = Type.Object({ rateBp: Type.Integer(), netMinor: MinorSchema, taxMinor: MinorSchema })
export const InvoiceView = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('draft'), Type.Literal('posted'), Type.Literal('void')]),
  series: Type.String(),
  number: Nullable(Type.String()),
  contactId: Type.String(),
  contactName: Type.String(),
  currency: Type.String(),
  issueDate: Type.String(),
  dueDate: Type.String(),
  netMinor: MinorSchema,
  taxMinor: MinorSchema,
  totalMinor: MinorSchema,
  paidMinor: MinorSchema,
  creditedMinor: MinorSchema,
  openMinor: MinorSchema,
  taxes: Type.Array(TaxRow),
  sourceKey: Nullable(Type.String()),
  notes: Nullable(Type.String()),
  postedAt: Nullable(Type.String()),
  createdAt: Type.String(),
})
export const InvoiceLineView = Type.Object({
  id: Type.String(),
  position: Type.Integer(),
  description: Type.String(),
  quantityMilli: Type.Integer(),
  unitMinor: MinorSchema,
  taxRateBp: Type.Integer(),
  netMinor: MinorSchema,
  taxMinor: MinorSchema,
  sourceType: Nullable(Type.String()),
  sourceId: Nullable(Type.String()),
  detail: Type.Unknown(),
})
export const InvoiceDetail = Type.Intersect([
  InvoiceView,
  Type.Object({
    lines: Type.Array(InvoiceLineView),
    contact: Type.Object({ name: Type.String(), company: Nullable(Type.String()), taxId: Nullable(Type.String()), email: Nullable(Type.String()) }),
  }),
])
export const InvoicePage = Page(InvoiceView)
export const InvoiceListQuery = Type.Object({
  ...PageQuery,
  status: Type.Optional(Type.Union([Type.Literal('draft'), Type.Literal('posted'), Type.Literal('void')])),
  contactId: Type.Optional(Id),
})
export const PortalListQuery = Type.Object({ ...PageQuery })

export const PAYMENT_METHODS = ['cash', 'transfer', 'card', 'mercadopago', 'stripe'] as const
export const PaymentMethodSchema = Type.Union([Type.Literal('cash'), Type.Literal('transfer'), Type.Literal('card'), Type.Literal('mercadopago'), Type.Literal('stripe')])
export const PaymentBody = Type.Object(
  {
    contactId: Id,
    currency: CurrencySchema,
    amountMinor: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    method: PaymentMethodSchema,
    paidOn: Day,
    externalRef: Type.Optional(Type.String({ maxLength: 200 })),
    notes: Type.Optional(Type.String({ maxLength: 2000 })),
    allocations: Type.Optional(
      Type.Array(Type.Object({ invoiceId: Id, amountMinor: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }, { additionalProperties: false }), { maxItems: 100 }),
    ),
  },
  { additionalProperties: false },
)
export const AllocateBody = Type.Object(
  {
    allocations: Type.Array(Type.Object({ invoiceId: Id, amountMinor: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: 100,
    }),
  },
  { additionalProperties: false },
)
export const PaymentView = Type.Object({
  id: Type.String(),
  contactId: Type.String(),
  currency: Type.String(),
  amountMinor: MinorSchema,
  allocatedMinor: MinorSchema,
  unallocatedMinor: MinorSchema,
  method: PaymentMethodSchema,
  paidOn: Type.String(),
  externalRef: Nullable(Type.String()),
  notes: Nullable(Type.String()),
  reversed: Type.Boolean(),
  createdAt: Type.String(),
  allocations: Type.Optional(
    Type.Array(Type.Object({ id: Type.String(), invoiceId: Type.String(), amountMinor: MinorSchema, reversed: Type.Boolean(), createdAt: Type.String() })),
  ),
})
export const PaymentPage = Page(PaymentView)
export const PaymentListQuery = Type.Object({ ...PageQuery, contactId: Type.Optional(Id) })
export const ReverseBody = Type.Union([Type.Object({ date: Type.Optional(Day), reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }), Type.Null()])

export const CreditNoteBody = Type.Object(
  {
    issueDate: Day,
    reason: Type.Optional(Type.String({ maxLength: 500 })),
    full: Type.Optional(Type.Boolean()),
    lines: Type.Optional(
      Type.Array(Type.Object({ invoiceLineId: Id, quantityMilli: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }) }, { additionalProperties: false }), { minItems: 1, maxItems: 500 }),
    ),
  },
  { additionalProperties: false },
)
const CreditNoteLine = Type.Object({ invoiceLineId: Type.String(), description: Type.String(), quantityMilli: Type.Integer(), taxRateBp: Type.Integer(), netMinor: MinorSchema, taxMinor: MinorSchema })
export const CreditNoteView = Type.Object({
  id: Type.String(),
  number: Type.String(),
  invoiceId: Type.String(),
  contactId: Type.String(),
  currency: Type.String(),
  issueDate: Type.String(),
  netMinor: MinorSchema,
  taxMinor: MinorSchema,
  totalMinor: MinorSchema,
  reason: Nullable(Type.String()),
  createdAt: Type.String(),
  lines: Type.Optional(Type.Array(CreditNoteLine)),
})
export const CreditNotePage = Page(CreditNoteView)
export const CreditNoteListQuery = Type.Object({ ...PageQuery, invoiceId: Type.Optional(Id) })

const AccountSchema = Type.Union([Type.Literal('receivables'), Type.Literal('revenue'), Type.Literal('tax_payable'), Type.Literal('cash'), Type.Literal('bank'), Type.Literal('customer_credit')])
export const AccountBalance = Type.Object({ account: AccountSchema, currency: Type.String(), debitMinor: MinorSchema, creditMinor: MinorSchema, balanceMinor: MinorSchema })
export const AccountsView = Type.Object({ accounts: Type.Array(AccountBalance) })
export const ContactBalanceView = Type.Object({
  contactId: Type.String(),
  balances: Type.Array(
    Type.Object({
      currency: Type.String(),
      receivableMinor: MinorSchema,
      creditMinor: MinorSchema,
      netMinor: MinorSchema,
      openInvoicesMinor: MinorSchema,
      unallocatedPaymentsMinor: MinorSchema,
      consistent: Type.Boolean({ description: 'The ledger agrees with the documents' }),
    }),
  ),
})
export const JournalView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  sourceType: Type.String(),
  sourceId: Type.String(),
  currency: Type.String(),
  entryDate: Type.String(),
  memo: Nullable(Type.String()),
  reversesJournalId: Nullable(Type.String()),
  createdAt: Type.String(),
  lines: Type.Array(Type.Object({ account: AccountSchema, contactId: Nullable(Type.String()), debitMinor: MinorSchema, creditMinor: MinorSchema })),
})
export type JournalView = Type.Static<typeof JournalView>
export const JournalPage = Page(JournalView)
export const JournalListQuery = Type.Object({ ...PageQuery, sourceId: Type.Optional(Id) })
