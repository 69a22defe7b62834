import type { FastifyInstance } from 'fastify'

/** What the route needs: the exposition text and its content type (metrics/gateway-metrics.ts). */
export interface MetricsScrape {
  scrape(): Promise<string>
  readonly contentType: string
}

/**
 * Prometheus metrics, open like /health: counts, lags and device ids the site config
 * already names, nothing a technician's token protects (README "Metrics").
 */
export function metricsRoutes(app: FastifyInstance, metrics: MetricsScrape): void {
  app.get('/metrics', { config: { public: true } }, async (_req, reply) => {
    const text = await metrics.scrape()
    return reply.type(metrics.contentType).send(text)
  })
}
