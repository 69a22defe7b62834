import { existsSync } from 'node:fs'
import path from 'node:path'
import fastifyStatic from '@fastify/static'
import fp from 'fastify-plugin'

// Misses under these prefixes are real 404s: API routes, and hashed build assets that
// would otherwise come back as index.html and fail as a script with a confusing error.
const isApiPath = (url: string): boolean => /^\/(api|socket\.io|docs|assets)(\/|\?|$)/.test(url)

// How long browsers may keep each kind of file. The hashed build assets never change
// under their name. index.html, the service worker and the manifest keep their names
// across releases, so the browser asks each time (a 304 when unchanged): a stale sw.js
// would keep an old app shell alive, and browsers only look for a new worker when asked.
const IMMUTABLE = 'public, max-age=31536000, immutable'
const REVALIDATE = 'no-cache'

function cacheControlFor(relativePath: string): string {
  const file = relativePath.split(/[\\/]/).filter(Boolean)
  return file[0] === 'assets' && file.length > 1 ? IMMUTABLE : REVALIDATE
}

/**
 * Serves the built Vue dashboard. Unknown non-API GETs fall back to index.html so the
 * client-side router owns deep links; /api, /socket.io and /docs misses stay JSON 404s.
 */
export default fp(
  async (app, opts: { dashboardDir: string }) => {
    const root = path.resolve(opts.dashboardDir)
    const hasDashboard = existsSync(path.join(root, 'index.html'))
    if (hasDashboard) {
      await app.register(fastifyStatic, {
        root,
        wildcard: false,
        // Ours instead of send's `public, max-age=0`, which would otherwise overwrite it.
        cacheControl: false,
        setHeaders: (res, filePath) => res.setHeader('cache-control', cacheControlFor(path.relative(root, filePath))),
      })
    } else {
      app.log.warn({ dashboardDir: root }, 'dashboard not built (npm run build -w @tendero/dashboard); serving the API only')
    }

    app.setNotFoundHandler((request, reply) => {
      if (hasDashboard && (request.method === 'GET' || request.method === 'HEAD') && !isApiPath(request.url)) {
        return reply.type('text/html; charset=utf-8').header('cache-control', REVALIDATE).sendFile('index.html')
      }
      return reply
        .code(404)
        .send({ error: { code: 'NOT_FOUND', message: `Route ${request.method} ${request.url} not found` } })
    })
  },
  { name: 'dashboard' },
)
