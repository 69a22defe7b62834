import Type, { type TSchema } from 'typebox'
import { AppError } from '../../errors.js'

/**
 * One pagination shape for every list route (issue 6, API quality): `?limit=&cursor=`
 * in, `{ items, nextCursor }` out. A cursor is opaque to clients: the position after the
 * last item of a page in the list's sort order, base64url JSON. Keyset, not offset, so a
 * page is stable while rows are added and a deep page costs what the first does.
 */

export const DEFAULT_LIMIT = 50
export const MAX_LIMIT = 500

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: `Items per page, 1-${MAX_LIMIT}` })),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'nextCursor of the previous page' })),
}

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    /** Null on the last page. */
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  })

export interface PageOf<T> {
  items: T[]
  nextCursor: string | null
}

export const badCursor = (): AppError => new AppError('PAGINATION_BAD_CURSOR', 400, 'cursor is not one this list handed out')

export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url')
}

/** Decodes a cursor; `check` says whether the position has the shape this list uses. */
export function decodeCursor<P>(cursor: string | undefined, check: (value: unknown) => value is P): P | undefined {
  if (cursor === undefined) return undefined
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw badCursor()
  }
  if (!check(value)) throw badCursor()
  return value
}

/**
 * Builds a page from `limit + 1` rows fetched in sort order: the extra row only says
 * whether there is a next page; `position` turns the last item into its cursor.
 */
export function pageOf<Row, Item>(rows: Row[], limit: number, toItem: (row: Row) => Item, position: (row: Row) => unknown): PageOf<Item> {
  const more = rows.length > limit
  const kept = more ? rows.slice(0, limit) : rows
  return { items: kept.map(toItem), nextCursor: more ? encodeCursor(position(kept[kept.length - 1]!)) : null }
}

/** `sort=field` ascending, `sort=-field` descending, among the fields a list allows. */
export function parseSort<F extends string>(sort: string | undefined, allowed: readonly F[], fallback: `${'' | '-'}${F}`): { field: F; desc: boolean } {
  const spec = sort ?? fallback
  const desc = spec.startsWith('-')
  const field = (desc ? spec.slice(1) : spec) as F
  if (!allowed.includes(field)) throw new AppError('VALIDATION', 400, `sort must be one of ${allowed.flatMap((f) => [f, `-${f}`]).join(', ')}`)
  return { field, desc }
}
