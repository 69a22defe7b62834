import type { ColumnType, Generated, Kysely, Selectable } from 'kysely'
import type { ContactTables } from '../common/contacts.js'
import type { MailTables } from '../mail/tables.js'
import type { Database } from '../../plugins/db/tables.js'

/** Kysely's view of migration 0018, kept in this module (the shared tables.ts is not ours). */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
type NullableText = ColumnType<string | null, string | null | undefined, string | null>
type Json<T> = ColumnType<T, string, string>

export const SPACE_TYPES = ['local', 'isla', 'kiosco', 'patio_comidas', 'deposito', 'oficina', 'cochera', 'otro'] as const
export type SpaceType = (typeof SPACE_TYPES)[number]
export const CHARGE_KINDS = ['rent', 'utility_energy', 'utility_water'] as const
export type ChargeKind = (typeof CHARGE_KINDS)[number]
export type ChargeStatus = 'ok' | 'needs_review' | 'resolved'
export type MeterKind = 'energy' | 'water'
export type MeterUnit = 'kwh' | 'm3' | 'l'
export const INCIDENT_CATEGORIES = ['mantenimiento', 'limpieza', 'seguridad', 'electricidad', 'agua', 'climatizacion', 'otro'] as const
export type IncidentStatus = 'open' | 'in_progress' | 'resolved'
export type IncidentSource = 'tenant' | 'mall'

export interface MallsTable {
  id: Generated<string>
  org_id: string
  name: string
  site_id: NullableText
  address: NullableText
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface ZonesTable {
  id: Generated<string>
  org_id: string
  mall_id: string
  name: string
  created_at: CreatedAt
}

export interface SpacesTable {
  id: Generated<string>
  org_id: string
  mall_id: string
  zone_id: NullableText
  code: string
  area_centi_m2: number
  type: SpaceType
  base_rent_minor: number
  currency: string
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface IndexTablesTable {
  id: Generated<string>
  org_id: string
  name: string
  created_at: CreatedAt
}

export interface IndexValuesTable {
  table_id: string
  org_id: string
  on_date: string
  value_micro: number
}

export interface LeasesTable {
  id: Generated<string>
  org_id: string
  mall_id: string
  tenant_contact_id: string
  starts_on: string
  ends_on: string
  rent_minor: number
  currency: string
  deposit_minor: ColumnType<number, number | undefined, number>
  rent_tax_rate_bp: ColumnType<number, number | undefined, number>
  billing_day: ColumnType<number, number | undefined, number>
  escalation: Json<unknown>
  index_table_id: NullableText
  terminated_on: NullableText
  termination_reason: NullableText
  previous_lease_id: NullableText
  notes: NullableText
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface RentStepsTable {
  lease_id: string
  org_id: string
  effective_on: string
  rent_minor: number
}

export interface LeaseSpacesTable {
  lease_id: string
  space_id: string
  org_id: string
  /** A daterange; written with sql, never read back. */
  period: ColumnType<string, unknown, unknown>
}

export interface MetersTable {
  id: Generated<string>
  org_id: string
  space_id: string
  site_id: string
  device_id: string
  metric: string
  kind: MeterKind
  unit: MeterUnit
  created_at: CreatedAt
}

export interface TariffsTable {
  id: Generated<string>
  org_id: string
  mall_id: string
  kind: MeterKind
  currency: string
  price_minor: number
  tax_rate_bp: number
  updated_at: UpdatedAt
}

export interface ChargesTable {
  id: Generated<string>
  org_id: string
  lease_id: string
  period: string
  kind: ChargeKind
  currency: string
  amount_minor: ColumnType<number | null, number | null, number | null>
  tax_minor: ColumnType<number, number | undefined, number>
  status: ChargeStatus
  review_reason: NullableText
  detail: Json<unknown>
  resolution_note: NullableText
  resolved_by: NullableText
  resolved_at: NullableTimestamp
  invoice_ref: NullableText
  created_at: CreatedAt
}

export interface IncidentsTable {
  id: Generated<string>
  org_id: string
  lease_id: string
  space_id: NullableText
  reporter_org_id: string
  reported_by: NullableText
  /** Migration 0021: reported by the tenant in its portal, or logged by the mall itself. */
  source: ColumnType<IncidentSource, IncidentSource | undefined, never>
  category: string
  description: string
  status: ColumnType<IncidentStatus, IncidentStatus | undefined, IncidentStatus>
  created_at: CreatedAt
  updated_at: UpdatedAt
  resolved_at: NullableTimestamp
}

export type LeasingTables = {
  leasing_malls: MallsTable
  leasing_zones: ZonesTable
  leasing_spaces: SpacesTable
  leasing_index_tables: IndexTablesTable
  leasing_index_values: IndexValuesTable
  leasing_leases: LeasesTable
  leasing_rent_steps: RentStepsTable
  leasing_lease_spaces: LeaseSpacesTable
  leasing_meters: MetersTable
  leasing_tariffs: TariffsTable
  leasing_charges: ChargesTable
  leasing_incidents: IncidentsTable
}

export type MallRow = Selectable<MallsTable>
export type ZoneRow = Selectable<ZonesTable>
export type SpaceRow = Selectable<SpacesTable>
export type LeaseRow = Selectable<LeasesTable>
export type ChargeRow = Selectable<ChargesTable>
export type MeterRow = Selectable<MetersTable>
export type TariffRow = Selectable<TariffsTable>
export type IncidentRow = Selectable<IncidentsTable>

export type LeasingDb = Kysely<Database & LeasingTables & ContactTables & MailTables>
export const leasingDb = (db: Kysely<Database>): LeasingDb => db.withTables<LeasingTables & ContactTables & MailTables>()
