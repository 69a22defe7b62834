import Type from 'typebox'
import { CurrencySchema, PositiveMinorSchema } from '../common/money.js'
import { Page, PageQuery } from '../common/pagination.js'

const Uuid = Type.String({ format: 'uuid' })
const EpochMs = Type.Integer({ minimum: 0 })
const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()])
/** Text with something in it: names are stored trimmed, and blank ones would break their checks. */
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S' })

export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) })

// ----- contacts -----

export const CONTACT_KINDS = ['customer', 'lead', 'supplier', 'staff'] as const
export const ContactKind = Type.Union([Type.Literal('customer'), Type.Literal('lead'), Type.Literal('supplier'), Type.Literal('staff')])
/** The usual address shape; the database keeps it as written, compared lower-cased. */
export const Email = Type.String({ format: 'email', maxLength: 254 })
/** Digits with the separators people type; 6 to 20 digits (checked in contacts.ts). */
export const Phone = Type.String({ pattern: '^\\+?[0-9][0-9 ().-]{4,28}[0-9]$', maxLength: 30 })
export const Tag = Type.String({ minLength: 1, maxLength: 40, pattern: '^[^,]*[^,\\s][^,]*$' })
export const CountryCode = Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' })

const contactFields = {
  company: Type.Optional(Nullable(Text(200))),
  email: Type.Optional(Nullable(Email)),
  phone: Type.Optional(Nullable(Phone)),
  taxId: Type.Optional(Nullable(Text(40))),
  vertical: Type.Optional(Nullable(Text(60))),
  city: Type.Optional(Nullable(Text(100))),
  country: Type.Optional(Nullable(CountryCode)),
  annualRevenueMinor: Type.Optional(Nullable(PositiveMinorSchema)),
  revenueCurrency: Type.Optional(Nullable(CurrencySchema)),
  ownerUserId: Type.Optional(Nullable(Uuid)),
  source: Type.Optional(Nullable(Text(60))),
  tags: Type.Optional(Type.Array(Tag, { maxItems: 20 })),
  notes: Type.Optional(Nullable(Type.String({ maxLength: 4000 }))),
}

export const CreateContactBody = Type.Object({ kind: ContactKind, name: Text(200), ...contactFields }, { additionalProperties: false })
export type CreateContactBody = Type.Static<typeof CreateContactBody>

export const UpdateContactBody = Type.Object(
  { kind: Type.Optional(ContactKind), name: Type.Optional(Text(200)), ...contactFields },
  { additionalProperties: false, minProperties: 1 },
)
export type UpdateContactBody = Type.Static<typeof UpdateContactBody>

export const ContactView = Type.Object({
  id: Type.String(),
  kind: ContactKind,
  name: Type.String(),
  company: Nullable(Type.String()),
  email: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  taxId: Nullable(Type.String()),
  vertical: Nullable(Type.String()),
  city: Nullable(Type.String()),
  country: Nullable(Type.String()),
  annualRevenueMinor: Nullable(Type.Integer()),
  revenueCurrency: Nullable(Type.String()),
  ownerUserId: Nullable(Type.String()),
  source: Nullable(Type.String()),
  tags: Type.Array(Type.String()),
  notes: Nullable(Type.String()),
  score: Type.Integer(),
  lastInteractionAt: Nullable(EpochMs),
  createdAt: EpochMs,
  updatedAt: EpochMs,
  archivedAt: Nullable(EpochMs),
  linkedOrgId: Nullable(Type.String({ description: 'The organization on Tendero this contact is, once it redeemed a portal invitation' })),
})
export type ContactView = Type.Static<typeof ContactView>
export const ContactPage = Page(ContactView)

