import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { UplinkBatch as UplinkBatchType } from '@tendero/protocol'
import { ErrorReply } from '../../errors.js'
import { bearerToken } from '../../plugins/auth.js'
import { INGEST_BODY_LIMIT, UplinkAck, UplinkBatch } from './schema.js'
import { markContact } from '../sync/repository.js'
import { authenticateGateway, ingestBatch, type IngestGateway, type IngestHooks } from './service.js'

declare module 'fastify' {
  interface FastifyRequest {
    gateway: IngestGateway
  }
  interface FastifyInstance {
    /** Set by a module that wants to hear about alarms and notices (notifications). */
    ingestHooks?: IngestHooks
  }
}

const ingestRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.decorateRequest('gateway', null as unknown as IngestGateway)
  const hooks: IngestHooks = app.ingestHooks ?? {}

  app.post(
    '/ingest',
    {
      config: { gateway: true },
      bodyLimit: INGEST_BODY_LIMIT,
      schema: {
        tags: ['ingest'],
        security: [{ gateway: [] }],
        description: 'Uplink batch from a gateway (see @tendero/protocol). Idempotent per (gatewayId, seq).',
        body: UplinkBatch,
        response: { 200: UplinkAck, 400: ErrorReply, 401: ErrorReply },
      },
      // Before the body is read: an unknown key never costs a 5 MB parse.
      onRequest: async (request) => {
        request.gateway = await authenticateGateway(app.db, bearerToken(request.headers.authorization))
      },
      // A stored batch records contact in its own transaction; a refused one (bad body,
      // bad range, database error) from a known gateway still shows it is alive.
      onResponse: async (request, reply) => {
        if (!request.gateway || reply.statusCode === 200) return
        await markContact(app.db, request.gateway.id).catch((err: unknown) =>
          request.log.warn({ err }, 'ingest: last contact not recorded'))
      },
    },
    async (request) => {
      const { gateway } = request
      // The envelope schema checks only `seq` per event; ingestBatch checks each event in full.
      const { ack, pushes } = await ingestBatch(app.db, gateway, request.body as UplinkBatchType, hooks)
      for (const push of pushes) app.realtime.emitToSite(gateway.siteId, push.event, push.payload)
      request.log.info(
        { orgId: gateway.orgId, gatewayId: gateway.id, ackSeq: ack.ackSeq, stored: ack.stored,
          duplicates: ack.duplicates, quarantined: ack.quarantined.length },
        'ingest batch',
      )
      return ack
    },
  )
}

export default ingestRoutes
