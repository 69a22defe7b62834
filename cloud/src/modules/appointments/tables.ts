import type { ColumnType, Generated, Kysely, Selectable } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import type { ContactTables } from '../common/contacts.js'
import type { MailTables } from '../mail/tables.js'

/** Kysely's view of migration 0020, kept in this module. */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>
type Timestamp = ColumnType<Date, Date | string, Date | string>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
type NullableText = ColumnType<string | null, string | null | undefined, string | null>
type NullableInt = ColumnType<number | null, number | null | undefined, number | null>
type JsonArray = ColumnType<string[], string | undefined, string>

export type BookingStatus = 'pending' | 'confirmed' | 'completed' | 'cancelled' | 'no_show'
export type BookingSource = 'staff' | 'public' | 'waitlist'
export type WaitlistStatus = 'waiting' | 'offered' | 'booked' | 'cancelled'

/** The statuses whose blocked span nobody else may overlap (the exclusion constraint's WHERE). */
export const ACTIVE_STATUSES: readonly BookingStatus[] = ['pending', 'confirmed', 'completed']

export interface ApptServicesTable {
  id: Generated<string>
  org_id: string
  name: string
  description: NullableText
  duration_min: number
  buffer_before_min: Generated<number>
  buffer_after_min: Generated<number>
  price_minor: Generated<number>
  currency: string
  archived_at: NullableTimestamp
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface ApptProfessionalsTable {
  id: Generated<string>
  org_id: string
  name: string
  specialty: NullableText
  email: NullableText
  time_zone: string
  site_id: NullableText
  user_id: NullableText
  ics_token_hash: NullableText
  archived_at: NullableTimestamp
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface ApptServiceProfessionalsTable {
  service_id: string
  professional_id: string
  org_id: string
}

export interface ApptWeeklyHoursTable {
  id: Generated<string>
  org_id: string
  professional_id: string
  weekday: number
  start_min: number
  end_min: number
}

export interface ApptExceptionsTable {
  id: Generated<string>
  org_id: string
  professional_id: string
  /** A local date, YYYY-MM-DD (read back as text, see repository). */
  date: ColumnType<string, string, string>
  kind: 'off' | 'extra'
  start_min: NullableInt
  end_min: NullableInt
  note: NullableText
  created_at: CreatedAt
}

export interface ApptBookingsTable {
  id: Generated<string>
  org_id: string
  professional_id: string
  service_id: string
  contact_id: string
  starts_at: Timestamp
  ends_at: Timestamp
  blocked_from: Timestamp
  blocked_to: Timestamp
  status: BookingStatus
  source: BookingSource
  staff_approval: Generated<boolean>
  price_minor: number
  currency: string
  notes: NullableText
  link_key: string
  revision: Generated<number>
  confirmed_at: NullableTimestamp
  cancelled_at: NullableTimestamp
  cancel_reason: NullableText
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface ApptWaitlistTable {
  id: Generated<string>
  org_id: string
  service_id: string
  professional_id: NullableText
  contact_id: string
  from_at: Timestamp
  to_at: Timestamp
  status: Generated<WaitlistStatus>
  offer_professional_id: NullableText
  offer_starts_at: NullableTimestamp
  offer_expires_at: NullableTimestamp
  offer_token_hash: NullableText
  booking_id: NullableText
  created_at: CreatedAt
}

export interface ApptBookingPagesTable {
  id: Generated<string>
  org_id: string
  slug: string
  title: string
  service_ids: JsonArray
  professional_ids: JsonArray
  require_confirmation: Generated<boolean>
  no_show_limit: Generated<number>
  min_notice_min: Generated<number>
  max_days_ahead: Generated<number>
  active: Generated<boolean>
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export type AppointmentTables = {
  appt_services: ApptServicesTable
  appt_professionals: ApptProfessionalsTable
  appt_service_professionals: ApptServiceProfessionalsTable
  appt_weekly_hours: ApptWeeklyHoursTable
  appt_exceptions: ApptExceptionsTable
  appt_bookings: ApptBookingsTable
  appt_waitlist: ApptWaitlistTable
  appt_booking_pages: ApptBookingPagesTable
}

export type ServiceRow = Selectable<ApptServicesTable>
export type ProfessionalRow = Selectable<ApptProfessionalsTable>
export type WeeklyHoursRow = Selectable<ApptWeeklyHoursTable>
export type ExceptionRow = Selectable<ApptExceptionsTable>
export type BookingRow = Selectable<ApptBookingsTable>
export type WaitlistRow = Selectable<ApptWaitlistTable>
export type BookingPageRow = Selectable<ApptBookingPagesTable>

export type ApptDb = Kysely<Database & AppointmentTables & ContactTables & MailTables>
export const apptDb = (db: Kysely<Database>): ApptDb => db.withTables<AppointmentTables & ContactTables & MailTables>()
