import type { FastifyInstance } from 'fastify'
import Type from 'typebox'
import type { AlarmsDesk } from '../alarms-service.js'
import { Alarm, AlarmActionBody, AlarmParams, AlarmQuery, AlarmRaiseBody, ErrorBody, type TypeBoxProvider } from '../schemas.js'

const errors = { 400: ErrorBody, 404: ErrorBody, 409: ErrorBody }

/** Alarms on site: list, raise from outside the rules, acknowledge, clear. `by` defaults to the name of the caller's token. */
export function alarmRoutes(parent: FastifyInstance, alarms: AlarmsDesk): void {
  const app = parent.withTypeProvider<TypeBoxProvider>()
  app.get('/api/alarms', { schema: { querystring: AlarmQuery, response: { 200: Type.Object({ alarms: Type.Array(Alarm) }) } } }, async (req) => ({
    alarms: alarms.list(req.query.state ?? 'active'),
  }))
  // 201 when raised now, 200 when it was already active (the same alarm, unchanged).
  app.post(
    '/api/alarms',
    { schema: { body: AlarmRaiseBody, response: { 200: Alarm, 201: Alarm, ...errors } } },
    async (req, reply) => {
      const { alarm, created } = await alarms.raise(req.body)
      return reply.status(created ? 201 : 200).send(alarm)
    },
  )
  app.post(
    '/api/alarms/:alarmId/ack',
    { schema: { params: AlarmParams, body: AlarmActionBody, response: { 200: Alarm, ...errors } } },
    async (req) => alarms.acknowledge(req.params.alarmId, req.body.by ?? req.technician),
  )
  app.post(
    '/api/alarms/:alarmId/clear',
    { schema: { params: AlarmParams, body: AlarmActionBody, response: { 200: Alarm, ...errors } } },
    async (req) => alarms.clear(req.params.alarmId, req.body.by ?? req.technician),
  )
}