export const ContactsQuery = Type.Object(
  {
    ...PageQuery,
    kind: Type.Optional(ContactKind),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Contains, case-insensitive, in name, company or email' })),
    vertical: Type.Optional(Text(60)),
    city: Type.Optional(Text(100)),
    tag: Type.Optional(Tag),
    minScore: Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 })),
    archived: Type.Optional(Type.Union([Type.Literal('false'), Type.Literal('true'), Type.Literal('all')], { description: 'Default false: active contacts only' })),
    sort: Type.Optional(Type.Union([Type.Literal('createdAt'), Type.Literal('-createdAt'), Type.Literal('name'), Type.Literal('-name'), Type.Literal('score'), Type.Literal('-score')])),
  },
  { additionalProperties: false },
)
export type ContactsQuery = Type.Static<typeof ContactsQuery>

/**
 * What a rule looked at, as data the dashboard words in the reader's language: `value` for
 * vertical, source and city; `minor` and `currency` for revenue; `count` for interactions;
 * `present` for email and phone.
 */
export const ScoreObserved = Type.Object({
  value: Type.Optional(Nullable(Type.String())),
  minor: Type.Optional(Nullable(Type.Integer())),
  currency: Type.Optional(Nullable(Type.String())),
  count: Type.Optional(Type.Integer()),
  present: Type.Optional(Type.Boolean()),
})
export type ScoreObserved = Type.Static<typeof ScoreObserved>

export const ScoreBreakdown = Type.Object({
  contactId: Type.String(),
  score: Type.Integer({ description: 'The stored score (contacts.score)' }),
  computed: Type.Integer({ description: 'The rules evaluated now; differs from score only while a time window moved since the last recompute' }),
  rules: Type.Array(
    Type.Object({
      ruleId: Type.String(), name: Type.String(), points: Type.Integer(), matched: Type.Boolean(),
      condition: Type.Unsafe<ScoreCondition>({ description: 'The rule\'s condition (type and values), as in /crm/scoring-rules' }),
      observed: ScoreObserved,
      detail: Type.String({ description: 'The same in English, for logs and API users; the dashboard words condition and observed itself' }),
    }),
  ),
})

// ----- pipeline -----

export const StageView = Type.Object({ id: Type.String(), name: Type.String(), position: Type.Integer(), closing: Type.Boolean(), openDeals: Type.Integer() })
export type StageView = Type.Static<typeof StageView>
export const StagePage = Page(StageView)
export const StagesQuery = Type.Object({ ...PageQuery }, { additionalProperties: false })
export const CreateStageBody = Type.Object(
  { name: Text(80), position: Type.Optional(Type.Integer({ minimum: 0, maximum: 99, description: '0-based; default after the last' })) },
  { additionalProperties: false },
)
export const UpdateStageBody = Type.Object(
  { name: Type.Optional(Text(80)), closing: Type.Optional(Type.Boolean({ description: 'Make this the stage where deals are closed (won or lost)' })) },
  { additionalProperties: false, minProperties: 1 },
)
export const ReorderStagesBody = Type.Object(
  { stageIds: Type.Array(Uuid, { minItems: 1, maxItems: 100, description: 'Every active stage, in the new order' }) },
  { additionalProperties: false },
)

const DateOnly = Type.String({ format: 'date' })
export const DealStatus = Type.Union([Type.Literal('open'), Type.Literal('won'), Type.Literal('lost')])
export const DealView = Type.Object({
  id: Type.String(),
  contactId: Type.String(),
  title: Type.String(),
  valueMinor: Type.Integer(),
  currency: Type.String(),
  stageId: Type.String(),
  expectedCloseDate: Nullable(Type.String()),
  ownerUserId: Nullable(Type.String()),
  status: DealStatus,
  closeReason: Nullable(Type.String()),
  closedAt: Nullable(EpochMs),
  createdAt: EpochMs,
  updatedAt: EpochMs,
})
export type DealView = Type.Static<typeof DealView>
export const DealPage = Page(DealView)
export const StageStay = Type.Object({ stageId: Type.String(), stageName: Type.String(), fromStageId: Nullable(Type.String()), enteredAt: EpochMs, leftAt: Nullable(EpochMs) })
export const DealDetail = Type.Object({ ...DealView.properties, history: Type.Array(StageStay) })

