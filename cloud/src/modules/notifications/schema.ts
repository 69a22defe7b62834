import Type from 'typebox'
import { Page, PageQuery } from '../common/pagination.js'
import { WEBHOOK_EVENTS } from './webhooks.js'

export { NotificationPrefs } from './preferences.js'

const EpochMs = Type.Integer({ minimum: 0 })
const NullableEpochMs = Type.Union([EpochMs, Type.Null()])

export const WebhookEvent = Type.Union(WEBHOOK_EVENTS.map((e) => Type.Literal(e)))
const WebhookEvents = Type.Array(WebhookEvent, { minItems: 1, maxItems: WEBHOOK_EVENTS.length, uniqueItems: true })
const Url = Type.String({ minLength: 8, maxLength: 2000, pattern: '^https?://', description: 'http(s) URL the events are POSTed to' })

export const WebhookParams = Type.Object({ webhookId: Type.String({ maxLength: 64 }) })

export const Webhook = Type.Object({
  id: Type.String(),
  url: Type.String(),
  description: Type.String(),
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  createdAt: EpochMs,
  updatedAt: EpochMs,
})
export type Webhook = Type.Static<typeof Webhook>

/** Only in the answer to a create (and a secret rotation): the secret is never shown again. */
export const WebhookWithSecret = Type.Object({
  ...Webhook.properties,
  secret: Type.String({ description: 'HMAC-SHA256 key for Tendero-Signature; shown only now' }),
})

export const WebhookCreate = Type.Object(
  {
    url: Url,
    description: Type.Optional(Type.String({ maxLength: 200 })),
    events: Type.Optional(WebhookEvents),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type WebhookCreate = Type.Static<typeof WebhookCreate>

export const WebhookUpdate = Type.Object(
  {
    url: Type.Optional(Url),
    description: Type.Optional(Type.String({ maxLength: 200 })),
    events: Type.Optional(WebhookEvents),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type WebhookUpdate = Type.Static<typeof WebhookUpdate>

export const WebhookList = Page(Webhook)
export const WebhookListQuery = Type.Object({ ...PageQuery })
export type WebhookListQuery = Type.Static<typeof WebhookListQuery>

const DeliveryStatus = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')])
const DeliveryChannel = Type.Union([Type.Literal('email'), Type.Literal('whatsapp'), Type.Literal('sms'), Type.Literal('webhook')])

export const Delivery = Type.Object({
  id: Type.Integer(),
  channel: DeliveryChannel,
  /** The user it was for (email, WhatsApp, SMS), or the webhook. */
  userId: Type.Union([Type.String(), Type.Null()]),
  webhookId: Type.Union([Type.String(), Type.Null()]),
  recipient: Type.String(),
  eventType: Type.String(),
  subject: Type.String(),
  status: DeliveryStatus,
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  /** When the next attempt is due (pending only): after a failure's backoff, or after quiet hours. */
  nextAttemptAt: NullableEpochMs,
  /** HTTP status or SMTP reply code of the last attempt. */
  responseCode: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  createdAt: EpochMs,
  updatedAt: EpochMs,
  deliveredAt: NullableEpochMs,
})
export type Delivery = Type.Static<typeof Delivery>
export const DeliveryList = Page(Delivery)

export const DeliveryListQuery = Type.Object({
  ...PageQuery,
  status: Type.Optional(DeliveryStatus),
  channel: Type.Optional(DeliveryChannel),
})
export type DeliveryListQuery = Type.Static<typeof DeliveryListQuery>
