import type { ColumnType, Generated, Kysely, Selectable } from 'kysely'
import { AppError } from '../../errors.js'
import type { Database } from '../../plugins/db/tables.js'

/**
 * Kysely's view of `contacts` (migration 0016). The CRM owns the routes; billing, leasing
 * and appointments refer to contacts by id as their customers, lessees and patients, and
 * check them with `findContact` so another organization's contact is never reachable.
 */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
type NullableText = ColumnType<string | null, string | null | undefined, string | null>

export type ContactKind = 'customer' | 'lead' | 'supplier' | 'staff'

export interface ContactsTable {
  id: Generated<string>
  org_id: string
  kind: ContactKind
  name: string
  company: NullableText
  email: NullableText
  phone: NullableText
  tax_id: NullableText
  vertical: NullableText
  city: NullableText
  country: NullableText
  annual_revenue_minor: ColumnType<number | null, number | null | undefined, number | null>
  revenue_currency: NullableText
  linked_org_id: NullableText
  owner_user_id: NullableText
  source: NullableText
  tags: ColumnType<string[], string | undefined, string>
  notes: NullableText
  score: Generated<number>
  last_interaction_at: NullableTimestamp
  created_at: CreatedAt
  updated_at: UpdatedAt
  archived_at: NullableTimestamp
}

export type ContactTables = { contacts: ContactsTable }
export type ContactRow = Selectable<ContactsTable>
export const contactsDb = (db: Kysely<Database>): Kysely<Database & ContactTables> => db.withTables<ContactTables>()

export const contactNotFound = (): AppError => new AppError('CONTACT_NOT_FOUND', 404, 'Contact not found')

/** The organization's contact, or CONTACT_NOT_FOUND (also for another organization's id). */
export async function findContact(db: Kysely<Database>, orgId: string, contactId: string): Promise<ContactRow> {
  if (!/^[0-9a-f-]{36}$/i.test(contactId)) throw contactNotFound()
  const row = await contactsDb(db).selectFrom('contacts').selectAll().where('org_id', '=', orgId).where('id', '=', contactId).executeTakeFirst()
  if (!row) throw contactNotFound()
  return row
}
