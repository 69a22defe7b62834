import type { FastifyInstance } from 'fastify'
import Type from 'typebox'
import type { RuleSpec } from '../../rules/registry.js'
import type { RulesService } from '../rules-service.js'
import {
  DryRunDraftBody,
  DryRunResult,
  DryRunSavedBody,
  ErrorBody,
  IdParams,
  Rule,
  RuleList,
  type TypeBoxProvider,
} from '../schemas.js'

const errors = { 400: ErrorBody, 404: ErrorBody, 409: ErrorBody }

/** Rules CRUD and dry runs. Bodies are checked by schema here, then as a whole rule set by the service. */
export function ruleRoutes(parent: FastifyInstance, rules: RulesService): void {
  const app = parent.withTypeProvider<TypeBoxProvider>()
  app.get('/api/rules', { schema: { response: { 200: RuleList } } }, async () => rules.list())
  app.get('/api/rules/:id', { schema: { params: IdParams, response: { 200: Rule, ...errors } } }, async (req) => rules.get(req.params.id))
  app.post('/api/rules', { schema: { body: Rule, response: { 201: Rule, ...errors } } }, async (req, reply) =>
    reply.status(201).send(await rules.create(req.body as RuleSpec)),
  )
  app.put('/api/rules/:id', { schema: { params: IdParams, body: Rule, response: { 200: Rule, ...errors } } }, async (req) =>
    rules.update(req.params.id, req.body as RuleSpec),
  )
  app.delete('/api/rules/:id', { schema: { params: IdParams, response: { 204: Type.Null(), ...errors } } }, async (req, reply) => {
    await rules.remove(req.params.id)
    return reply.status(204).send(null)
  })
  app.post('/api/rules/dry-run', { schema: { body: DryRunDraftBody, response: { 200: DryRunResult, ...errors } } }, async (req) =>
    rules.dryRunDraft(req.body.rule as RuleSpec, req.body),
  )
  app.post(
    '/api/rules/:id/dry-run',
    { schema: { params: IdParams, body: DryRunSavedBody, response: { 200: DryRunResult, ...errors } } },
    async (req) => rules.dryRunSaved(req.params.id, req.body),
  )
}
