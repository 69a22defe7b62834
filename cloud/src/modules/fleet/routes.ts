import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorReply } from '../../errors.js'
import * as service from './service.js'
import { CommandParams, CommandView, ConfigView, CreateCommandBody, GatewayParams, PutConfigBody } from './schema.js'

const common = { tags: ['fleet'], security: [{ user: [] }] }
const errors = { 400: ErrorReply, 401: ErrorReply, 404: ErrorReply }

/**
 * Desired config and cloud commands per gateway (ARCHITECTURE.md sync contract 7), sent
 * down the gateways' WebSocket channel (channel.ts, set up by channel-plugin.ts).
 */
const fleetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const channel = app.gatewayChannel

  app.addHook('preHandler', app.authenticate)

  app.get(
    '/gateways/:id/config',
    { config: { permission: 'fleet.read' }, schema: { ...common, description: 'The latest desired config and the version the gateway reports it runs.', params: GatewayParams, response: { 200: ConfigView, ...errors } } },
    (request) => service.getConfig(app.db, request.user.orgId, request.params.id),
  )

  app.put(
    '/gateways/:id/config',
    {
      config: { permission: 'fleet.config' },
      bodyLimit: 2 * 1024 * 1024,
      schema: {
        ...common,
        description: 'Stores a new desired config version (site config shape) and pushes it to the gateway, which validates and applies it or reports why not.',
        params: GatewayParams,
        body: PutConfigBody,
        response: { 200: ConfigView, ...errors },
      },
    },
    (request) => service.putConfig(app.db, channel, request.user, request.params.id, request.body),
  )

  app.post(
    '/gateways/:id/commands',
    { config: { permission: 'fleet.command' }, schema: { ...common, params: GatewayParams, body: CreateCommandBody, response: { 201: CommandView, ...errors } } },
    async (request, reply) => {
      const view = await service.createCommand(app.db, channel, request.user, request.params.id, request.body)
      return reply.code(201).send(view)
    },
  )

  app.get(
    '/gateways/:id/commands/:commandId',
    { config: { permission: 'fleet.read' }, schema: { ...common, params: CommandParams, response: { 200: CommandView, ...errors } } },
    (request) => service.getCommand(app.db, request.user.orgId, request.params.id, request.params.commandId),
  )
}

export default fleetRoutes
