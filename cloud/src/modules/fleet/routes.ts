import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorReply } from '../../errors.js'
import { withIdempotency } from '../common/idempotency.js'
import { claimRateLimited } from './errors.js'
import { ClaimGuard } from './claim-guard.js'
import * as devices from './devices.js'
import * as provision from './provision.js'
import * as service from './service.js'
import * as status from './status.js'
import {
  ClaimBody,
  ClaimCodeItem,
  ClaimCodeList,
  ClaimCodeParams,
  ClaimCodesQuery,
  ClaimCodeView,
  ClaimReply,
  CommandParams,
  CommandTargets,
  CommandView,
  ConfigView,
  CreateClaimCodeBody,
  CreateCommandBody,
  CreateDeviceBody,
  DeviceList,
  DeviceParams,
  DevicesQuery,
  DeviceView,
  GatewayList,
  GatewayParams,
  GatewaySummary,
  GatewaysQuery,
  PatchDeviceBody,
  PutConfigBody,
  SiteParams,
} from './schema.js'

const common = { tags: ['fleet'], security: [{ user: [] }] }
const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply }

/**
 * The fleet: gateways and their status, claim-code provisioning, the device registry,
 * desired config and cloud commands (ARCHITECTURE.md sync contract 7), the latter sent
 * down the gateways' WebSocket channel (channel.ts, set up by channel-plugin.ts).
 */
const fleetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(claimRoutes)
  await app.register(userRoutes)
}

/** The one public fleet route: a new gateway spends its claim code. */
const claimRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const guard = new ClaimGuard()
  app.post(
    '/gateways/claim',
    {
      config: { public: true },
      schema: {
        tags: ['fleet'],
        description:
          'A new gateway presents the claim code a technician created for a site and gets its id and key, once. ' +
          '404 CLAIM_CODE_INVALID, 410 CLAIM_CODE_EXPIRED, 409 CLAIM_CODE_USED; 429 CLAIM_RATE_LIMITED past 10 attempts a minute from one address.',
        body: ClaimBody,
        response: { 201: ClaimReply, 400: ErrorReply, 404: ErrorReply, 409: ErrorReply, 410: ErrorReply, 429: ErrorReply },
      },
    },
    async (request, reply) => {
      const waitMs = guard.attempt(request.ip, Date.now())
      if (waitMs > 0) throw claimRateLimited(waitMs)
      return reply.code(201).send(await provision.claimGateway(app.db, request, request.body))
    },
  )
}

