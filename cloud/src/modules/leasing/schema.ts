import Type from 'typebox'
import { CurrencySchema, PositiveMinorSchema, RateBpSchema } from '../common/money.js'
import { Page, PageQuery } from '../common/pagination.js'
import { CHARGE_KINDS, INCIDENT_CATEGORIES, SPACE_TYPES } from './tables.js'

const lit = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)))
const Uuid = Type.String({ format: 'uuid' })
const NullableString = Type.Union([Type.String(), Type.Null()])
export const IsoDate = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'Calendar date, YYYY-MM-DD' })
export const Period = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'Month, YYYY-MM' })
export const IdParams = Type.Object({ id: Uuid })

export const MallBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), siteId: Type.Optional(Type.Union([Uuid, Type.Null()])), address: Type.Optional(Type.Union([Type.String({ maxLength: 300 }), Type.Null()])) },
  { additionalProperties: false },
)
export type MallBody = Type.Static<typeof MallBody>
export const MallPatch = Type.Partial(MallBody, { additionalProperties: false, minProperties: 1 })
export const MallView = Type.Object({ id: Type.String(), name: Type.String(), siteId: NullableString, address: NullableString, createdAt: Type.String() })
export type MallView = Type.Static<typeof MallView>

export const ZoneBody = Type.Object({ mallId: Uuid, name: Type.String({ minLength: 1, maxLength: 120 }) }, { additionalProperties: false })
export const ZonePatch = Type.Object({ name: Type.String({ minLength: 1, maxLength: 120 }) }, { additionalProperties: false })
export const ZoneView = Type.Object({ id: Type.String(), mallId: Type.String(), name: Type.String() })
export type ZoneView = Type.Static<typeof ZoneView>

export const SpaceType = lit(SPACE_TYPES)
export const SpaceBody = Type.Object(
  {
    mallId: Uuid,
    zoneId: Type.Optional(Type.Union([Uuid, Type.Null()])),
    code: Type.String({ minLength: 1, maxLength: 40 }),
    /** Hundredths of a m²: 4250 = 42.50 m². */
    areaCentiM2: Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'Area in hundredths of a square metre (4250 = 42.50 m²)' }),
    type: SpaceType,
    baseRentMinor: PositiveMinorSchema,
    currency: CurrencySchema,
  },
  { additionalProperties: false },
)
export type SpaceBody = Type.Static<typeof SpaceBody>
export const SpacePatch = Type.Partial(Type.Omit(SpaceBody, ['mallId']), { additionalProperties: false, minProperties: 1 })
export type SpacePatch = Type.Static<typeof SpacePatch>
export const SpaceView = Type.Object({
  id: Type.String(), mallId: Type.String(), zoneId: NullableString, code: Type.String(), areaCentiM2: Type.Integer(), areaM2: Type.String(),
  type: Type.String(), baseRentMinor: Type.Integer(), currency: Type.String(),
})
export type SpaceView = Type.Static<typeof SpaceView>

export const IndexTableBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 80 }) }, { additionalProperties: false })
/** A decimal with up to 6 places, as text so it stays exact: "1234.567891". */
const IndexDecimal = Type.String({ pattern: '^[0-9]{1,12}(\\.[0-9]{1,6})?$' })
export const IndexValuesBody = Type.Object(
  { values: Type.Array(Type.Object({ date: IsoDate, value: IndexDecimal }, { additionalProperties: false }), { minItems: 1, maxItems: 2000 }) },
  { additionalProperties: false },
)
export const IndexTableView = Type.Object({ id: Type.String(), name: Type.String(), values: Type.Array(Type.Object({ date: Type.String(), value: Type.String() })) })
export type IndexTableView = Type.Static<typeof IndexTableView>
export const IndexTableSummary = Type.Object({ id: Type.String(), name: Type.String() })

