import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { jwtVerify, SignJWT } from 'jose'
import { unauthorized } from '../errors.js'
import { isRole, type Role } from '../modules/identity/permissions.js'

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
}

export interface UserTokens {
  sign(user: AuthUser): Promise<string>
  /** Throws AUTH_UNAUTHORIZED for anything but a valid, unexpired token of ours. */
  verify(token: string): Promise<AuthUser>
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
const TOKEN_TTL = '12h'

export function createUserTokens(secret: string): UserTokens {
  const key = new TextEncoder().encode(secret)
  return {
    sign: (user) =>
      new SignJWT({ org: user.orgId, role: user.role })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(user.id)
        .setIssuer(ISSUER)
        .setIssuedAt()
        .setExpirationTime(TOKEN_TTL)
        .sign(key),
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: ['HS256'] })
        if (typeof payload.sub !== 'string' || typeof payload.org !== 'string' || !isRole(payload.role)) throw unauthorized()
        return { id: payload.sub, orgId: payload.org, role: payload.role, kind: 'user' }
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

export default fp(
  async (app, opts: { jwtSecret: string }) => {
    const tokens = createUserTokens(opts.jwtSecret)
    app.decorate('userTokens', tokens)
    app.decorateRequest('user', null as unknown as AuthUser)
    app.decorate('authenticate', async (request: FastifyRequest) => {
      const token = bearerToken(request.headers.authorization)
      if (!token) throw unauthorized()
      request.user = await tokens.verify(token)
    })
  },
  { name: 'auth' },
)
