import { AppError } from '../../errors.js'

export const webhookNotFound = (): AppError => new AppError('WEBHOOK_NOT_FOUND', 404, 'Webhook not found')
export const badTimeZone = (zone: string): AppError =>
  new AppError('NOTIFICATIONS_BAD_TIME_ZONE', 400, `timeZone: unknown IANA time zone "${zone}"`)
export const badWebhookUrl = (detail: string): AppError => new AppError('WEBHOOK_BAD_URL', 400, `url: ${detail}`)
/** A webhook URL whose host is (or resolves to) an internal address: see url-guard.ts. */
export const webhookUrlForbidden = (detail: string): AppError =>
  new AppError('WEBHOOK_URL_FORBIDDEN', 400, `url: ${detail}; webhooks reach public addresses only`)