export const EscalationBody = Type.Union([
  Type.Object({ kind: Type.Literal('none') }, { additionalProperties: false }),
  Type.Object(
    { kind: Type.Literal('percent'), percentBp: RateBpSchema, everyMonths: Type.Integer({ minimum: 1, maximum: 120 }), from: Type.Optional(IsoDate) },
    { additionalProperties: false },
  ),
  Type.Object(
    { kind: Type.Literal('index'), tableId: Uuid, everyMonths: Type.Integer({ minimum: 1, maximum: 120 }), from: Type.Optional(IsoDate) },
    { additionalProperties: false },
  ),
])
export type EscalationBody = Type.Static<typeof EscalationBody>

export const LeaseBody = Type.Object(
  {
    tenantContactId: Uuid,
    spaceIds: Type.Array(Uuid, { minItems: 1, maxItems: 50 }),
    startsOn: IsoDate,
    endsOn: IsoDate,
    rentMinor: PositiveMinorSchema,
    currency: CurrencySchema,
    depositMinor: Type.Optional(PositiveMinorSchema),
    /** IVA on the invoiced rent, basis points (2100 = 21 %); default 0. */
    rentTaxRateBp: Type.Optional(RateBpSchema),
    billingDay: Type.Optional(Type.Integer({ minimum: 1, maximum: 28 })),
    escalation: Type.Optional(EscalationBody),
    notes: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
)
export type LeaseBody = Type.Static<typeof LeaseBody>
export const LeasePatch = Type.Object(
  { depositMinor: Type.Optional(PositiveMinorSchema), billingDay: Type.Optional(Type.Integer({ minimum: 1, maximum: 28 })), notes: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])) },
  { additionalProperties: false, minProperties: 1 },
)
export type LeasePatch = Type.Static<typeof LeasePatch>
export const TerminateBody = Type.Object({ on: IsoDate, reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false })
export const RenewBody = Type.Object(
  {
    /** new_term: a new lease from the day after the end, linked to this one; extend: this lease's end moves, at a new rent. */
    mode: Type.Union([Type.Literal('new_term'), Type.Literal('extend')]),
    endsOn: IsoDate,
    rentMinor: PositiveMinorSchema,
    escalation: Type.Optional(EscalationBody),
  },
  { additionalProperties: false },
)
export type RenewBody = Type.Static<typeof RenewBody>

export const LeaseStatus = Type.Union([Type.Literal('upcoming'), Type.Literal('active'), Type.Literal('ended'), Type.Literal('terminated')])
export const LeaseView = Type.Object({
  id: Type.String(),
  mallId: Type.String(),
  tenantContactId: Type.String(),
  tenantName: Type.String(),
  spaces: Type.Array(Type.Object({ id: Type.String(), code: Type.String(), areaCentiM2: Type.Integer(), type: Type.String(), zoneId: NullableString })),
  startsOn: Type.String(),
  endsOn: Type.String(),
  terminatedOn: NullableString,
  terminationReason: NullableString,
  status: LeaseStatus,
  rentMinor: Type.Integer(),
  currency: Type.String(),
  depositMinor: Type.Integer(),
  rentTaxRateBp: Type.Integer(),
  billingDay: Type.Integer(),
  escalation: Type.Unknown(),
  rentSteps: Type.Array(Type.Object({ effectiveOn: Type.String(), rentMinor: Type.Integer() })),
  previousLeaseId: NullableString,
  notes: NullableString,
})
export type LeaseView = Type.Static<typeof LeaseView>
export const LeasesQuery = Type.Object(
  { ...PageQuery, mallId: Type.Optional(Uuid), tenantContactId: Type.Optional(Uuid), status: Type.Optional(LeaseStatus) },
  { additionalProperties: false },
)
export type LeasesQuery = Type.Static<typeof LeasesQuery>

