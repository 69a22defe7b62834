import fp from 'fastify-plugin'
import { EmailChannel, smsChannel, whatsAppChannel, type HttpProvider, type NotificationChannel } from './channels.js'
import { enqueue, outboxEvents } from './outbox.js'
import type { PersonChannel } from './preferences.js'
import { withNotificationTables } from './tables.js'
import { DeliveryWorker, type WorkerOptions } from './worker.js'

export interface NotificationsOptions {
  /** SMTP_URL / SMTP_FROM; without it, email is off. */
  smtp?: { url: string; from: string } | undefined
  whatsapp?: HttpProvider | undefined
  sms?: HttpProvider | undefined
  worker?: Partial<WorkerOptions>
}

export interface Notifications {
  worker: DeliveryWorker
  channels: Partial<Record<PersonChannel, NotificationChannel>>
}

declare module 'fastify' {
  interface FastifyInstance {
    notifications: Notifications
  }
}

/**
 * Notifications: hooks ingest (alarms raised or escalated, gateway notices go to the
 * outbox in the ingest transaction) and runs the delivery worker from ready to close.
 * Register before the ingest routes, which read `app.ingestHooks` when they register.
 */
export default fp(
  async (app, opts: NotificationsOptions) => {
    const email = opts.smtp ? new EmailChannel(opts.smtp) : undefined
    const channels: Partial<Record<PersonChannel, NotificationChannel>> = {
      ...(email ? { email } : {}),
      ...(opts.whatsapp ? { whatsapp: whatsAppChannel(opts.whatsapp) } : {}),
      ...(opts.sms ? { sms: smsChannel(opts.sms) } : {}),
    }
    const worker = new DeliveryWorker(withNotificationTables(app.db), channels, app.log, opts.worker)
    app.decorate('notifications', { worker, channels })
    app.decorate('ingestHooks', {
      onNotifiable: (trx, found) => enqueue(trx, outboxEvents(found)),
      onHookError: (err) => app.log.error({ err }, 'notifications: outbox not written; the batch was stored without it'),
    })
    app.addHook('onReady', async () => worker.start())
    app.addHook('onClose', async () => {
      await worker.stop()
      email?.close()
    })
  },
  { name: 'notifications', dependencies: ['db'] },
)
