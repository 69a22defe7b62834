// The tenant portal (a shop renting at a mall on Tendero): its leases and incidents from the
// leasing module, its invoices from the billing module (GET /api/portal/...). Read-only but
// for reporting an incident.
import { apiRequest } from './client.js'
import { downloadFile, type DownloadRequest } from './download.js'
import type { Charge, Incident, IncidentCategory, LeaseSpace, LeaseStatus, ProjectedCharge } from './leasing.js'
import type { Page } from './sites.js'

export interface PortalLease {
  id: string
  mallName: string
  landlordName: string
  spaces: LeaseSpace[]
  startsOn: string
  endsOn: string
  terminatedOn: string | null
  status: LeaseStatus
  /** The rent in force today. */
  rentMinor: number
  currency: string
  depositMinor: number
  charges: Charge[]
  /** The next months not charged yet, as the mall's rent run will charge them. */
  projection: ProjectedCharge[]
}

export interface PortalInvoice {
  id: string
  status: 'draft' | 'posted' | 'void'
  series: string
  number: string | null
  contactName: string
  currency: string
  issueDate: string
  dueDate: string
  totalMinor: number
  paidMinor: number
  creditedMinor: number
  openMinor: number
}

export interface NewIncident {
  leaseId: string
  spaceId?: string
  category: IncidentCategory
  description: string
}

export const fetchPortalLeases = (cursor?: string | null): Promise<Page<PortalLease>> =>
  apiRequest<Page<PortalLease>>('/api/portal/leases', { query: { limit: 50, cursor } })

export const fetchPortalIncidents = (cursor?: string | null): Promise<Page<Incident>> =>
  apiRequest<Page<Incident>>('/api/portal/incidents', { query: { limit: 50, cursor } })

export const reportIncident = (body: NewIncident): Promise<Incident> => apiRequest<Incident>('/api/portal/incidents', { method: 'POST', body })

export const fetchPortalInvoices = (cursor?: string | null): Promise<Page<PortalInvoice>> =>
  apiRequest<Page<PortalInvoice>>('/api/portal/invoices', { query: { limit: 50, cursor } })

export const downloadPortalInvoice = (invoice: Pick<PortalInvoice, 'id' | 'number'>, auth: Pick<DownloadRequest, 'token' | 'refresh'>): Promise<string> =>
  downloadFile({ ...auth, path: `/api/portal/invoices/${encodeURIComponent(invoice.id)}.pdf`, fallbackName: `factura-${invoice.number ?? invoice.id}.pdf` })

/** An organization (a mall, a supplier) this shop is linked with: its contact that is this shop. */
export interface PortalLink {
  contactId: string
  contactName: string
  kind: string
  orgId: string
  orgName: string
  linkedAt: number | null
}

export const fetchPortalLinks = (cursor?: string | null): Promise<Page<PortalLink>> =>
  apiRequest<Page<PortalLink>>('/api/portal/links', { query: { limit: 50, cursor } })

/** Redeems an invitation code (case, spaces and dashes do not matter). */
export const redeemPortalCode = (code: string): Promise<PortalLink> => apiRequest<PortalLink>('/api/portal/links', { method: 'POST', body: { code } })

export const unlinkPortal = (contactId: string): Promise<PortalLink> =>
  apiRequest<PortalLink>(`/api/portal/links/${encodeURIComponent(contactId)}`, { method: 'DELETE' })