export const ChargeView = Type.Object({
  id: Type.String(),
  leaseId: Type.String(),
  period: Type.String(),
  kind: Type.String(),
  currency: Type.String(),
  amountMinor: Type.Union([Type.Integer(), Type.Null()]),
  taxMinor: Type.Integer(),
  status: Type.String(),
  reviewReason: NullableString,
  resolutionNote: NullableString,
  detail: Type.Unknown(),
})
export type ChargeView = Type.Static<typeof ChargeView>
export const ChargesQuery = Type.Object(
  { ...PageQuery, period: Type.Optional(Period), leaseId: Type.Optional(Uuid), kind: Type.Optional(lit(CHARGE_KINDS)), status: Type.Optional(lit(['ok', 'needs_review', 'resolved'] as const)) },
  { additionalProperties: false },
)
export type ChargesQuery = Type.Static<typeof ChargesQuery>
export const ProjectedCharge = Type.Object({ period: Type.String(), amountMinor: Type.Integer(), currency: Type.String(), segments: Type.Unknown() })
export const ScheduleView = Type.Object({ leaseId: Type.String(), currency: Type.String(), charges: Type.Array(ChargeView), projection: Type.Array(ProjectedCharge) })
export const ScheduleQuery = Type.Object({ months: Type.Optional(Type.Integer({ minimum: 0, maximum: 120, default: 12 })) }, { additionalProperties: false })

export const RunBody = Type.Object({ period: Period }, { additionalProperties: false })
export const RunResult = Type.Object({ period: Type.String(), created: Type.Integer(), existing: Type.Integer(), needsReview: Type.Optional(Type.Integer()) })

export const ResolveBody = Type.Object(
  {
    /** Counter values entered by hand (a reading taken on site), or a consumption estimate in thousandths of the unit. */
    startValue: Type.Optional(Type.Number()),
    endValue: Type.Optional(Type.Number()),
    estimatedQuantityMilli: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000_000 })),
    note: Type.String({ minLength: 1, maxLength: 1000 }),
  },
  { additionalProperties: false },
)
export type ResolveBody = Type.Static<typeof ResolveBody>

export const MeterBody = Type.Object(
  { spaceId: Uuid, siteId: Uuid, deviceId: Type.String({ minLength: 1, maxLength: 120 }), metric: Type.String({ minLength: 1, maxLength: 120 }),
    kind: Type.Union([Type.Literal('energy'), Type.Literal('water')]), unit: Type.Union([Type.Literal('kwh'), Type.Literal('m3'), Type.Literal('l')]) },
  { additionalProperties: false },
)
export type MeterBody = Type.Static<typeof MeterBody>
export const MeterView = Type.Object({ id: Type.String(), spaceId: Type.String(), siteId: Type.String(), deviceId: Type.String(), metric: Type.String(), kind: Type.String(), unit: Type.String() })
export const TariffBody = Type.Object(
  { mallId: Uuid, kind: Type.Union([Type.Literal('energy'), Type.Literal('water')]), currency: CurrencySchema, priceMinor: PositiveMinorSchema, taxRateBp: Type.Optional(RateBpSchema) },
  { additionalProperties: false },
)
export type TariffBody = Type.Static<typeof TariffBody>
export const TariffView = Type.Object({ id: Type.String(), mallId: Type.String(), kind: Type.String(), currency: Type.String(), priceMinor: Type.Integer(), taxRateBp: Type.Integer() })

export const OccupancyRow = Type.Object({ key: Type.String(), name: Type.String(), occupiedCentiM2: Type.Integer(), totalCentiM2: Type.Integer(), occupiedPct: Type.Number(), occupiedSpaces: Type.Integer(), totalSpaces: Type.Integer() })
export const OccupancyView = Type.Object({ at: Type.String(), total: OccupancyRow, byZone: Type.Array(OccupancyRow), byType: Type.Array(OccupancyRow) })
export type OccupancyView = Type.Static<typeof OccupancyView>
export const OccupancyQuery = Type.Object(
  { at: Type.Optional(IsoDate), mallId: Type.Optional(Uuid), format: Type.Optional(lit(['json', 'csv', 'pdf'] as const)) },
  { additionalProperties: false },
)
export type OccupancyQuery = Type.Static<typeof OccupancyQuery>

