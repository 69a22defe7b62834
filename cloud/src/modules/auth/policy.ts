import { AppError } from '../../errors.js'
import type { Db } from '../../plugins/db/database.js'
import type { UserRow } from '../../plugins/db/tables.js'

/**
 * Who must log in with TOTP (issue 6). Tendero's own staff (platform_admin) always, unless
 * the deployment says PLATFORM_ADMIN_TOTP=optional (then their organization's setting
 * decides, as for anyone); an organization's admins when that organization requires it
 * (`organizations.require_admin_totp`, on for new organizations). Everyone else may turn
 * it on for themselves. An admin who must but has not enrolled yet gets a session that
 * can only enrol (plugins/auth.ts); nobody is locked out by the policy.
 */
export type PlatformAdminTotp = 'required' | 'optional'

export const totpEnrollmentRequired = (): AppError =>
  new AppError('AUTH_TOTP_ENROLLMENT_REQUIRED', 403, 'Your organization requires admins to use two-factor login: set it up (POST /api/auth/totp/setup, then /enable) and log in again')

export const totpRequiredByPolicy = (): AppError =>
  new AppError('AUTH_TOTP_REQUIRED_BY_POLICY', 409, 'Admins of your organization must keep two-factor login on')

/** Whether this user's role and organization make TOTP mandatory for them. */
export async function mustUseTotp(db: Db, user: Pick<UserRow, 'role' | 'org_id'>, platformAdmins: PlatformAdminTotp): Promise<boolean> {
  if (user.role === 'platform_admin' && platformAdmins === 'required') return true
  if (user.role !== 'platform_admin' && user.role !== 'org_admin') return false
  const org = await db.selectFrom('organizations').select('require_admin_totp').where('id', '=', user.org_id).executeTakeFirst()
  // An organization that cannot be read is not a reason to relax the rule.
  return org?.require_admin_totp ?? true
}

/** Must use TOTP and has not turned it on yet: the session may only enrol. */
export async function needsTotpEnrollment(
  db: Db,
  user: Pick<UserRow, 'role' | 'org_id' | 'totp_enabled' | 'totp_secret'>,
  platformAdmins: PlatformAdminTotp,
): Promise<boolean> {
  // Login asks for a code only when both are set; anything less is not enrolled.
  const enrolled = user.totp_enabled && user.totp_secret !== null
  return !enrolled && (await mustUseTotp(db, user, platformAdmins))
}
