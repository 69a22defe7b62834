// The mall operator's side of the cloud leasing module (cloud/src/modules/leasing/README.md):
// malls, zones and spaces; leases and their schedule; rent runs; occupancy, expirations and
// the rent income report; utility charges under review; tenants' incidents.
import { apiRequest, type QueryValue } from './client.js'
import { downloadFile, type DownloadRequest } from './download.js'
import { fetchPages, type Page } from './sites.js'

export const SPACE_TYPES = ['local', 'isla', 'kiosco', 'patio_comidas', 'deposito', 'oficina', 'cochera', 'otro'] as const
export type SpaceType = (typeof SPACE_TYPES)[number]
export const LEASE_CURRENCIES = ['ARS', 'USD'] as const
export type LeaseCurrency = (typeof LEASE_CURRENCIES)[number]
export const LEASE_STATUSES = ['upcoming', 'active', 'ended', 'terminated'] as const
export type LeaseStatus = (typeof LEASE_STATUSES)[number]
export const INCIDENT_CATEGORIES = ['mantenimiento', 'limpieza', 'seguridad', 'electricidad', 'agua', 'climatizacion', 'otro'] as const
export type IncidentCategory = (typeof INCIDENT_CATEGORIES)[number]
export const INCIDENT_STATUSES = ['open', 'in_progress', 'resolved'] as const
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number]

export interface Mall {
  id: string
  name: string
  siteId: string | null
  address: string | null
  createdAt: string
}

export interface Zone {
  id: string
  mallId: string
  name: string
}

export interface Space {
  id: string
  mallId: string
  zoneId: string | null
  code: string
  /** Hundredths of a m². */
  areaCentiM2: number
  areaM2: string
  type: string
  baseRentMinor: number
  currency: string
}

export interface NewSpace {
  mallId: string
  zoneId?: string | null
  code: string
  areaCentiM2: number
  type: SpaceType
  baseRentMinor: number
  currency: LeaseCurrency
}

export type Escalation =
  | { kind: 'none' }
  | { kind: 'percent'; percentBp: number; everyMonths: number; from?: string }
  | { kind: 'index'; tableId: string; everyMonths: number; from?: string }

export interface LeaseSpace {
  id: string
  code: string
  areaCentiM2: number
  type: string
  zoneId: string | null
}

export interface Lease {
  id: string
  mallId: string
  tenantContactId: string
  tenantName: string
  spaces: LeaseSpace[]
  startsOn: string
  endsOn: string
  terminatedOn: string | null
  terminationReason: string | null
  status: LeaseStatus
  rentMinor: number
  currency: string
  depositMinor: number
  rentTaxRateBp: number
  billingDay: number
  escalation: Escalation
  rentSteps: { effectiveOn: string; rentMinor: number }[]
  previousLeaseId: string | null
  notes: string | null
}

export interface NewLease {
  tenantContactId: string
  spaceIds: string[]
  startsOn: string
  endsOn: string
  rentMinor: number
  currency: LeaseCurrency
  depositMinor?: number
  escalation?: Escalation
  notes?: string
}

export interface RentSegment {
  from: string
  to: string
  days: number
  rentMinor: number
  amountMinor: number
}

export interface Charge {
  id: string
  leaseId: string
  period: string
  kind: 'rent' | 'utility_energy' | 'utility_water'
  currency: string
  /** Null while a utility charge needs review: never billed as zero. */
  amountMinor: number | null
  taxMinor: number
  status: 'ok' | 'needs_review' | 'resolved'
  reviewReason: string | null
  resolutionNote: string | null
  detail: unknown
}

export interface ProjectedCharge {
  period: string
  amountMinor: number
  currency: string
  segments: RentSegment[]
}

export interface Schedule {
  leaseId: string
  currency: string
  charges: Charge[]
  projection: ProjectedCharge[]
}

export interface RunResult {
  period: string
  created: number
  existing: number
  needsReview?: number
}

export interface OccupancyRow {
  key: string
  name: string
  occupiedCentiM2: number
  totalCentiM2: number
  /** Percentage with two decimals, 0-100. */
  occupiedPct: number
  occupiedSpaces: number
  totalSpaces: number
}

export interface Occupancy {
  at: string
  total: OccupancyRow
  byZone: OccupancyRow[]
  byType: OccupancyRow[]
}

export interface Expiration {
  leaseId: string
  tenantName: string
  endsOn: string
  daysLeft: number
  spaces: string[]
  rentMinor: number
  currency: string
}

