import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { ErrorReply } from '../../errors.js'
import { Page, PageQuery } from '../common/pagination.js'
import { auditContext } from './audit.js'
import {
  ApiKeyView,
  AuditItem,
  AuditQuery,
  CreateApiKeyBody,
  CreatedApiKey,
  CreateGrantBody,
  CreateOrgBody,
  CreateUserBody,
  GrantsQuery,
  GrantView,
  IdParams,
  OrgView,
  PatchSecurityBody,
  PatchUserBody,
  SecurityView,
  UsersQuery,
  UserView,
} from './schema.js'
import * as service from './service.js'

const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply }
const doc = (tags: string[]): { tags: string[]; security: Record<string, string[]>[] } => ({ tags, security: [{ user: [] }, { apiKey: [] }] })

/**
 * People and access of an organization (issue 6): users and roles, API keys, grants to
 * a mall operator, the audit trail; and organizations themselves for Tendero's staff.
 */
const identityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Users and roles.
  app.get('/users', { config: { permission: 'users.read' }, schema: { ...doc(['users']), querystring: UsersQuery, response: { 200: Page(UserView), ...errors } } }, (req) =>
    service.listUsers(app.db, req.user.orgId, req.query),
  )
  app.get('/users/:id', { config: { permission: 'users.read' }, schema: { ...doc(['users']), params: IdParams, response: { 200: UserView, ...errors } } }, (req) =>
    service.getUser(app.db, req.user.orgId, req.params.id),
  )
  app.post(
    '/users',
    { config: { permission: 'users.manage' }, schema: { ...doc(['users']), body: CreateUserBody, response: { 201: UserView, ...errors } } },
    async (req, reply) => reply.code(201).send(await service.createUser(app.db, req.user.orgId, req.body, auditContext(req))),
  )
  app.patch(
    '/users/:id',
    {
      config: { permission: 'users.manage' },
      schema: { ...doc(['users']), description: 'Name, role, or disabled. A role change or disabling closes the user\'s sessions.', params: IdParams, body: PatchUserBody, response: { 200: UserView, ...errors } },
    },
    async (req) => {
      const user = await service.patchUser(app.db, req.user, req.params.id, req.body, auditContext(req))
      // A disabled user's open dashboards stop receiving pushes now, not when their token ends.
      if (user.disabled) app.realtime.disconnectUser(user.id)
      return user
    },
  )

  // API keys.
  app.get('/api-keys', { config: { permission: 'apikeys.manage' }, schema: { ...doc(['api-keys']), querystring: Type.Object(PageQuery), response: { 200: Page(ApiKeyView), ...errors } } }, (req) =>
    service.listApiKeys(app.db, req.user.orgId, req.query),
  )
  app.post(
    '/api-keys',
    {
      config: { permission: 'apikeys.manage' },
      schema: { ...doc(['api-keys']), description: 'The key (tdk_…) is shown in this answer only; send it as X-Api-Key or Authorization: Bearer.', body: CreateApiKeyBody, response: { 201: CreatedApiKey, ...errors } },
    },
    async (req, reply) => reply.code(201).send(await service.createApiKey(app.db, req.user, req.body, auditContext(req))),
  )
  app.delete('/api-keys/:id', { config: { permission: 'apikeys.manage' }, schema: { ...doc(['api-keys']), params: IdParams, response: { 200: ApiKeyView, ...errors } } }, (req) =>
    service.revokeApiKey(app.db, req.user.orgId, req.params.id, auditContext(req)),
  )

  // Grants from this organization (a shop) to a mall operator, and those it received.
  app.get('/grants', { config: { permission: 'grants.manage' }, schema: { ...doc(['grants']), querystring: GrantsQuery, response: { 200: Page(GrantView), ...errors } } }, (req) =>
    service.listGrants(app.db, req.user.orgId, req.query),
  )
  app.post(
    '/grants',
    {
      config: { permission: 'grants.manage' },
      schema: { ...doc(['grants']), description: 'Lets a mall operator read some of this organization\'s data: all sites or one, for the listed scopes.', body: CreateGrantBody, response: { 201: GrantView, ...errors } },
    },
    async (req, reply) => reply.code(201).send(await service.createGrant(app.db, req.user, req.body, auditContext(req))),
  )
  app.delete('/grants/:id', { config: { permission: 'grants.manage' }, schema: { ...doc(['grants']), params: IdParams, response: { 200: GrantView, ...errors } } }, (req) =>
    service.revokeGrant(app.db, req.user.orgId, req.params.id, auditContext(req)),
  )

  // The audit trail.
  app.get(
    '/audit',
    { config: { permission: 'audit.read' }, schema: { ...doc(['audit']), description: 'Newest first.', querystring: AuditQuery, response: { 200: Page(AuditItem), ...errors } } },
    (req) => service.listAudit(app.db, req.user.orgId, req.query),
  )
  app.get(
    '/audit/export',
    {
      config: { permission: 'audit.read' },
      schema: { ...doc(['audit']), description: 'The filtered trail as CSV, oldest first (limit and cursor are ignored).', querystring: AuditQuery },
    },
    async (req, reply) => {
      const { limit: _limit, cursor: _cursor, ...filters } = req.query
      reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="auditoria.csv"')
      return reply.send(Readable.from(service.auditCsv(app.db, req.user.orgId, filters)))
    },
  )

  // The caller's own organization's security settings.
  app.get(
    '/orgs/current/security',
    { config: { permission: 'security.manage' }, schema: { ...doc(['orgs']), response: { 200: SecurityView, ...errors } } },
    (req) => service.getSecurity(app.db, req.user.orgId),
  )
  app.patch(
    '/orgs/current/security',
    {
      config: { permission: 'security.manage' },
      schema: {
        ...doc(['orgs']),
        description:
          'requireAdminTotp: org admins must use two-factor login. Turned on, an admin without it gets an enrolment-only session at their next login or token refresh; admins with it cannot turn it off.',
        body: PatchSecurityBody,
        response: { 200: SecurityView, ...errors },
      },
    },
    (req) => service.patchSecurity(app.db, req.user.orgId, req.body, auditContext(req)),
  )

  // Organizations: Tendero's staff creates mall operators and shops with their first admin.
  app.get('/orgs', { config: { permission: 'orgs.manage' }, schema: { ...doc(['orgs']), querystring: Type.Object(PageQuery), response: { 200: Page(OrgView), ...errors } } }, (req) =>
    service.listOrgs(app.db, req.query),
  )
  app.post(
    '/orgs',
    { config: { permission: 'orgs.manage' }, schema: { ...doc(['orgs']), body: CreateOrgBody, response: { 201: Type.Intersect([OrgView, Type.Object({ admin: UserView })]), ...errors } } },
    async (req, reply) => reply.code(201).send(await service.createOrg(app.db, req.body, auditContext(req))),
  )
}

export default identityRoutes
