import { createReadStream, existsSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import type { FastifyReply } from 'fastify'
import fp from 'fastify-plugin'
import { loadFastifyStatic } from './optional-static.js'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
}

const isApiPath = (url: string): boolean => /^\/(api|socket\.io|docs)(\/|\?|$)/.test(url)

/**
 * Serves the built Vue dashboard. Unknown non-API GETs fall back to index.html so the
 * client-side router owns deep links; /api, /socket.io and /docs misses stay JSON 404s.
 */
export default fp(
  async (app, opts: { dashboardDir: string }) => {
    const root = path.resolve(opts.dashboardDir)
    const hasDashboard = existsSync(path.join(root, 'index.html'))
    const fastifyStatic = hasDashboard ? await loadFastifyStatic() : null

    if (!hasDashboard) app.log.warn({ dashboardDir: root }, 'dashboard not built; serving the API only')
    else if (fastifyStatic) await app.register(fastifyStatic, { root, wildcard: false })
    else app.log.warn('@fastify/static cannot load: serving the dashboard with the plain file sender')

    /** Fallback sender: files under root only (no traversal), no caching headers. */
    async function sendPlain(reply: FastifyReply, urlPath: string) {
      let decoded: string
      try {
        decoded = decodeURIComponent(urlPath.split('?')[0] ?? '/')
      } catch {
        decoded = '/'
      }
      const file = path.resolve(root, '.' + decoded)
      const inside = file.startsWith(root + path.sep)
      const target = inside && (await stat(file).catch(() => null))?.isFile() ? file : path.join(root, 'index.html')
      return reply
        .type(CONTENT_TYPES[path.extname(target)] ?? 'application/octet-stream')
        .send(createReadStream(target))
    }

    app.setNotFoundHandler((request, reply) => {
      if (hasDashboard && (request.method === 'GET' || request.method === 'HEAD') && !isApiPath(request.url)) {
        return fastifyStatic ? reply.sendFile('index.html') : sendPlain(reply, request.url)
      }
      return reply
        .code(404)
        .send({ error: { code: 'NOT_FOUND', message: `Route ${request.method} ${request.url} not found` } })
    })
  },
  { name: 'dashboard' },
)
