import type { FastifyInstance } from 'fastify'
import Type from 'typebox'
import { Device, ErrorBody, IdParams, LiveStateBody, LogStats, type TypeBoxProvider } from '../schemas.js'
import type { SiteView } from '../site-view.js'

/** Devices, live state and log statistics: read-only views. */
export function siteRoutes(parent: FastifyInstance, site: SiteView): void {
  const app = parent.withTypeProvider<TypeBoxProvider>()
  app.get('/api/devices', { schema: { response: { 200: Type.Object({ devices: Type.Array(Device) }) } } }, async () => ({
    devices: site.devices(),
  }))
  app.get('/api/devices/:id', { schema: { params: IdParams, response: { 200: Device, 404: ErrorBody } } }, async (req) =>
    site.device(req.params.id),
  )
  app.get('/api/state', { schema: { response: { 200: LiveStateBody } } }, async () => site.state())
  app.get('/api/log/stats', { schema: { response: { 200: LogStats } } }, async () => site.logStats())
}
