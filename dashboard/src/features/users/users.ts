// The logic of the users view that needs no DOM: form checks, error wording, list merging.
import { ApiError } from '../../api/client.js'
import type { NewUser, OrgRole } from '../../api/users.js'
import { errorMessageKey } from '../../i18n/index.js'

export const ROLE_ORDER = ['org_admin', 'owner', 'operator', 'technician', 'viewer'] as const satisfies readonly OrgRole[]

export type NewUserField = 'name' | 'email' | 'password'
export type FieldProblems<F extends string> = Partial<Record<F, string>>

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The checks the cloud's schema makes, as i18n keys per field, so the form says them first. */
export function checkNewUser(user: Pick<NewUser, 'name' | 'email' | 'password'>): FieldProblems<NewUserField> {
  const problems: FieldProblems<NewUserField> = {}
  if (!user.name.trim()) problems.name = 'users.create.errors.nameRequired'
  if (!EMAIL.test(user.email.trim())) problems.email = 'users.create.errors.emailInvalid'
  if (user.password.length < 10) problems.password = 'users.create.errors.passwordShort'
  return problems
}

export const isUuid = (value: string): boolean => UUID.test(value.trim())

const OWN_CODES = ['USER_EMAIL_TAKEN', 'USER_SELF_LOCKOUT', 'GRANT_SELF', 'GRANT_GRANTEE_NOT_FOUND', 'VALIDATION'] as const

/** i18n key for a failure of this view's requests. */
export function usersErrorKey(err: unknown): string {
  const code = err instanceof ApiError ? err.code : 'UNKNOWN'
  return (OWN_CODES as readonly string[]).includes(code) ? `users.errors.${code}` : errorMessageKey(code)
}

/** Replaces the item with the same id, or puts a new one first. */
export function upsertById<T extends { id: string }>(list: readonly T[], item: T): T[] {
  const at = list.findIndex((x) => x.id === item.id)
  if (at === -1) return [item, ...list]
  const next = [...list]
  next[at] = item
  return next
}

/** Appends a page, skipping items already shown (one created meanwhile may come again). */
export function appendPage<T extends { id: string }>(list: readonly T[], page: readonly T[]): T[] {
  const seen = new Set(list.map((x) => x.id))
  return [...list, ...page.filter((x) => !seen.has(x.id))]
}
