import type { FastifyInstance } from 'fastify'
import type { CommandDesk } from '../commands-service.js'
import { CommandAccepted, CommandBody, ErrorBody, IdParams, type TypeBoxProvider } from '../schemas.js'

/** Device commands from outside the rules; 202 because the device acks later, on its own topic. */
export function commandRoutes(parent: FastifyInstance, commands: CommandDesk): void {
  const app = parent.withTypeProvider<TypeBoxProvider>()
  app.post(
    '/api/devices/:id/commands',
    { schema: { params: IdParams, body: CommandBody, response: { 202: CommandAccepted, 400: ErrorBody, 404: ErrorBody } } },
    async (req, reply) => reply.status(202).send(await commands.send(req.params.id, req.body, req.technician)),
  )
}
