/**
 * The one permission table (issue 6). Every `/api` route names the permission it needs in
 * its route config (`config: { permission: 'sites.read' }`) or says it is public
 * (`config: { public: true }`) or gateway-authenticated (`config: { gateway: true }`);
 * app.ts refuses to start with a route that says none of these, so no route escapes the
 * role and tenant checks, and the tests generate their route list from the app itself.
 *
 * Roles, from the seeds: a platform admin runs Tendero itself; an org admin runs one
 * organization (a mall operator or an independent shop); an operator is the mall's staff;
 * a technician installs and maintains gateways and devices; an owner is the shop's
 * owner; a viewer only looks.
 */

export const ROLES = ['platform_admin', 'org_admin', 'operator', 'technician', 'owner', 'viewer'] as const
export type Role = (typeof ROLES)[number]

const ALL: readonly Role[] = ROLES
const ADMINS: readonly Role[] = ['platform_admin', 'org_admin']
const RUNS_THE_SHOP: readonly Role[] = ['platform_admin', 'org_admin', 'operator', 'owner']
const TECHNICAL: readonly Role[] = ['platform_admin', 'org_admin', 'technician']
const BUSINESS_READERS: readonly Role[] = ['platform_admin', 'org_admin', 'operator', 'owner', 'viewer']

/** Permission → the roles that hold it. */
export const PERMISSIONS = {
  /** One's own profile, session and password. */
  'profile.self': ALL,
  // Sites, live state and history.
  'sites.read': ALL,
  'sites.write': ADMINS,
  'telemetry.read': ALL,
  'telemetry.export': ['platform_admin', 'org_admin', 'operator', 'technician', 'owner'],
  // Alarms mirrored from the gateways; acknowledging or clearing syncs back to them.
  'alarms.read': ALL,
  'alarms.manage': ['platform_admin', 'org_admin', 'operator', 'technician', 'owner'],
  // Fleet: gateways, devices, desired config, commands.
  'fleet.read': ['platform_admin', 'org_admin', 'operator', 'technician', 'owner'],
  'fleet.provision': TECHNICAL,
  'fleet.config': TECHNICAL,
  'fleet.command': ['platform_admin', 'org_admin', 'technician', 'owner'],
  // People and access.
  'users.read': ADMINS,
  'users.manage': ADMINS,
  'apikeys.manage': ADMINS,
  'audit.read': ADMINS,
  /** The organization's security settings: whether its admins must use two-factor login. */
  'security.manage': ADMINS,
  /** A shop grants a mall operator (another organization) a view of its data. */
  'grants.manage': ['platform_admin', 'org_admin', 'owner'],
  // Notifications: the org's channels and webhooks, and each user's own preferences.
  'notifications.manage': RUNS_THE_SHOP,
  'notifications.self': ALL,
  // Organizations themselves: only Tendero's staff create or list them.
  'orgs.manage': ['platform_admin'],
  // Commercial modules (issue 8). Technicians install devices; they do not see the books.
  /** Contacts, pipeline, deals, interactions, segments, funnel reports. */
  'crm.read': BUSINESS_READERS,
  'crm.manage': RUNS_THE_SHOP,
  /** Malls, zones, spaces, leases, rent schedule, occupancy, expirations, metering. */
  'leasing.read': BUSINESS_READERS,
  'leasing.manage': ['platform_admin', 'org_admin', 'operator'],
  /** Invoices, payments, credit notes, the ledger, aging, dunning. */
  'billing.read': BUSINESS_READERS,
  'billing.manage': RUNS_THE_SHOP,
  /** Services, professionals, availability, bookings, waiting list. */
  'appointments.read': BUSINESS_READERS,
  'appointments.manage': RUNS_THE_SHOP,
  /** The tenant portal: a shop's own leases and invoices at its mall, and its incidents. */
  'portal.read': BUSINESS_READERS,
  'portal.incidents': RUNS_THE_SHOP,
  /** Linking the organization to a mall's or a supplier's contact by invitation code, and unlinking. */
  'portal.links': ['platform_admin', 'org_admin', 'owner'],
  /** Tendero's own SaaS plans, subscriptions, MRR and churn. */
  'saas.manage': ['platform_admin'],
} as const satisfies Record<string, readonly Role[]>

export type Permission = keyof typeof PERMISSIONS

export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[]

const byRole = new Map<Role, ReadonlySet<Permission>>(
  ROLES.map((role) => [role, new Set(PERMISSION_NAMES.filter((p) => (PERMISSIONS[p] as readonly Role[]).includes(role)))]),
)

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value)
}

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && value in PERMISSIONS
}

export function can(role: Role, permission: Permission): boolean {
  return byRole.get(role)?.has(permission) ?? false
}

export function permissionsOf(role: Role): ReadonlySet<Permission> {
  return byRole.get(role) ?? new Set()
}

/**
 * What a shop can share with a mall operator. A grant lists some of these; the operator's
 * users then reach that shop's sites with the read permission of the scope, and no more.
 */
export const GRANT_SCOPES = ['sites.read', 'telemetry.read', 'alarms.read', 'fleet.read'] as const satisfies readonly Permission[]
export type GrantScope = (typeof GRANT_SCOPES)[number]

/** Route config every `/api` route carries; see the module comment. */
export interface RouteAccess {
  permission?: Permission
  public?: boolean
  /** Authenticated by the gateway key (ingest, the gateway channel, clock). */
  gateway?: boolean
}

declare module 'fastify' {
  interface FastifyContextConfig extends RouteAccess {}
}
