import type { ColumnType, Generated, Kysely, Selectable } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import type { NotificationPrefs } from './preferences.js'

/** Kysely's view of migration 0008, kept in this module (the shared tables.ts is not ours). */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
type Json<T> = ColumnType<T, string, string>
/** bigserial: a number out (database.ts parses int8), nothing in. */
type Serial = ColumnType<number, never, never>

export interface NotificationPreferencesTable {
  user_id: string
  org_id: string
  prefs: Json<NotificationPrefs>
  updated_at: UpdatedAt
}

export interface WebhooksTable {
  id: Generated<string>
  org_id: string
  url: string
  description: Generated<string>
  secret: string
  events: Json<string[]>
  enabled: Generated<boolean>
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface NotificationOutboxTable {
  id: Serial
  org_id: string
  site_id: string | null
  kind: 'alarm' | 'notify'
  payload: Json<unknown>
  created_at: CreatedAt
  fanned_out_at: NullableTimestamp
}

export type DeliveryChannel = 'email' | 'whatsapp' | 'sms' | 'webhook'
export type DeliveryStatus = 'pending' | 'delivered' | 'failed'

export interface NotificationDeliveriesTable {
  id: Serial
  outbox_id: number
  org_id: string
  channel: DeliveryChannel
  user_id: string | null
  webhook_id: string | null
  recipient: string
  event_type: string
  subject: string
  body: string
  status: Generated<DeliveryStatus>
  attempts: Generated<number>
  max_attempts: number
  next_attempt_at: NullableTimestamp
  last_status_code: number | null
  last_error: string | null
  created_at: CreatedAt
  updated_at: UpdatedAt
  delivered_at: NullableTimestamp
}

export type NotificationTables = {
  notification_preferences: NotificationPreferencesTable
  webhooks: WebhooksTable
  notification_outbox: NotificationOutboxTable
  notification_deliveries: NotificationDeliveriesTable
}

export type NotificationsDb = Kysely<Database & NotificationTables>

/** The app's Kysely, seeing this module's tables too (same connection, same transaction). */
export const withNotificationTables = (db: Kysely<Database>): NotificationsDb => db.withTables<NotificationTables>()

export type WebhookRow = Selectable<WebhooksTable>
export type DeliveryRow = Selectable<NotificationDeliveriesTable>
export type OutboxRow = Selectable<NotificationOutboxTable>
