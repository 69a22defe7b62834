import type { FastifyPluginAsync } from 'fastify'

/**
 * @fastify/static (also needed by @fastify/swagger-ui) is declared in package.json, but
 * the current lockfile misses its own dependencies (@fastify/send,
 * @fastify/accept-negotiator), so loading it can fail on a fresh install. The app then
 * degrades (plain file serving, /docs without the UI) instead of refusing to boot.
 */
export async function loadFastifyStatic(): Promise<FastifyPluginAsync<{ root: string; wildcard?: boolean }> | null> {
  try {
    const mod = await import('@fastify/static')
    return mod.default as unknown as FastifyPluginAsync<{ root: string; wildcard?: boolean }>
  } catch {
    return null
  }
}
