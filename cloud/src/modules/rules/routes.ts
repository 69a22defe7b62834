import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorReply } from '../../errors.js'
import { isRuleInvalid } from './errors.js'
import * as service from './service.js'
import {
  DryRunBody,
  DryRunReply,
  GatewayParams,
  RuleBody,
  RuleDeleted,
  RuleErrorReply,
  RuleKinds,
  RuleParams,
  RuleSaved,
  RulesView,
  ValidateBody,
  ValidateReply,
  WriteQuery,
} from './schema.js'

const common = { tags: ['rules'], security: [{ user: [] }] }
const errors = { 400: RuleErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply }

/**
 * A gateway's rules, edited one at a time in its desired config (the fleet module stores
 * and pushes each version), with field-level validation and a dry run over the history
 * the gateway uplinked. The rule kinds and their JSON Schemas let a client build a form
 * per kind.
 */
const rulesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', app.authenticate)

  // RULE_INVALID carries its problems by field; everything else goes to the app's handler.
  app.setErrorHandler((error, _request, reply) => {
    if (!isRuleInvalid(error)) throw error
    return reply.code(400).send({ error: { code: error.code, message: error.message, details: { fields: error.fields } } })
  })

  app.get(
    '/rules/kinds',
    {
      config: { permission: 'fleet.read' },
      schema: { ...common, description: 'Condition and action kinds with the JSON Schema of each, to build a form per kind.', response: { 200: RuleKinds, 401: ErrorReply, 403: ErrorReply } },
    },
    async () => service.kinds(),
  )

  app.get(
    '/gateways/:id/rules',
    {
      config: { permission: 'fleet.read' },
      schema: {
        ...common,
        description:
          "The rules of the gateway's latest desired config and its version. " +
          '409 RULES_NO_BASE_CONFIG while the cloud holds no config of the gateway (it runs its local site file).',
        params: GatewayParams,
        response: { 200: RulesView, ...errors },
      },
    },
    async (request) => service.listRules(app.db, request.user.orgId, request.params.id),
  )

  app.post(
    '/gateways/:id/rules/validate',
    {
      config: { permission: 'fleet.read' },
      schema: {
        ...common,
        description: 'Checks one rule as saving it would: 400 RULE_INVALID with error.details.fields [{ path, message }] per problem.',
        params: GatewayParams,
        body: ValidateBody,
        response: { 200: ValidateReply, ...errors },
      },
    },
    async (request) => service.validateRule(app.db, request.user.orgId, request.params.id, request.body),
  )

  app.post(
    '/gateways/:id/rules/dry-run',
    {
      config: { permission: 'fleet.read' },
      schema: {
        ...common,
        description:
          'Replays the uplinked events of [from, to] (default the last 24 h, at most 31 days) through the rule, in the ' +
          "site's time zone, and lists when it would have fired and re-armed. Nothing is stored or sent.",
        params: GatewayParams,
        body: DryRunBody,
        response: { 200: DryRunReply, ...errors },
      },
    },
    async (request) => service.dryRun(app.db, request.user.orgId, request.params.id, request.body),
  )

  app.put(
    '/gateways/:id/rules/:ruleId',
    {
      config: { permission: 'fleet.config' },
      schema: {
        ...common,
        description:
          'Creates (201) or replaces (200) one rule: a new desired config version, pushed to the gateway. The id in the URL ' +
          'names the rule. 400 RULE_INVALID with fields; 409 CONFIG_VERSION_CONFLICT when ?ifVersion is not the latest version.',
        params: RuleParams,
        querystring: WriteQuery,
        body: RuleBody,
        response: { 200: RuleSaved, 201: RuleSaved, ...errors },
      },
    },
    async (request, reply) => {
      const { created, ...saved } = await service.putRule(app.db, app.gatewayChannel, request, {
        gatewayId: request.params.id,
        ruleId: request.params.ruleId,
        rule: request.body as Record<string, unknown>,
        ifVersion: request.query.ifVersion,
      })
      return reply.code(created ? 201 : 200).send(saved)
    },
  )

  app.delete(
    '/gateways/:id/rules/:ruleId',
    {
      config: { permission: 'fleet.config' },
      schema: {
        ...common,
        description: 'Removes one rule: a new desired config version, pushed to the gateway. 409 CONFIG_VERSION_CONFLICT as for PUT.',
        params: RuleParams,
        querystring: WriteQuery,
        response: { 200: RuleDeleted, ...errors },
      },
    },
    async (request) =>
      service.deleteRule(app.db, app.gatewayChannel, request, {
        gatewayId: request.params.id,
        ruleId: request.params.ruleId,
        ifVersion: request.query.ifVersion,
      }),
  )
}

export default rulesRoutes
