import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import Type from 'typebox'
import type { Logger } from 'pino'
import { isGatewayError } from '../errors.js'

export const Health = Type.Object({
  status: Type.Literal('ok'),
  gatewayId: Type.String(),
  bootId: Type.String(),
  mqtt: Type.Object({ port: Type.Integer(), clients: Type.Integer() }),
  log: Type.Object({ lastSeq: Type.Integer() }),
  uplink: Type.Object({
    ackedSeq: Type.Integer(),
    lag: Type.Integer(),
    lastError: Type.Union([Type.String(), Type.Null()]),
    lastSuccessAt: Type.Union([Type.Integer(), Type.Null()]),
  }),
  /** Messages refused per device since this boot. */
  rejected: Type.Record(Type.String(), Type.Integer()),
  /** The same, per device and reason (`acl`, `rate_limited`, `bad_json`, ...; broker/rejections.ts). */
  rejectedByReason: Type.Record(Type.String(), Type.Record(Type.String(), Type.Integer())),
  /** Connections refused at CONNACK since this boot, by reason. */
  connectRefused: Type.Record(Type.String(), Type.Integer()),
})
export type Health = Type.Static<typeof Health>

export interface LocalApiOptions {
  logger: Logger
  health: () => Health
}

/**
 * The technician's local API. Built without listening, Fastify-demo style, so tests can
 * use `inject()`; the gateway decides when it listens.
 */
export function buildLocalApi(opts: LocalApiOptions): FastifyInstance {
  const app: FastifyInstance = Fastify({ loggerInstance: opts.logger.child({ component: 'api' }) as FastifyBaseLogger })
  app.setErrorHandler((err, _req, reply) => {
    if (isGatewayError(err)) return reply.status(400).send({ error: { code: err.code, message: err.message } })
    const status = (err as { statusCode?: number }).statusCode ?? 500
    // 5xx details stay in the log, not in the answer.
    if (status >= 500) app.log.error({ err }, 'local api error')
    return reply.status(status).send({ error: { code: 'API_ERR', message: status >= 500 ? 'internal error' : (err as Error).message } })
  })
  app.get('/health', { schema: { response: { 200: Health } } }, async () => opts.health())
  return app
}
