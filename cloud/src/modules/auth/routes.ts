import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorReply } from '../../errors.js'
import { LoginBody, LoginReply, MeReply } from './schema.js'
import * as service from './service.js'

const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/auth/login',
    { config: { public: true }, schema: { tags: ['auth'], body: LoginBody, response: { 200: LoginReply, 401: ErrorReply } } },
    (request) => service.login(app.db, app.userTokens, request.body),
  )

  app.get(
    '/me',
    {
      config: { permission: 'profile.self' },
      schema: { tags: ['auth'], security: [{ user: [] }], response: { 200: MeReply, 401: ErrorReply } },
      preHandler: app.authenticate,
    },
    (request) => service.me(app.db, request.user.orgId, request.user.id),
  )
}

export default authRoutes
