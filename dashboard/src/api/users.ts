// People and access of the organization (cloud identity module): users and roles, API keys,
// grants to other organizations, and the organization's security setting.
import { apiRequest } from './client.js'
import type { Page } from './sites.js'

export const ORG_ROLES = ['org_admin', 'operator', 'technician', 'owner', 'viewer'] as const
export type OrgRole = (typeof ORG_ROLES)[number]
export type AnyRole = OrgRole | 'platform_admin'

export interface OrgUser {
  id: string
  email: string
  name: string
  role: AnyRole
  locale: string
  totpEnabled: boolean
  disabled: boolean
  createdAt: number
}

export interface NewUser {
  email: string
  name: string
  /** A first password the person changes; at least 10 characters. */
  password: string
  role: OrgRole
  locale?: 'es-AR' | 'es-CO' | 'es' | 'en'
}

export type UserPatch = Partial<Pick<OrgUser, 'name' | 'disabled'>> & { role?: OrgRole }

export const fetchUsers = (cursor?: string | null, limit = 50): Promise<Page<OrgUser>> =>
  apiRequest<Page<OrgUser>>('/api/users', { query: { limit, cursor } })

export const createUser = (user: NewUser): Promise<OrgUser> => apiRequest<OrgUser>('/api/users', { method: 'POST', body: user })

export const patchUser = (id: string, patch: UserPatch): Promise<OrgUser> =>
  apiRequest<OrgUser>(`/api/users/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch })

export interface ApiKey {
  id: string
  name: string
  /** The first characters of the key, to recognise it. */
  prefix: string
  role: AnyRole
  createdAt: number
  lastUsedAt: number | null
  revoked: boolean
}

export interface CreatedApiKey {
  /** The key itself: in this answer only. */
  key: string
  apiKey: ApiKey
}

export const fetchApiKeys = (cursor?: string | null, limit = 50): Promise<Page<ApiKey>> =>
  apiRequest<Page<ApiKey>>('/api/api-keys', { query: { limit, cursor } })

export const createApiKey = (name: string, role: OrgRole): Promise<CreatedApiKey> =>
  apiRequest<CreatedApiKey>('/api/api-keys', { method: 'POST', body: { name, role } })

export const revokeApiKey = (id: string): Promise<ApiKey> => apiRequest<ApiKey>(`/api/api-keys/${encodeURIComponent(id)}`, { method: 'DELETE' })

export const GRANT_SCOPES = ['sites.read', 'telemetry.read', 'alarms.read', 'fleet.read'] as const
export type GrantScope = (typeof GRANT_SCOPES)[number]

export interface Grant {
  id: string
  grantorOrgId: string
  grantorName: string
  granteeOrgId: string
  granteeName: string
  /** Null: every site of the grantor. */
  siteId: string | null
  scopes: GrantScope[]
  createdAt: number
  revoked: boolean
}

export interface NewGrant {
  granteeOrgId: string
  siteId?: string
  scopes: GrantScope[]
}

export const fetchGrants = (direction: 'given' | 'received' = 'given', cursor?: string | null, limit = 50): Promise<Page<Grant>> =>
  apiRequest<Page<Grant>>('/api/grants', { query: { direction, limit, cursor } })

export const createGrant = (grant: NewGrant): Promise<Grant> => apiRequest<Grant>('/api/grants', { method: 'POST', body: grant })

export const revokeGrant = (id: string): Promise<Grant> => apiRequest<Grant>(`/api/grants/${encodeURIComponent(id)}`, { method: 'DELETE' })

export interface OrgSecurity {
  /** Org admins must log in with two-factor verification. */
  requireAdminTotp: boolean
}

export const fetchSecurity = (): Promise<OrgSecurity> => apiRequest<OrgSecurity>('/api/orgs/current/security')

export const patchSecurity = (body: OrgSecurity): Promise<OrgSecurity> =>
  apiRequest<OrgSecurity>('/api/orgs/current/security', { method: 'PATCH', body })
