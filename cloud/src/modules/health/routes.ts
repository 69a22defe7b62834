import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Health } from './schema.js'
import { checkHealth } from './service.js'

const healthRoutes: FastifyPluginAsyncTypebox<{ version: string }> = async (app, opts) => {
  app.get(
    '/health',
    { config: { public: true }, schema: { tags: ['health'], response: { 200: Health, 503: Health } } },
    async (request, reply) => {
      const health = await checkHealth(app.db, opts.version)
      if (health.db !== 'ok') request.log.warn('health check: database down')
      return reply.code(health.db === 'ok' ? 200 : 503).send(health)
    },
  )
}

export default healthRoutes
