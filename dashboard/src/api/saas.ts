// Tendero's own SaaS (cloud module billing, routes /api/saas, permission saas.manage:
// platform admins): plans, organizations' subscriptions, MRR and churn for a month.
import { apiRequest } from './client.js'
import { downloadFile, type DownloadRequest } from './download.js'
import type { Page } from './sites.js'

export const PLAN_INTERVALS = ['month', 'year'] as const
export type PlanInterval = (typeof PLAN_INTERVALS)[number]

export interface Plan {
  id: string
  code: string
  name: string
  features: string[]
  priceMinor: number
  currency: string
  interval: PlanInterval
  active: boolean
  createdAt: string
}

export interface NewPlan {
  code: string
  name: string
  features: string[]
  priceMinor: number
  currency: string
  interval: PlanInterval
}

export interface Subscription {
  id: string
  orgId: string
  planId: string
  priceMinor: number
  currency: string
  interval: PlanInterval
  /** Its monthly value: a yearly price / 12. */
  mrrMinor: number
  startedOn: string
  endedOn: string | null
  endReason: string | null
  createdAt: string
}

export interface MrrRow {
  currency: string
  startMinor: number
  endMinor: number
  newMinor: number
  expansionMinor: number
  contractionMinor: number
  churnedMinor: number
  /** (churned + contraction) / start MRR, in basis points. */
  revenueChurnBp: number
}

export interface SaasMetrics {
  month: string
  from: string
  to: string
  mrr: MrrRow[]
  logos: { start: number; end: number; new: number; churned: number; logoChurnBp: number }
}

export interface Organization {
  id: string
  name: string
  kind: 'platform' | 'operator' | 'shop'
  createdAt: number
}

const S = '/api/saas'
const id = (value: string) => encodeURIComponent(value)
type DownloadAuth = Pick<DownloadRequest, 'token' | 'refresh'>
export type SaasFileFormat = 'csv' | 'pdf'

export const fetchPlans = (cursor?: string | null): Promise<Page<Plan>> => apiRequest<Page<Plan>>(`${S}/plans`, { query: { limit: 100, cursor } })

export const createPlan = (body: NewPlan): Promise<Plan> => apiRequest<Plan>(`${S}/plans`, { method: 'POST', body })

export const setPlanActive = (planId: string, active: boolean): Promise<Plan> =>
  apiRequest<Plan>(`${S}/plans/${id(planId)}`, { method: 'PATCH', body: { active } })

export const fetchSubscriptions = (cursor?: string | null): Promise<Page<Subscription>> =>
  apiRequest<Page<Subscription>>(`${S}/subscriptions`, { query: { limit: 50, cursor } })

export const subscribe = (body: { orgId: string; planId: string; startedOn: string }): Promise<Subscription> =>
  apiRequest<Subscription>(`${S}/subscriptions`, { method: 'POST', body })

export const cancelSubscription = (subscriptionId: string, endedOn: string): Promise<Subscription> =>
  apiRequest<Subscription>(`${S}/subscriptions/${id(subscriptionId)}/cancel`, { method: 'POST', body: { endedOn } })

export const changePlan = (subscriptionId: string, planId: string, date: string): Promise<Subscription> =>
  apiRequest<Subscription>(`${S}/subscriptions/${id(subscriptionId)}/change-plan`, { method: 'POST', body: { planId, date } })

export const fetchMetrics = (month: string): Promise<SaasMetrics> => apiRequest<SaasMetrics>(`${S}/metrics`, { query: { month, format: 'json' } })

export const downloadMetrics = (query: { month: string; format: SaasFileFormat }, auth: DownloadAuth): Promise<string> =>
  downloadFile({ ...auth, path: `${S}/metrics`, query, fallbackName: `mrr-${query.month}.${query.format}` })

/** Organizations on the platform (orgs.manage), to name a subscription's organization. */
export const fetchOrganizations = (cursor?: string | null): Promise<Page<Organization>> =>
  apiRequest<Page<Organization>>('/api/orgs', { query: { limit: 500, cursor } })