export const DealsQuery = Type.Object(
  {
    ...PageQuery,
    stageId: Type.Optional(Uuid),
    status: Type.Optional(DealStatus),
    contactId: Type.Optional(Uuid),
    ownerUserId: Type.Optional(Uuid),
  },
  { additionalProperties: false },
)
export type DealsQuery = Type.Static<typeof DealsQuery>
export const CreateDealBody = Type.Object(
  {
    contactId: Uuid,
    title: Text(200),
    valueMinor: PositiveMinorSchema,
    currency: CurrencySchema,
    stageId: Type.Optional(Uuid),
    expectedCloseDate: Type.Optional(Nullable(DateOnly)),
    ownerUserId: Type.Optional(Nullable(Uuid)),
  },
  { additionalProperties: false },
)
export type CreateDealBody = Type.Static<typeof CreateDealBody>
export const UpdateDealBody = Type.Object(
  {
    title: Type.Optional(Text(200)),
    valueMinor: Type.Optional(PositiveMinorSchema),
    currency: Type.Optional(CurrencySchema),
    expectedCloseDate: Type.Optional(Nullable(DateOnly)),
    ownerUserId: Type.Optional(Nullable(Uuid)),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type UpdateDealBody = Type.Static<typeof UpdateDealBody>
export const MoveDealBody = Type.Object({ stageId: Uuid }, { additionalProperties: false })
export const CloseDealBody = Type.Object(
  { outcome: Type.Union([Type.Literal('won'), Type.Literal('lost')]), reason: Type.Optional(Text(500)) },
  { additionalProperties: false },
)

// ----- interactions -----

export const LOGGED_KINDS = ['call', 'email', 'meeting', 'whatsapp'] as const
const LoggedKind = Type.Union([Type.Literal('call'), Type.Literal('email'), Type.Literal('meeting'), Type.Literal('whatsapp')])
export const InteractionKind = Type.Union([...LoggedKind.anyOf, Type.Literal('web_form')])
export const Direction = Type.Union([Type.Literal('inbound'), Type.Literal('outbound')])
export const InteractionView = Type.Object({
  id: Type.String(),
  contactId: Type.String(),
  dealId: Nullable(Type.String()),
  kind: InteractionKind,
  direction: Direction,
  occurredAt: EpochMs,
  summary: Type.String(),
  userId: Nullable(Type.String()),
  createdAt: EpochMs,
})
export type InteractionView = Type.Static<typeof InteractionView>
export const InteractionPage = Page(InteractionView)
export const InteractionsQuery = Type.Object(
  { ...PageQuery, contactId: Type.Optional(Uuid), dealId: Type.Optional(Uuid), kind: Type.Optional(InteractionKind) },
  { additionalProperties: false },
)
export type InteractionsQuery = Type.Static<typeof InteractionsQuery>
export const CreateInteractionBody = Type.Object(
  {
    contactId: Uuid,
    dealId: Type.Optional(Nullable(Uuid)),
    kind: LoggedKind,
    direction: Direction,
    occurredAt: Type.Optional(EpochMs),
    summary: Text(4000),
  },
  { additionalProperties: false },
)
export type CreateInteractionBody = Type.Static<typeof CreateInteractionBody>

// ----- lead forms and capture -----

export const LeadFormView = Type.Object({
  id: Type.String(),
  formKey: Type.String(),
  name: Type.String(),
  source: Type.String(),
  minFillSeconds: Type.Integer(),
  createdAt: EpochMs,
  disabledAt: Nullable(EpochMs),
})
export const LeadFormPage = Page(LeadFormView)
export const LeadFormsQuery = Type.Object({ ...PageQuery }, { additionalProperties: false })
export const CreateLeadFormBody = Type.Object(
  {
    name: Text(120),
    source: Type.Optional(Type.String({ minLength: 1, maxLength: 60, description: 'What captured leads carry as their source (default web)' })),
    minFillSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 600, description: 'A submission faster than this after the token was issued is dropped (default 3)' })),
  },
  { additionalProperties: false },
)
export const FormKeyParams = Type.Object({ formKey: Type.String({ minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) })
export const PublicFormView = Type.Object({
  name: Type.String(),
  token: Type.String({ description: 'Send it back as formToken; valid 24 h' }),
  minFillSeconds: Type.Integer(),
})
export const LeadSubmission = Type.Object(
  {
    name: Text(200),
    email: Type.Optional(Email),
    phone: Type.Optional(Phone),
    company: Type.Optional(Text(200)),
    vertical: Type.Optional(Text(60)),
    city: Type.Optional(Text(100)),
    country: Type.Optional(CountryCode),
    message: Type.Optional(Type.String({ maxLength: 2000 })),
    formToken: Type.String({ minLength: 10, maxLength: 200 }),
    /** The honeypot: hidden from people by the form's CSS, so only bots fill it. */
    website: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
)
export type LeadSubmission = Type.Static<typeof LeadSubmission>
export const LeadAccepted = Type.Object({ status: Type.Literal('received') })

// ----- scoring -----

export const ScoreCondition = Type.Union([
  Type.Object({ type: Type.Literal('vertical_equals'), value: Text(60) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('revenue_at_least'), minor: PositiveMinorSchema, currency: CurrencySchema }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('has_email') }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('has_phone') }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('source_equals'), value: Text(60) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('city_in'), values: Type.Array(Text(100), { minItems: 1, maxItems: 50 }) }, { additionalProperties: false }),
  Type.Object(
    { type: Type.Literal('interactions_within'), days: Type.Integer({ minimum: 1, maximum: 3650 }), atLeast: Type.Integer({ minimum: 1, maximum: 1000 }) },
    { additionalProperties: false },
  ),
])
export type ScoreCondition = Type.Static<typeof ScoreCondition>
export const ScoringRuleView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  condition: ScoreCondition,
  points: Type.Integer(),
  active: Type.Boolean(),
  createdAt: EpochMs,
  updatedAt: EpochMs,
})
export const ScoringRulePage = Page(ScoringRuleView)
export const ScoringRulesQuery = Type.Object({ ...PageQuery }, { additionalProperties: false })
const Points = Type.Integer({ minimum: -1000, maximum: 1000 })
export const CreateScoringRuleBody = Type.Object(
  { name: Text(120), condition: ScoreCondition, points: Points, active: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
)
export type CreateScoringRuleBody = Type.Static<typeof CreateScoringRuleBody>
export const UpdateScoringRuleBody = Type.Object(
  { name: Type.Optional(Text(120)), condition: Type.Optional(ScoreCondition), points: Type.Optional(Points), active: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
)
export type UpdateScoringRuleBody = Type.Static<typeof UpdateScoringRuleBody>
export const RecomputeReply = Type.Object({ contacts: Type.Integer(), changed: Type.Integer() })

// ----- segments -----

export const SegmentDefinition = Type.Object(
  {
    kinds: Type.Optional(Type.Array(ContactKind, { minItems: 1, maxItems: 4 })),
    verticals: Type.Optional(Type.Array(Text(60), { minItems: 1, maxItems: 50 })),
    revenueMinMinor: Type.Optional(PositiveMinorSchema),
    revenueMaxMinor: Type.Optional(PositiveMinorSchema),
    revenueCurrency: Type.Optional(CurrencySchema),
    activeWithinDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'Last interaction within N days' })),
    inactiveForDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'No interaction for N days (or never)' })),
    cities: Type.Optional(Type.Array(Text(100), { minItems: 1, maxItems: 50 })),
    countries: Type.Optional(Type.Array(CountryCode, { minItems: 1, maxItems: 50 })),
    tags: Type.Optional(Type.Array(Tag, { minItems: 1, maxItems: 20, description: 'Any of these tags' })),
    minScore: Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
)
export type SegmentDefinition = Type.Static<typeof SegmentDefinition>
export const SegmentView = Type.Object({ id: Type.String(), name: Type.String(), definition: SegmentDefinition, createdAt: EpochMs, updatedAt: EpochMs })
export const SegmentPage = Page(SegmentView)
export const SegmentsQuery = Type.Object({ ...PageQuery }, { additionalProperties: false })
export const CreateSegmentBody = Type.Object({ name: Text(120), definition: SegmentDefinition }, { additionalProperties: false })
export const UpdateSegmentBody = Type.Object(
  { name: Type.Optional(Text(120)), definition: Type.Optional(SegmentDefinition) },
  { additionalProperties: false, minProperties: 1 },
)
export const SegmentContactsQuery = Type.Object({ ...PageQuery }, { additionalProperties: false })
export const PreviewSegmentBody = Type.Object(
  { definition: SegmentDefinition, limit: PageQuery.limit, cursor: PageQuery.cursor },
  { additionalProperties: false },
)

