import type { FastifyInstance } from 'fastify'
import { appointmentsFixture } from './appointments-fixtures.js'
import { billingFixture } from './billing-fixtures.js'
import { crmFixture } from './crm-fixtures.js'
import { leasingFixture } from './leasing-fixtures.js'

/**
 * Each commercial module's fixture for the tenant-isolation suite (identity.db.test.ts):
 * given an organization and its admin's token, it creates one of each of the module's
 * objects through the module's API and returns, per route URL with path params, the
 * params that point at them, and a footprint (row counts of its tables for that
 * organization) that a replay by another tenant must leave unchanged.
 */
export interface ModuleFixture {
  params: Record<string, Record<string, string>>
  /** Body and query fields naming this organization's objects (`contactId`, `leaseId`, ...). */
  ids?: Record<string, string>
  footprint: () => Promise<Record<string, number>>
}

export type FixtureFn = (app: FastifyInstance, orgAdminToken: string, org: { orgId: string; siteId: string }) => Promise<ModuleFixture>

export const MODULE_FIXTURES: readonly FixtureFn[] = [crmFixture, leasingFixture, appointmentsFixture, billingFixture]

/** Every module's fixture for one organization, merged. */
export async function commercialFixtures(app: FastifyInstance, orgAdminToken: string, org: { orgId: string; siteId: string }): Promise<ModuleFixture> {
  const parts: ModuleFixture[] = []
  for (const fixture of MODULE_FIXTURES) parts.push(await fixture(app, orgAdminToken, org))
  return {
    params: Object.assign({}, ...parts.map((p) => p.params)),
    ids: Object.assign({}, ...parts.map((p) => p.ids ?? {})),
    footprint: async () => Object.assign({}, ...(await Promise.all(parts.map((p) => p.footprint())))),
  }
}
