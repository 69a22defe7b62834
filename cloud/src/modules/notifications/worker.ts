import type { FastifyBaseLogger } from 'fastify'
import { DeliveryError, type DeliveryResult, type NotificationChannel } from './channels.js'
import { fanOut } from './outbox.js'
import type { PersonChannel } from './preferences.js'
import type { DeliveryRow, NotificationsDb } from './tables.js'
import { deliverWebhook } from './webhooks.js'

/**
 * Delivers what the outbox fanned out, with retries. Each tick: fan out pending outbox
 * rows, then claim due deliveries (FOR UPDATE SKIP LOCKED, so several cloud instances
 * share the work without sending twice), send them, and record the result. A claim pushes
 * `next_attempt_at` a lease ahead and counts the attempt first: a process that dies
 * mid-send retries after the lease instead of losing the delivery.
 */

export interface WorkerOptions {
  /** How often to look for work. */
  pollMs: number
  /** First retry delay; each later one doubles, up to retryMaxMs, then jitter (50-100 %). */
  retryBaseMs: number
  retryMaxMs: number
  /** Attempts before a delivery is marked failed. */
  maxAttempts: number
  /** How long a claimed delivery is someone's before it is retried as abandoned. */
  leaseMs: number
  batch: number
  random: () => number
  /** Delivered or failed notifications older than this leave the log (with their outbox row). */
  retentionMs: number
  /** How often to look for such rows. */
  pruneEveryMs: number
  /** WEBHOOK_ALLOW_PRIVATE: webhooks may reach internal addresses (url-guard.ts); off, such a delivery fails for good. */
  allowPrivateWebhooks: boolean
}

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  pollMs: 1000,
  retryBaseMs: 30_000,
  retryMaxMs: 60 * 60_000,
  // 30 s doubling to the 1 h cap: about 10 hours of trying.
  maxAttempts: 15,
  leaseMs: 60_000,
  batch: 50,
  random: Math.random,
  retentionMs: 30 * 24 * 60 * 60_000,
  pruneEveryMs: 60 * 60_000,
  allowPrivateWebhooks: false,
}

