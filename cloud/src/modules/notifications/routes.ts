import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { ErrorReply } from '../../errors.js'
import {
  DeliveryList,
  DeliveryListQuery,
  NotificationPrefs,
  Webhook,
  WebhookCreate,
  WebhookList,
  WebhookListQuery,
  WebhookParams,
  WebhookUpdate,
  WebhookWithSecret,
} from './schema.js'
import * as service from './service.js'

const me = { tags: ['notifications'], security: [{ user: [] }] }
const hooks = { tags: ['webhooks'], security: [{ user: [] }] }
const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply }
const notFound = { ...errors, 404: ErrorReply }

const SIGNING =
  'Each delivery is a JSON POST signed with the webhook secret: header `Tendero-Signature: t=<unix s>,v1=<hex>`, ' +
  'HMAC-SHA256 over `${t}.${rawBody}`. Refuse it when t is more than 5 minutes from your clock. ' +
  'Failed deliveries (network error or non-2xx) are retried with jittered exponential backoff.'

export interface NotificationRoutesOptions {
  /** WEBHOOK_ALLOW_PRIVATE: webhooks may target internal addresses (tests, demos). */
  allowPrivateWebhooks?: boolean
}

const TARGETS =
  'The URL must be http(s) and reach a public address: a host that is or resolves to a loopback, private, link-local ' +
  '(cloud metadata), carrier-grade NAT, unique-local or multicast address is refused with 400 WEBHOOK_URL_FORBIDDEN, ' +
  'and checked again at every delivery (a refused delivery fails with that reason in the delivery log).'

const notificationRoutes: FastifyPluginAsyncTypebox<NotificationRoutesOptions> = async (app, opts) => {
  app.addHook('preHandler', app.authenticate)
  const policy: service.WebhookPolicy = { allowPrivate: opts.allowPrivateWebhooks === true }

  app.get(
    '/me/notification-preferences',
    {
      config: { permission: 'notifications.self' },
      schema: { ...me, description: 'Your channels per alarm severity, phone, time zone and quiet hours (defaults until saved).',
        response: { 200: NotificationPrefs, 401: ErrorReply, 403: ErrorReply } },
    },
    (request) => service.getPrefs(app.db, request.user.id),
  )

  app.put(
    '/me/notification-preferences',
    {
      config: { permission: 'notifications.self' },
      schema: { ...me, body: NotificationPrefs, response: { 200: NotificationPrefs, ...errors } },
    },
    (request) => service.putPrefs(app.db, request, request.body),
  )

  app.get(
    '/webhooks',
    {
      config: { permission: 'notifications.manage' },
      schema: { ...hooks, querystring: WebhookListQuery, response: { 200: WebhookList, ...errors } },
    },
    (request) => service.listWebhooks(app.db, request.user.orgId, request.query),
  )

  app.post(
    '/webhooks',
    {
      config: { permission: 'notifications.manage' },
      schema: { ...hooks, description: `Creates a webhook; the answer carries its secret, shown only this once. ${SIGNING} ${TARGETS}`,
        body: WebhookCreate, response: { 201: WebhookWithSecret, ...errors } },
    },
    async (request, reply) => reply.code(201).send(await service.createWebhook(app.db, request, request.body, policy)),
  )

  app.get(
    '/webhooks/:webhookId',
    {
      config: { permission: 'notifications.manage' },
      schema: { ...hooks, params: WebhookParams, response: { 200: Webhook, ...notFound } },
    },
    (request) => service.getWebhook(app.db, request.user.orgId, request.params.webhookId),
  )

  app.patch(
    '/webhooks/:webhookId',
    {
      config: { permission: 'notifications.manage' },
      schema: { ...hooks, params: WebhookParams, body: WebhookUpdate, response: { 200: Webhook, ...notFound } },
    },
    (request) => service.updateWebhook(app.db, request, request.params.webhookId, request.body, policy),
  )

  app.post(
    '/webhooks/:webhookId/rotate-secret',
    {
      config: { permission: 'notifications.manage' },
      schema: { ...hooks, description: 'A new secret, shown only this once; the old one stops signing at once.',
        params: WebhookParams, response: { 200: WebhookWithSecret, ...notFound } },
    },
    (request) => service.rotateWebhookSecret(app.db, request, request.params.webhookId),
  )

  app.delete(
    '/webhooks/:webhookId',
    {
      config: { permission: 'notifications.manage' },
      schema: { ...hooks, params: WebhookParams, response: { 204: Type.Null(), ...notFound } },
    },
    async (request, reply) => {
      await service.deleteWebhook(app.db, request, request.params.webhookId)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/webhooks/:webhookId/deliveries',
    {
      config: { permission: 'notifications.manage' },
      schema: { ...hooks, description: 'The webhook\'s delivery log, newest first: attempts, status, response code, error, next attempt.',
        params: WebhookParams, querystring: DeliveryListQuery, response: { 200: DeliveryList, ...notFound } },
    },
    (request) => service.webhookDeliveries(app.db, request.user.orgId, request.params.webhookId, request.query),
  )

  app.get(
    '/notifications/deliveries',
    {
      config: { permission: 'notifications.manage' },
      schema: { ...me, description: 'Every delivery of the organization (email, WhatsApp, SMS, webhooks), newest first.',
        querystring: DeliveryListQuery, response: { 200: DeliveryList, ...errors } },
    },
    (request) => service.orgDeliveries(app.db, request.user.orgId, request.query),
  )
}

export default notificationRoutes
