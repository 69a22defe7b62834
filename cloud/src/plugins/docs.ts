import swagger from '@fastify/swagger'
import fp from 'fastify-plugin'
import { loadFastifyStatic } from './optional-static.js'

/** OpenAPI built from the routes' TypeBox schemas; UI at /docs, document at /docs/json. */
export default fp(
  async (app, opts: { version: string }) => {
    await app.register(swagger, {
      openapi: {
        info: { title: 'Tendero cloud API', version: opts.version },
        components: {
          securitySchemes: {
            user: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
            gateway: { type: 'http', scheme: 'bearer', description: 'Gateway key' },
          },
        },
      },
    })

    if (await loadFastifyStatic()) {
      const { default: swaggerUi } = await import('@fastify/swagger-ui')
      await app.register(swaggerUi, { routePrefix: '/docs' })
      return
    }
    app.log.warn('@fastify/static cannot load: /docs serves the OpenAPI document without Swagger UI')
    app.get('/docs/json', { schema: { hide: true } }, () => app.swagger())
    app.get('/docs', { schema: { hide: true } }, (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send('<!doctype html><title>Tendero API</title><p>OpenAPI document: <a href="/docs/json">/docs/json</a></p>'),
    )
  },
  { name: 'docs' },
)