export const ExpirationsQuery = Type.Object(
  { ...PageQuery, within: Type.Optional(Type.Union([Type.Literal(30), Type.Literal(60), Type.Literal(90)], { default: 90 })), at: Type.Optional(IsoDate) },
  { additionalProperties: false },
)
export const ExpirationItem = Type.Object({ leaseId: Type.String(), tenantName: Type.String(), endsOn: Type.String(), daysLeft: Type.Integer(), spaces: Type.Array(Type.String()), rentMinor: Type.Integer(), currency: Type.String() })

export const IncidentBody = Type.Object(
  { leaseId: Uuid, spaceId: Type.Optional(Uuid), category: lit(INCIDENT_CATEGORIES), description: Type.String({ minLength: 1, maxLength: 4000 }) },
  { additionalProperties: false },
)
export type IncidentBody = Type.Static<typeof IncidentBody>
/** The mall logs an incident itself (source `mall`); the tenant contact is mailed when it has an address, unless notifyTenant is false. */
export const MallIncidentBody = Type.Object(
  { ...IncidentBody.properties, notifyTenant: Type.Optional(Type.Boolean({ default: true })) },
  { additionalProperties: false },
)
export type MallIncidentBody = Type.Static<typeof MallIncidentBody>
export const IncidentPatch = Type.Object({ status: Type.Union([Type.Literal('open'), Type.Literal('in_progress'), Type.Literal('resolved')]) }, { additionalProperties: false })
export const IncidentView = Type.Object({
  id: Type.String(), leaseId: Type.String(), spaceId: NullableString, category: Type.String(), description: Type.String(), status: Type.String(),
  source: Type.Union([Type.Literal('tenant'), Type.Literal('mall')]), createdAt: Type.String(), resolvedAt: NullableString,
})
export const IncidentsQuery = Type.Object({ ...PageQuery, status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('in_progress'), Type.Literal('resolved')])) }, { additionalProperties: false })

export const PortalLeaseView = Type.Object({
  id: Type.String(), mallName: Type.String(), landlordName: Type.String(), spaces: LeaseView.properties.spaces, startsOn: Type.String(), endsOn: Type.String(),
  terminatedOn: NullableString, status: LeaseStatus, rentMinor: Type.Integer(), currency: Type.String(), depositMinor: Type.Integer(), charges: Type.Array(ChargeView),
  /** The next months not charged yet, as the mall's rent run will charge them. */
  projection: Type.Array(ProjectedCharge),
})

export const ReportQuery = Type.Object(
  { from: Period, to: Period, format: Type.Optional(lit(['json', 'csv', 'pdf'] as const)) },
  { additionalProperties: false },
)
export const RentIncomeRow = Type.Object({ period: Type.String(), currency: Type.String(), zone: Type.String(), kind: Type.String(), amountMinor: Type.Integer(), charges: Type.Integer() })
export const RentIncomeView = Type.Object({ from: Type.String(), to: Type.String(), rows: Type.Array(RentIncomeRow), totals: Type.Array(Type.Object({ currency: Type.String(), amountMinor: Type.Integer() })) })
export type RentIncomeView = Type.Static<typeof RentIncomeView>

export const PageOfMalls = Page(MallView)
export const PageOfZones = Page(ZoneView)
export const PageOfSpaces = Page(SpaceView)
export const PageOfLeases = Page(LeaseView)
export const PageOfCharges = Page(ChargeView)
export const PageOfMeters = Page(MeterView)
export const PageOfTariffs = Page(TariffView)
export const PageOfIndexTables = Page(IndexTableSummary)
export const PageOfExpirations = Page(ExpirationItem)
export const PageOfIncidents = Page(IncidentView)
export const PageOfPortalLeases = Page(PortalLeaseView)
export const ListQuery = Type.Object({ ...PageQuery }, { additionalProperties: false })
export const ZonesQuery = Type.Object({ ...PageQuery, mallId: Type.Optional(Uuid) }, { additionalProperties: false })
export const SpacesQuery = Type.Object({ ...PageQuery, mallId: Type.Optional(Uuid), zoneId: Type.Optional(Uuid), type: Type.Optional(SpaceType) }, { additionalProperties: false })
