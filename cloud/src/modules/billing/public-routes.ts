import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { ErrorReply } from '../../errors.js'
import { badPayload } from './gateway/types.js'
import { receive } from './gateway/service.js'

/**
 * The payment providers' webhook receiver: public (the provider has no user), one URL per
 * gateway account of an organization. Stripe signs the exact bytes, so this plugin (and
 * only it) keeps JSON bodies as raw text and parses them itself. Rate-limited per client
 * address like every public route.
 */
declare module 'fastify' {
  interface FastifyRequest {
    rawBillingBody?: string
  }
}

const publicRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (request, body, done) => {
    const raw = String(body)
    request.rawBillingBody = raw
    try {
      done(null, raw.length ? JSON.parse(raw) : null)
    } catch {
      done(badPayload('the body is not JSON'), undefined)
    }
  })

  app.post(
    '/public/payments/:provider/:accountId',
    {
      config: { public: true },
      schema: {
        tags: ['billing'],
        description:
          'Webhook receiver of a payment gateway account (provider mercadopago or stripe). Verifies the signature as the provider ' +
          'makes it (Stripe-Signature t/v1 over the raw body; Mercado Pago x-signature ts/v1 over id;request-id;ts), 5-minute tolerance. ' +
          'A verified event is recorded once (a replay answers duplicate: true) and a settled payment is booked and allocated to the ' +
          'invoice named in its metadata.invoice_id / external_reference. Unknown account 404; bad signature 401; stale or malformed 400.',
        params: Type.Object({ provider: Type.String({ maxLength: 20 }), accountId: Type.String({ maxLength: 64 }) }),
        response: {
          200: Type.Object({ received: Type.Literal(true), duplicate: Type.Boolean(), outcome: Type.String(), paymentId: Type.Union([Type.String(), Type.Null()]) }),
          400: ErrorReply,
          401: ErrorReply,
          404: ErrorReply,
          415: ErrorReply,
        },
      },
    },
    async (request) =>
      receive(
        app.db,
        request.params.provider,
        request.params.accountId,
        {
          headers: request.headers,
          rawBody: request.rawBillingBody ?? '',
          body: request.body,
          query: request.query as Record<string, string | undefined>,
        },
        new Date(),
      ),
  )
}

export default publicRoutes