const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const channel = app.gatewayChannel

  app.addHook('preHandler', app.authenticate)

  app.post(
    '/sites/:siteId/claim-codes',
    {
      config: { permission: 'fleet.provision' },
      schema: {
        ...common,
        description: 'A single-use code (default 24 h) that binds the next gateway to claim it to this site. The code is shown only in this reply.',
        params: SiteParams,
        body: CreateClaimCodeBody,
        response: { 201: ClaimCodeView, ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await provision.createClaimCode(app.db, request, request.params.siteId, request.body)),
  )

  app.get(
    '/sites/:siteId/claim-codes',
    {
      config: { permission: 'fleet.provision' },
      schema: { ...common, description: "The site's claim codes, newest first, with their status (never the code itself).", params: SiteParams, querystring: ClaimCodesQuery, response: { 200: ClaimCodeList, ...errors } },
    },
    (request) => provision.listClaimCodes(app.db, request.user.orgId, request.params.siteId, request.query),
  )

  app.delete(
    '/sites/:siteId/claim-codes/:codeId',
    {
      config: { permission: 'fleet.provision' },
      schema: { ...common, description: 'Revokes an unused claim code at once (a used or expired one is returned as it is).', params: ClaimCodeParams, response: { 200: ClaimCodeItem, ...errors } },
    },
    (request) => provision.revokeClaimCode(app.db, request, request.params.siteId, request.params.codeId),
  )

  app.get(
    '/gateways',
    {
      config: { permission: 'fleet.read' },
      schema: {
        ...common,
        description: "The organization's gateways by id: online, last contact, sync lag, desired vs reported config version.",
        querystring: GatewaysQuery,
        response: { 200: GatewayList, ...errors },
      },
    },
    (request) => status.listGateways(app.db, app.gatewayPresence, request.user.orgId, request.query),
  )

  app.get(
    '/gateways/:id',
    { config: { permission: 'fleet.read' }, schema: { ...common, params: GatewayParams, response: { 200: GatewaySummary, ...errors } } },
    (request) => status.getGateway(app.db, app.gatewayPresence, request.user.orgId, request.params.id),
  )

  app.get(
    '/gateways/:id/devices',
    { config: { permission: 'fleet.read' }, schema: { ...common, params: GatewayParams, querystring: DevicesQuery, response: { 200: DeviceList, ...errors } } },
    (request) => devices.listDevices(app.db, request.user.orgId, request.params.id, request.query),
  )

  app.get(
    '/gateways/:id/devices/:deviceId',
    { config: { permission: 'fleet.read' }, schema: { ...common, params: DeviceParams, response: { 200: DeviceView, ...errors } } },
    (request) => devices.getDevice(app.db, request.user.orgId, request.params.id, request.params.deviceId),
  )

  app.post(
    '/gateways/:id/devices',
    { config: { permission: 'fleet.config' }, schema: { ...common, params: GatewayParams, body: CreateDeviceBody, response: { 201: DeviceView, 409: ErrorReply, ...errors } } },
    async (request, reply) => reply.code(201).send(await devices.createDevice(app.db, request, request.params.id, request.body)),
  )

  app.patch(
    '/gateways/:id/devices/:deviceId',
    { config: { permission: 'fleet.config' }, schema: { ...common, params: DeviceParams, body: PatchDeviceBody, response: { 200: DeviceView, ...errors } } },
    (request) => devices.updateDevice(app.db, request, request.params.id, request.params.deviceId, request.body),
  )

  app.delete(
    '/gateways/:id/devices/:deviceId',
    { config: { permission: 'fleet.config' }, schema: { ...common, params: DeviceParams, response: { 204: { type: 'null' }, ...errors } } },
    async (request, reply) => {
      await devices.deleteDevice(app.db, request, request.params.id, request.params.deviceId)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/gateways/:id/command-targets',
    {
      config: { permission: 'fleet.read' },
      schema: {
        ...common,
        description: "The devices of the gateway's config (latest desired, else the one it reported running) with the relays and doors a command may name.",
        params: GatewayParams,
        response: { 200: CommandTargets, ...errors },
      },
    },
    (request) => service.commandTargets(app.db, request.user.orgId, request.params.id),
  )

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
    (request) => service.putConfig(app.db, channel, request, request.params.id, request.body),
  )

  app.post(
    '/gateways/:id/commands',
    {
      config: { permission: 'fleet.command' },
      schema: {
        ...common,
        description:
          'Queues a command for a device and sends it if the gateway is connected. With an Idempotency-Key header a retry ' +
          'returns the first answer instead of sending a second command (422 IDEMPOTENCY_KEY_REUSED for a different body under the same key).',
        params: GatewayParams,
        body: CreateCommandBody,
        response: { 201: CommandView, 409: ErrorReply, 422: ErrorReply, ...errors },
      },
    },
    async (request, reply) => {
      await withIdempotency(app.db, request, reply, request.user.orgId, async () => ({
        status: 201,
        body: await service.createCommand(app.db, channel, request, request.params.id, request.body),
      }))
      return reply
    },
  )

  app.get(
    '/gateways/:id/commands/:commandId',
    { config: { permission: 'fleet.read' }, schema: { ...common, params: CommandParams, response: { 200: CommandView, ...errors } } },
    (request) => service.getCommand(app.db, request.user.orgId, request.params.id, request.params.commandId),
  )
}

export default fleetRoutes
