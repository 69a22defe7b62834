import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { jwtVerify, SignJWT } from 'jose'
import { AppError, unauthorized } from '../errors.js'
import { isApiKeyToken, resolveApiKey } from '../modules/identity/api-keys.js'
import { totpEnrollmentRequired } from '../modules/auth/policy.js'
import { can, isRole, type Permission, type Role } from '../modules/identity/permissions.js'
import type { Db } from './db/database.js'
// Brings the `app.db` decoration's type along wherever this plugin is compiled.
import type {} from './db/index.js'

/**
 * Who a request speaks for: a user (JWT) or an API key. Every tenant-scoped query takes
 * `orgId` from here, never from the request; `role` decides the permissions
 * (modules/identity/permissions.ts).
 */
export interface AuthUser {
  id: string
  orgId: string
  role: Role
  /** Default `user`. */
  kind?: 'user' | 'api_key'
  /** The permission of the route being served (set by the permission hook): what grants are checked against. */
  permission?: Permission
  /**
   * An admin who must use TOTP and has not enrolled (modules/auth/policy.ts): the token
   * reaches `profile.self` routes only, which include setting TOTP up.
   */
  totpEnrollmentRequired?: boolean
}

export interface UserTokens {
  sign(user: AuthUser): Promise<string>
  /**
   * Throws AUTH_UNAUTHORIZED for anything but a valid, unexpired token of ours. An
   * enrolment-only token is refused too unless `allowEnrollment` is set: only the
   * permission hook takes it, so any other reader of tokens (Socket.IO) is safe by default.
   */
  verify(token: string, opts?: { allowEnrollment?: boolean }): Promise<AuthUser>
}

declare module 'fastify' {
  interface FastifyInstance {
    userTokens: UserTokens
    /** preHandler for user routes: sets `request.user` or replies 401. */
    authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void>
  }
  interface FastifyRequest {
    user: AuthUser
  }
}

const ISSUER = 'tendero-cloud'
// Short: a role change or a disabled user takes effect within this; clients refresh (modules/auth/sessions.ts).
export const ACCESS_TTL_S = 15 * 60
/** Marks an enrolment-only token (AuthUser.totpEnrollmentRequired). */
const ENROLLMENT_CLAIM = 'totp_enrol'

export function createUserTokens(secret: string): UserTokens {
  const key = new TextEncoder().encode(secret)
  return {
    sign: (user) =>
      new SignJWT({ org: user.orgId, role: user.role, ...(user.totpEnrollmentRequired ? { [ENROLLMENT_CLAIM]: true } : {}) })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(user.id)
        .setIssuer(ISSUER)
        .setIssuedAt()
        .setExpirationTime(`${ACCESS_TTL_S}s`)
        .sign(key),
    async verify(token, opts = {}) {
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: ['HS256'] })
        if (typeof payload.sub !== 'string' || typeof payload.org !== 'string' || !isRole(payload.role)) throw unauthorized()
        const user: AuthUser = { id: payload.sub, orgId: payload.org, role: payload.role, kind: 'user' }
        if (payload[ENROLLMENT_CLAIM] !== undefined) {
          if (!opts.allowEnrollment) throw unauthorized()
          user.totpEnrollmentRequired = true
        }
        return user
      } catch {
        throw unauthorized()
      }
    },
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)$/i)
  return match?.[1]
}

/** A user JWT or an API key (`tdk_…`), from `Authorization: Bearer` or `X-Api-Key`. */
export async function resolvePrincipal(db: Db, tokens: UserTokens, request: FastifyRequest, opts: { allowEnrollment?: boolean } = {}): Promise<AuthUser> {
  const header = request.headers['x-api-key']
  const apiKey = typeof header === 'string' ? header : undefined
  const token = apiKey ?? bearerToken(request.headers.authorization)
  if (!token) throw unauthorized()
  if (isApiKeyToken(token)) {
    const key = await resolveApiKey(db, token)
    if (!key) throw unauthorized()
    return { ...key, kind: 'api_key' }
  }
  return tokens.verify(token, opts)
}

export const forbidden = (permission: Permission): AppError =>
  new AppError('AUTH_FORBIDDEN', 403, `Your role may not do this (needs ${permission})`)

/** All an enrolment-only session may do: its own profile, which includes setting TOTP up. */
const ENROLLMENT_PERMISSION: Permission = 'profile.self'

/**
 * Authentication and the permission table, for every route at once: a route whose config
 * names a permission gets an authenticated principal whose role holds it, or 401/403
 * before its body is even parsed. `public` and `gateway` routes authenticate themselves.
 * This is also the one place an admin's enrolment-only session (they must use TOTP and
 * have not enrolled) is held to `profile.self`: 403 AUTH_TOTP_ENROLLMENT_REQUIRED elsewhere.
 */
export default fp(
  async (app, opts: { jwtSecret: string }) => {
    const tokens = createUserTokens(opts.jwtSecret)
    app.decorate('userTokens', tokens)
    app.decorateRequest('user', null as unknown as AuthUser)
    app.decorate('authenticate', async (request: FastifyRequest) => {
      // Already done by the permission hook for routes that name a permission.
      if (request.user) return
      request.user = await resolvePrincipal(app.db, tokens, request)
    })
    app.addHook('onRequest', async (request) => {
      const permission = request.routeOptions.config?.permission
      if (!permission) return
      request.user = { ...(await resolvePrincipal(app.db, tokens, request, { allowEnrollment: true })), permission }
      // Before the role check: an admin who must enrol learns why, whatever the route.
      if (request.user.totpEnrollmentRequired && permission !== ENROLLMENT_PERMISSION) throw totpEnrollmentRequired()
      if (!can(request.user.role, permission)) throw forbidden(permission)
    })
  },
  { name: 'auth', dependencies: ['db'] },
)
