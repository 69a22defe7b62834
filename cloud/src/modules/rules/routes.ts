import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

/** Issue 7: routes of the rules module (filled in by its owner). */
const rulesRoutes: FastifyPluginAsyncTypebox = async () => {}

export default rulesRoutes