/** Jittered exponential backoff after `attempt` failures (1-based). */
export function retryDelay(attempt: number, opts: Pick<WorkerOptions, 'retryBaseMs' | 'retryMaxMs' | 'random'>): number {
  const exp = Math.min(opts.retryMaxMs, opts.retryBaseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(exp * (0.5 + opts.random() * 0.5))
}

export class DeliveryWorker {
  private opts: WorkerOptions
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private stopped = true
  private lastPrune = 0

  constructor(
    private readonly db: NotificationsDb,
    private readonly channels: Partial<Record<PersonChannel, NotificationChannel>>,
    private readonly log: FastifyBaseLogger,
    options: Partial<WorkerOptions> = {},
  ) {
    this.opts = { ...DEFAULT_WORKER_OPTIONS, ...options }
  }

  /** Changes timing (tests use a few milliseconds); takes effect from the next tick. */
  configure(options: Partial<WorkerOptions>): void {
    this.opts = { ...this.opts, ...options }
    // A wait already scheduled with the old interval is cut short.
    if (this.timer !== undefined && this.running === undefined) {
      clearTimeout(this.timer)
      this.schedule()
    }
  }

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.schedule()
  }

  /** Stops polling and waits for the tick in progress, so the database can close after. */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    this.timer = undefined
    await this.running
  }

  private schedule(): void {
    if (this.stopped) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.running = this.tick()
        .then(() => undefined)
        .catch((err: unknown) => this.log.error({ err }, 'notifications: worker tick failed'))
        .finally(() => {
          this.running = undefined
          this.schedule()
        })
    }, this.opts.pollMs)
  }

  /** One round of work; returns how many deliveries it attempted. */
  async tick(now = Date.now()): Promise<number> {
    const available = new Set(Object.keys(this.channels) as PersonChannel[])
    // A burst of alarms is fanned out a batch at a time, a bounded number per tick.
    for (let i = 0; i < 10; i++) {
      if ((await fanOut(this.db, { now, available, maxAttempts: this.opts.maxAttempts, batch: this.opts.batch })) < this.opts.batch) break
    }
    const claimed = await this.claimDue(now)
    await Promise.all(claimed.map((d) => this.attempt(d, now)))
    if (now - this.lastPrune >= this.opts.pruneEveryMs) {
      this.lastPrune = now
      await this.prune(now)
    }
    return claimed.length
  }

  /**
   * Drops outbox rows fanned out before the retention window whose deliveries are all
   * settled; their deliveries go with them (on delete cascade). Returns rows dropped.
   */
  async prune(now = Date.now()): Promise<number> {
    const result = await this.db
      .deleteFrom('notification_outbox')
      .where('fanned_out_at', '<', new Date(now - this.opts.retentionMs))
      .where((eb) => eb.not(eb.exists(eb.selectFrom('notification_deliveries').select('id')
        .whereRef('notification_deliveries.outbox_id', '=', 'notification_outbox.id')
        .where('notification_deliveries.status', '=', 'pending'))))
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  }

  private async claimDue(now: number): Promise<DeliveryRow[]> {
    return this.db.transaction().execute(async (trx) => {
      const due = await trx
        .selectFrom('notification_deliveries')
        .select('id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', new Date(now))
        .orderBy('next_attempt_at')
        .limit(this.opts.batch)
        .forUpdate()
        .skipLocked()
        .execute()
      if (due.length === 0) return []
      return trx
        .updateTable('notification_deliveries')
        .set((eb) => ({
          attempts: eb('attempts', '+', 1),
          next_attempt_at: new Date(now + this.opts.leaseMs),
          updated_at: new Date(now),
        }))
        .where('id', 'in', due.map((d) => d.id))
        .returningAll()
        .execute()
    })
  }

  private async attempt(delivery: DeliveryRow, now: number): Promise<void> {
    let result: DeliveryResult
    try {
      result = await this.send(delivery)
    } catch (err) {
      const error = err instanceof DeliveryError ? err : new DeliveryError(err instanceof Error ? err.message : String(err))
      await this.recordFailure(delivery, error, now)
      return
    }
    await this.db
      .updateTable('notification_deliveries')
      .set({ status: 'delivered', delivered_at: new Date(), updated_at: new Date(), next_attempt_at: null,
        last_status_code: result.statusCode ?? null, last_error: null })
      .where('id', '=', delivery.id)
      .execute()
  }

  private async send(delivery: DeliveryRow): Promise<DeliveryResult> {
    if (delivery.channel === 'webhook') {
      const hook = delivery.webhook_id
        ? await this.db.selectFrom('webhooks').select(['url', 'secret', 'enabled']).where('id', '=', delivery.webhook_id).executeTakeFirst()
        : undefined
      if (!hook || !hook.enabled) throw new DeliveryError('webhook disabled or deleted', undefined, false)
      // Signed with the real clock, whatever `now` the tick was given: the receiver checks it.
      // The target is vetted again and the connection pinned to it (DNS rebinding).
      return deliverWebhook(hook.url, hook.secret, delivery.body, {
        'Tendero-Event': delivery.event_type,
        'Tendero-Delivery': String(delivery.id),
      }, { allowPrivate: this.opts.allowPrivateWebhooks })
    }
    const channel = this.channels[delivery.channel]
    if (!channel) throw new DeliveryError(`channel ${delivery.channel} is not configured`, undefined, false)
    return channel.send(delivery.recipient, { subject: delivery.subject, text: delivery.body })
  }

  private async recordFailure(delivery: DeliveryRow, error: DeliveryError, now: number): Promise<void> {
    const giveUp = !error.retryable || delivery.attempts >= delivery.max_attempts
    const next = giveUp ? null : new Date(now + retryDelay(delivery.attempts, this.opts))
    if (giveUp) this.log.warn({ deliveryId: delivery.id, channel: delivery.channel, attempts: delivery.attempts, err: error.message }, 'notifications: delivery failed for good')
    await this.db
      .updateTable('notification_deliveries')
      .set({ status: giveUp ? 'failed' : 'pending', next_attempt_at: next, updated_at: new Date(),
        last_status_code: error.statusCode ?? null, last_error: error.message.slice(0, 500) })
      .where('id', '=', delivery.id)
      .execute()
  }
}
