import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorReply } from '../../errors.js'
import { GatewayStatus, GatewaySyncParams, ServerTime } from './schema.js'
import * as service from './service.js'

const syncRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/time',
    {
      config: { public: true },
      schema: {
        tags: ['sync'],
        description: "The cloud's wall clock (epoch ms), for gateways that check their own clock against it. No auth.",
        response: { 200: ServerTime },
      },
    },
    async () => ({ serverTime: Date.now() }),
  )

  app.get(
    '/gateways/:gatewayId/sync',
    {
      config: { permission: 'fleet.read' },
      preHandler: app.authenticate,
      schema: {
        tags: ['sync'],
        security: [{ user: [] }],
        description:
          "One gateway's sync health: channel connected, last contact, ack watermark, events quarantined in the cloud, " +
          'and the latest lag and buffer figures it reported (sync: null before its first report).',
        params: GatewaySyncParams,
        response: { 200: GatewayStatus, 401: ErrorReply, 404: ErrorReply },
      },
    },
    (request) => service.getGatewaySync(app.db, app.gatewayPresence, request.user.orgId, request.params.gatewayId),
  )
}

export default syncRoutes
