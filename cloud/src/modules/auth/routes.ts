import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { ErrorReply } from '../../errors.js'
import { auditContext } from '../identity/audit.js'
import { LoginGuard } from './guard.js'
import type { PlatformAdminTotp } from './policy.js'
import { LoginBody, LoginReply, MeReply, RefreshBody, TotpCodeBody, TotpSetupReply } from './schema.js'
import * as service from './service.js'

const tags = ['auth']
const user = { tags, security: [{ user: [] }] }

const authRoutes: FastifyPluginAsyncTypebox<{ guard?: LoginGuard; platformAdminTotp?: PlatformAdminTotp }> = async (app, opts) => {
  const guard = opts.guard ?? new LoginGuard(app.db)
  // Read at registration, so a bad PLATFORM_ADMIN_TOTP stops the boot.
  const platformAdminTotp = opts.platformAdminTotp ?? 'required'

  app.post(
    '/auth/login',
    {
      config: { public: true },
      schema: {
        tags,
        description:
          'Email and password (and totpCode when two-factor login is on). Returns a 15-minute access token and a refresh token. ' +
          'An admin who must use two-factor login and has not set it up gets totpEnrollmentRequired: true and a session that may only set it up. ' +
          '429 AUTH_RATE_LIMITED past 10 attempts a minute from one address; 423 AUTH_LOCKED after 5 wrong passwords for one account from one address (1 min, doubling up to 15 min).',
        body: LoginBody,
        response: { 200: LoginReply, 401: ErrorReply, 423: ErrorReply, 429: ErrorReply },
      },
    },
    (request) => service.login(app.db, app.userTokens, guard, request.body, { ip: request.ip, requestId: String(request.id), platformAdminTotp }),
  )

  app.post(
    '/auth/refresh',
    {
      config: { public: true },
      schema: {
        tags,
        description: 'Spends a refresh token for a new access token and the next refresh token. A token spent twice closes the whole login (401 AUTH_REFRESH_REUSED).',
        body: RefreshBody,
        response: { 200: LoginReply, 401: ErrorReply },
      },
    },
    (request) => service.refresh(app.db, app.userTokens, request.body.refreshToken, platformAdminTotp),
  )

  app.post(
    '/auth/logout',
    { config: { public: true }, schema: { tags, body: RefreshBody, response: { 204: Type.Null() } } },
    async (request, reply) => {
      await service.logout(app.db, request.body.refreshToken)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/me',
    { config: { permission: 'profile.self' }, schema: { ...user, response: { 200: MeReply, 401: ErrorReply } } },
    (request) => service.me(app.db, request.user.orgId, request.user.id, request.user.totpEnrollmentRequired === true),
  )

  app.post(
    '/auth/totp/setup',
    {
      config: { permission: 'profile.self' },
      schema: { ...user, description: 'Starts two-factor enrolment: scan otpauthUri, then confirm with POST /auth/totp/enable.', response: { 200: TotpSetupReply, 401: ErrorReply, 409: ErrorReply } },
    },
    (request) => service.totpSetup(app.db, request.user.orgId, request.user.id, auditContext(request)),
  )

  for (const [path, enabled] of [['/auth/totp/enable', true], ['/auth/totp/disable', false]] as const) {
    app.post(
      path,
      {
        config: { permission: 'profile.self' },
        schema: {
          ...user,
          description: enabled
            ? 'Confirms enrolment with a code from the app. Closes every login of the account: log in again with a code.'
            : 'Turns two-factor login off; 409 AUTH_TOTP_REQUIRED_BY_POLICY for an admin whose organization requires it.',
          body: TotpCodeBody,
          response: { 200: Type.Object({ totpEnabled: Type.Boolean() }), 400: ErrorReply, 401: ErrorReply, 409: ErrorReply },
        },
      },
      (request) => service.totpSetEnabled(app.db, request.user.orgId, request.user.id, request.body.code, enabled, auditContext(request), platformAdminTotp),
    )
  }
}

export default authRoutes
