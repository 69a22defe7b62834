import Type from 'typebox'
import { PageQuery } from '../common/pagination.js'
import { GRANT_SCOPES, ROLES } from './permissions.js'

const Uuid = Type.String({ format: 'uuid' })
export const IdParams = Type.Object({ id: Uuid })

/** Roles an organization can give its people; platform_admin is Tendero's own. */
export const OrgRole = Type.Enum(ROLES.filter((r) => r !== 'platform_admin'))
export const AnyRole = Type.Enum([...ROLES])

export const UserView = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: AnyRole,
  locale: Type.String(),
  totpEnabled: Type.Boolean(),
  disabled: Type.Boolean(),
  createdAt: Type.Integer(),
})
export type UserView = Type.Static<typeof UserView>

export const UsersQuery = Type.Object({ ...PageQuery, role: Type.Optional(AnyRole) }, { additionalProperties: false })
export type UsersQuery = Type.Static<typeof UsersQuery>

export const CreateUserBody = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    name: Type.String({ minLength: 1, maxLength: 120 }),
    /** A first password the person changes; at least 10 characters. */
    password: Type.String({ minLength: 10, maxLength: 256 }),
    role: OrgRole,
    locale: Type.Optional(Type.Enum(['es-AR', 'es-CO', 'es', 'en'])),
  },
  { additionalProperties: false },
)
export type CreateUserBody = Type.Static<typeof CreateUserBody>

export const PatchUserBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })),
    role: Type.Optional(OrgRole),
    /** True closes every session of the user and refuses logins; false lets them back in. */
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type PatchUserBody = Type.Static<typeof PatchUserBody>

export const ApiKeyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  role: AnyRole,
  createdAt: Type.Integer(),
  lastUsedAt: Type.Union([Type.Integer(), Type.Null()]),
  revoked: Type.Boolean(),
})
export const CreateApiKeyBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 120 }), role: OrgRole }, { additionalProperties: false })
export type CreateApiKeyBody = Type.Static<typeof CreateApiKeyBody>
/** The key itself is in this answer only. */
export const CreatedApiKey = Type.Object({ key: Type.String(), apiKey: ApiKeyView })

export const GrantScopeSchema = Type.Enum([...GRANT_SCOPES])
export const GrantView = Type.Object({
  id: Type.String(),
  grantorOrgId: Type.String(),
  grantorName: Type.String(),
  granteeOrgId: Type.String(),
  granteeName: Type.String(),
  siteId: Type.Union([Type.String(), Type.Null()]),
  scopes: Type.Array(GrantScopeSchema),
  createdAt: Type.Integer(),
  revoked: Type.Boolean(),
})
export const CreateGrantBody = Type.Object(
  {
    granteeOrgId: Uuid,
    /** One site of yours, or all of them when absent. */
    siteId: Type.Optional(Uuid),
    scopes: Type.Array(GrantScopeSchema, { minItems: 1, uniqueItems: true }),
  },
  { additionalProperties: false },
)
export type CreateGrantBody = Type.Static<typeof CreateGrantBody>
export const GrantsQuery = Type.Object(
  { ...PageQuery, direction: Type.Optional(Type.Enum(['given', 'received'], { default: 'given' })) },
  { additionalProperties: false },
)
export type GrantsQuery = Type.Static<typeof GrantsQuery>

export const AuditItem = Type.Object({
  id: Type.Integer(),
  at: Type.Integer(),
  actorType: Type.String(),
  actorId: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  targetType: Type.Union([Type.String(), Type.Null()]),
  targetId: Type.Union([Type.String(), Type.Null()]),
  before: Type.Unknown(),
  after: Type.Unknown(),
  requestId: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
})
export type AuditItem = Type.Static<typeof AuditItem>
export const AuditQuery = Type.Object(
  {
    ...PageQuery,
    action: Type.Optional(Type.String({ maxLength: 64, description: 'Exact action, or a prefix ending in "." (user.)' })),
    actorId: Type.Optional(Type.String({ maxLength: 64 })),
    targetType: Type.Optional(Type.String({ maxLength: 32 })),
    targetId: Type.Optional(Type.String({ maxLength: 128 })),
    from: Type.Optional(Type.Integer({ minimum: 0, description: 'epoch ms, inclusive' })),
    to: Type.Optional(Type.Integer({ minimum: 0, description: 'epoch ms, exclusive' })),
  },
  { additionalProperties: false },
)
export type AuditQuery = Type.Static<typeof AuditQuery>

/** An organization's security settings (GET/PATCH /orgs/current/security). */
export const SecurityView = Type.Object({
  /** Org admins must log in with TOTP; those without it get an enrolment-only session. */
  requireAdminTotp: Type.Boolean(),
})
export type SecurityView = Type.Static<typeof SecurityView>
export const PatchSecurityBody = Type.Object({ requireAdminTotp: Type.Boolean() }, { additionalProperties: false })
export type PatchSecurityBody = Type.Static<typeof PatchSecurityBody>

export const OrgView = Type.Object({ id: Type.String(), name: Type.String(), kind: Type.Enum(['platform', 'operator', 'shop']), createdAt: Type.Integer() })
export const CreateOrgBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 120 }),
    kind: Type.Enum(['operator', 'shop']),
    /** Its first org admin. */
    admin: Type.Object({ email: Type.String({ format: 'email', maxLength: 254 }), name: Type.String({ minLength: 1, maxLength: 120 }), password: Type.String({ minLength: 10, maxLength: 256 }) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
)
export type CreateOrgBody = Type.Static<typeof CreateOrgBody>
