import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../plugins/db/tables.js'
import { badDate } from './errors.js'

/** Runs `fn` in the caller's transaction when given one, else in a new one. */
export function inTx<T>(db: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db)
  return db.transaction().execute((trx: Transaction<Database>) => fn(trx))
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/** A real calendar date in 'YYYY-MM-DD', or a 400 naming the field. */
export function checkDate(value: string, field: string): string {
  const m = DATE.exec(value)
  if (!m) throw badDate(field)
  const d = new Date(`${value}T00:00:00Z`)
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) throw badDate(field)
  return value
}

export const isoDay = (d: Date): string => d.toISOString().slice(0, 10)

/** Whole days from a to b (b - a), both 'YYYY-MM-DD'. */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000)
}

export function addDays(day: string, n: number): string {
  return isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000))
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
