import { existsSync } from 'node:fs'
import path from 'node:path'
import fastifyStatic from '@fastify/static'
import fp from 'fastify-plugin'

// Misses under these prefixes are real 404s: API routes, and hashed build assets that
// would otherwise come back as index.html and fail as a script with a confusing error.
const isApiPath = (url: string): boolean => /^\/(api|socket\.io|docs|assets)(\/|\?|$)/.test(url)

/**
 * Serves the built Vue dashboard. Unknown non-API GETs fall back to index.html so the
 * client-side router owns deep links; /api, /socket.io and /docs misses stay JSON 404s.
 */
export default fp(
  async (app, opts: { dashboardDir: string }) => {
    const root = path.resolve(opts.dashboardDir)
    const hasDashboard = existsSync(path.join(root, 'index.html'))
    if (hasDashboard) {
      await app.register(fastifyStatic, { root, wildcard: false })
    } else {
      app.log.warn({ dashboardDir: root }, 'dashboard not built (npm run build -w @tendero/dashboard); serving the API only')
    }

    app.setNotFoundHandler((request, reply) => {
      if (hasDashboard && (request.method === 'GET' || request.method === 'HEAD') && !isApiPath(request.url)) {
        return reply.type('text/html; charset=utf-8').sendFile('index.html')
      }
      return reply
        .code(404)
        .send({ error: { code: 'NOT_FOUND', message: `Route ${request.method} ${request.url} not found` } })
    })
  },
  { name: 'dashboard' },
)