export interface RentIncome {
  from: string
  to: string
  rows: { period: string; currency: string; zone: string; kind: string; amountMinor: number; charges: number }[]
  totals: { currency: string; amountMinor: number }[]
}

export interface Incident {
  id: string
  leaseId: string
  spaceId: string | null
  category: string
  description: string
  status: IncidentStatus
  /** Reported by the tenant in its portal, or logged by the mall itself. */
  source: 'tenant' | 'mall'
  createdAt: string
  resolvedAt: string | null
}

export interface NewMallIncident {
  leaseId: string
  spaceId?: string
  category: IncidentCategory
  description: string
  /** Mail the tenant contact (default true when it has an address). */
  notifyTenant?: boolean
}

export interface ResolveCharge {
  startValue?: number
  endValue?: number
  estimatedQuantityMilli?: number
  note: string
}

export interface ContactOption {
  id: string
  name: string
  company: string | null
  email: string | null
}

export interface IndexTable {
  id: string
  name: string
}

const L = '/api/leasing'
const id = (value: string) => encodeURIComponent(value)
const MAX = 500

export const fetchMalls = (): Promise<Mall[]> => fetchPages<Mall>(`${L}/malls`, { limit: MAX })
export const createMall = (body: { name: string; address?: string | null }): Promise<Mall> => apiRequest<Mall>(`${L}/malls`, { method: 'POST', body })
export const fetchZones = (mallId?: string): Promise<Zone[]> => fetchPages<Zone>(`${L}/zones`, { limit: MAX, mallId })
export const createZone = (body: { mallId: string; name: string }): Promise<Zone> => apiRequest<Zone>(`${L}/zones`, { method: 'POST', body })
export const fetchSpaces = (mallId?: string): Promise<Space[]> => fetchPages<Space>(`${L}/spaces`, { limit: MAX, mallId })
export const createSpace = (body: NewSpace): Promise<Space> => apiRequest<Space>(`${L}/spaces`, { method: 'POST', body })
export const fetchIndexTables = (): Promise<IndexTable[]> => fetchPages<IndexTable>(`${L}/index-tables`, { limit: MAX })

export const fetchLeases = (query: { status?: LeaseStatus; mallId?: string; cursor?: string | null; limit?: number } = {}): Promise<Page<Lease>> =>
  apiRequest<Page<Lease>>(`${L}/leases`, { query: { limit: query.limit ?? 50, ...query } as Record<string, QueryValue> })

/** `idempotencyKey`: the same key for a retried submission, so a lost answer does not make two leases. */
export const createLease = (body: NewLease, idempotencyKey: string): Promise<Lease> =>
  apiRequest<Lease>(`${L}/leases`, { method: 'POST', body, headers: { 'Idempotency-Key': idempotencyKey } })

export const terminateLease = (leaseId: string, body: { on: string; reason: string }): Promise<Lease> =>
  apiRequest<Lease>(`${L}/leases/${id(leaseId)}/terminate`, { method: 'POST', body })

export const renewLease = (leaseId: string, body: { mode: 'new_term' | 'extend'; endsOn: string; rentMinor: number; escalation?: Escalation }): Promise<Lease> =>
  apiRequest<Lease>(`${L}/leases/${id(leaseId)}/renew`, { method: 'POST', body })

export const fetchSchedule = (leaseId: string, query: { from?: string; months?: number } = {}): Promise<Schedule> =>
  apiRequest<Schedule>(`${L}/leases/${id(leaseId)}/schedule`, { query: { months: 12, ...query } })

export const runRent = (period: string): Promise<RunResult> => apiRequest<RunResult>(`${L}/rent-runs`, { method: 'POST', body: { period } })

export const fetchCharges = (query: { status?: Charge['status']; period?: string; leaseId?: string; cursor?: string | null; limit?: number }): Promise<Page<Charge>> =>
  apiRequest<Page<Charge>>(`${L}/charges`, { query: { limit: 50, ...query } })

export const resolveCharge = (chargeId: string, body: ResolveCharge): Promise<Charge> =>
  apiRequest<Charge>(`${L}/charges/${id(chargeId)}/resolve`, { method: 'POST', body })

export const fetchOccupancy = (query: { at?: string; mallId?: string } = {}): Promise<Occupancy> =>
  apiRequest<Occupancy>(`${L}/occupancy`, { query: { ...query, format: 'json' } })

export const fetchExpirations = (within: 30 | 60 | 90, cursor?: string | null): Promise<Page<Expiration>> =>
  apiRequest<Page<Expiration>>(`${L}/expirations`, { query: { within, limit: 50, cursor } })

