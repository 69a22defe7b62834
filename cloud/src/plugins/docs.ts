import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'

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
            apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'An API key (tdk_…); Authorization: Bearer works too' },
          },
        },
      },
    })
    await app.register(swaggerUi, { routePrefix: '/docs' })
  },
  { name: 'docs' },
)
