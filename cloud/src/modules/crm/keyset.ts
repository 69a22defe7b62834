import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely'
import { decodeCursor } from '../common/pagination.js'
import { UUID_RE } from './errors.js'

/**
 * Keyset positions for the CRM's lists: `[sort, value, id]`, where `sort` is the sort the
 * page was made under (a cursor from another sort is refused), `value` the sort key of the
 * last item (epoch ms for times, truncated to the millisecond in SQL as the cursor is, so
 * rows stamped within one millisecond are neither skipped nor repeated) and `id` the tie-break.
 */
export type Position = [sort: string, value: string | number, id: string]

export function decodePosition(cursor: string | undefined, sort: string, valueType: 'string' | 'number'): Position | undefined {
  return decodeCursor(cursor, (v): v is Position =>
    Array.isArray(v) && v.length === 3 && v[0] === sort && typeof v[1] === valueType && (valueType === 'string' || Number.isSafeInteger(v[1])) &&
    typeof v[2] === 'string' && UUID_RE.test(v[2]),
  )
}

/** Milliseconds of a timestamptz column, as the cursor carries them. */
export const msOf = (column: string): RawBuilder<Date> => sql<Date>`date_trunc('milliseconds', ${sql.ref(column)})`

/** `(key, id) > / < (value, id)` for the list's direction; `key` an expression, `cast` its SQL type. */
export function after(key: Expression<unknown>, idColumn: string, position: Position, desc: boolean, cast: 'timestamptz' | 'text' | 'integer' | 'bigint'): RawBuilder<SqlBool> {
  const value = cast === 'timestamptz' ? new Date(position[1] as number) : position[1]
  const op = sql.raw(desc ? '<' : '>')
  return sql<SqlBool>`(${key}, ${sql.ref(idColumn)}) ${op} (${value}::${sql.raw(cast)}, ${position[2]}::uuid)`
}