export const fetchRentIncome = (from: string, to: string): Promise<RentIncome> =>
  apiRequest<RentIncome>(`${L}/reports/rent-income`, { query: { from, to, format: 'json' } })

export const fetchIncidents = (query: { status?: IncidentStatus; cursor?: string | null } = {}): Promise<Page<Incident>> =>
  apiRequest<Page<Incident>>(`${L}/incidents`, { query: { limit: 50, ...query } })

/** The mall logs an incident on one of its leases itself (source `mall`); the tenant sees it in its portal. */
export const logIncident = (body: NewMallIncident): Promise<Incident> => apiRequest<Incident>(`${L}/incidents`, { method: 'POST', body })

export const updateIncident = (incidentId: string, status: IncidentStatus): Promise<Incident> =>
  apiRequest<Incident>(`${L}/incidents/${id(incidentId)}`, { method: 'PATCH', body: { status } })

/** The CRM's contacts, for the lease's tenant picker (`q`: name, company or email contains). */
export const fetchContactOptions = (q?: string): Promise<Page<ContactOption>> =>
  apiRequest<Page<ContactOption>>('/api/crm/contacts', { query: { limit: 50, sort: 'name', q: q?.trim() || undefined } })

export type LeasingFileFormat = 'csv' | 'pdf'
type DownloadAuth = Pick<DownloadRequest, 'token' | 'refresh'>

export const downloadOccupancy = (query: { at?: string; mallId?: string; format: LeasingFileFormat }, auth: DownloadAuth): Promise<string> =>
  downloadFile({ ...auth, path: `${L}/occupancy`, query, fallbackName: `ocupacion.${query.format}` })

export const downloadRentIncome = (query: { from: string; to: string; format: LeasingFileFormat }, auth: DownloadAuth): Promise<string> =>
  downloadFile({ ...auth, path: `${L}/reports/rent-income`, query, fallbackName: `ingresos-${query.from}-${query.to}.${query.format}` })

// Settings: index tables for escalation and utility tariffs per mall.
export interface IndexValue {
  date: string
  /** Decimal text with up to 6 places, "1234.567891". */
  value: string
}
export interface IndexTableDetail extends IndexTable {
  values: IndexValue[]
}
export const UTILITY_KINDS = ['energy', 'water'] as const
export type UtilityKind = (typeof UTILITY_KINDS)[number]
export interface Tariff {
  id: string
  mallId: string
  kind: string
  currency: string
  priceMinor: number
  taxRateBp: number
}
export interface TariffBody {
  mallId: string
  kind: UtilityKind
  currency: LeaseCurrency
  priceMinor: number
  taxRateBp?: number
}
export const createIndexTable = (name: string): Promise<IndexTableDetail> => apiRequest<IndexTableDetail>(`${L}/index-tables`, { method: 'POST', body: { name } })
export const fetchIndexTable = (tableId: string): Promise<IndexTableDetail> => apiRequest<IndexTableDetail>(`${L}/index-tables/${id(tableId)}`)
export const putIndexValues = (tableId: string, values: IndexValue[]): Promise<IndexTableDetail> =>
  apiRequest<IndexTableDetail>(`${L}/index-tables/${id(tableId)}/values`, { method: 'PUT', body: { values } })
export const fetchTariffs = (): Promise<Tariff[]> => fetchPages<Tariff>(`${L}/tariffs`, { limit: MAX })
export const putTariff = (body: TariffBody): Promise<Tariff> => apiRequest<Tariff>(`${L}/tariffs`, { method: 'PUT', body })

// Meters: a space mapped to a device counter on one of the organization's sites.
export const METER_UNITS = ['kwh', 'm3', 'l'] as const
export type MeterUnit = (typeof METER_UNITS)[number]
export interface Meter {
  id: string
  spaceId: string
  siteId: string
  deviceId: string
  metric: string
  kind: string
  unit: string
}
export interface NewMeter {
  spaceId: string
  siteId: string
  deviceId: string
  metric: string
  kind: UtilityKind
  unit: MeterUnit
}
export const fetchMeters = (): Promise<Meter[]> => fetchPages<Meter>(`${L}/meters`, { limit: MAX })
export const createMeter = (body: NewMeter): Promise<Meter> => apiRequest<Meter>(`${L}/meters`, { method: 'POST', body })
export async function deleteMeter(meterId: string): Promise<void> {
  await apiRequest<{ deleted: true }>(`${L}/meters/${id(meterId)}`, { method: 'DELETE' })
}