// ----- reports -----

export const FunnelQuery = Type.Object(
  { from: Type.Optional(EpochMs), to: Type.Optional(EpochMs) },
  { additionalProperties: false },
)
export const MoneyByCurrency = Type.Array(Type.Object({ currency: Type.String(), count: Type.Integer(), valueMinor: Type.Integer() }))
export const FunnelReport = Type.Object({
  from: EpochMs,
  to: EpochMs,
  stages: Type.Array(
    Type.Object({
      stageId: Type.String(),
      name: Type.String(),
      position: Type.Integer(),
      deleted: Type.Boolean(),
      entered: Type.Integer({ description: 'Deals that entered the stage in the window' }),
      conversionToNextPct: Nullable(Type.Number({ description: 'Entered the next stage / entered this one, %, 1 decimal' })),
      avgDaysInStage: Nullable(Type.Number({ description: 'Over stays that began in the window and ended, 2 decimals' })),
    }),
  ),
  won: MoneyByCurrency,
  lost: MoneyByCurrency,
  wonCount: Type.Integer(),
  lostCount: Type.Integer(),
  winRatePct: Nullable(Type.Number()),
})
export type FunnelReport = Type.Static<typeof FunnelReport>
export const LeadsBySourceQuery = Type.Object(
  { from: Type.Optional(EpochMs), to: Type.Optional(EpochMs), bucket: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')])) },
  { additionalProperties: false },
)
export const LeadsBySourceReport = Type.Object({
  from: EpochMs,
  to: EpochMs,
  bucket: Type.String(),
  rows: Type.Array(Type.Object({ period: Type.String({ description: 'Start of the bucket, YYYY-MM-DD (UTC)' }), source: Type.String(), leads: Type.Integer() })),
})
export const CsvBody = Type.String({ description: 'text/csv' })

// ----- portal links -----

export const InvitationBody = Type.Object(
  { sendEmail: Type.Optional(Type.Boolean({ description: 'Also mail the code to the contact\'s email' })) },
  { additionalProperties: false },
)
export const InvitationCreated = Type.Object({
  id: Type.String(), contactId: Type.String(),
  code: Type.String({ description: 'The one-time code, in this answer only (stored hashed)' }),
  createdAt: EpochMs, expiresAt: EpochMs, mailedTo: Nullable(Type.String()),
})
export const PortalLinkState = Type.Object({
  contactId: Type.String(),
  linked: Nullable(Type.Object({ orgId: Type.String(), orgName: Type.String(), linkedAt: Nullable(EpochMs) })),
  invitation: Nullable(Type.Object({ id: Type.String(), createdAt: EpochMs, expiresAt: EpochMs, mailedTo: Nullable(Type.String()) })),
})
export const RedeemBody = Type.Object(
  { code: Type.String({ minLength: 1, maxLength: 40, description: 'The code as given; case, spaces and dashes do not matter' }) },
  { additionalProperties: false },
)
export const PortalLinkView = Type.Object({
  contactId: Type.String({ description: 'The landlord\'s (or supplier\'s) contact that is this organization' }),
  contactName: Type.String(), kind: Type.String(), orgId: Type.String(), orgName: Type.String(), linkedAt: Nullable(EpochMs),
})
export const PortalLinkPage = Page(PortalLinkView)
export const PortalLinksQuery = Type.Object({ ...PageQuery }, { additionalProperties: false })
export const ContactIdParams = Type.Object({ contactId: Type.String({ maxLength: 64 }) })
