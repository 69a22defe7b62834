import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

/** Issue 7: routes of the reports module (filled in by its owner). */
const reportsRoutes: FastifyPluginAsyncTypebox = async () => {}

export default reportsRoutes
