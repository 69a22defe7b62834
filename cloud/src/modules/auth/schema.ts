import Type from 'typebox'
import { ROLES } from '../identity/permissions.js'

export const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
    /** The authenticator code, for accounts with two-factor login on. */
    totpCode: Type.Optional(Type.String({ pattern: '^[0-9]{6}$' })),
  },
  { additionalProperties: false },
)
export type LoginBody = Type.Static<typeof LoginBody>

export const RoleSchema = Type.Enum([...ROLES])

export const PublicUser = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  orgId: Type.String(),
  locale: Type.String(),
  role: RoleSchema,
  totpEnabled: Type.Boolean(),
})
export type PublicUser = Type.Static<typeof PublicUser>

export const LoginReply = Type.Object({
  /** The access token (same as accessToken; kept for older clients). */
  token: Type.String(),
  accessToken: Type.String(),
  /** Seconds the access token lives; refresh before it ends. */
  expiresIn: Type.Integer(),
  refreshToken: Type.String(),
  user: PublicUser,
  /**
   * Present (true) when the user is an admin who must use two-factor login and has not set
   * it up: this session may only do that (POST /auth/totp/setup, /enable) and read /me;
   * every other route answers 403 AUTH_TOTP_ENROLLMENT_REQUIRED. Then log in again with a code.
   */
  totpEnrollmentRequired: Type.Optional(Type.Literal(true)),
})
export type LoginReply = Type.Static<typeof LoginReply>

export const RefreshBody = Type.Object({ refreshToken: Type.String({ minLength: 20, maxLength: 200 }) }, { additionalProperties: false })
export type RefreshBody = Type.Static<typeof RefreshBody>

export const MeReply = Type.Object({
  user: PublicUser,
  organization: Type.Object({ id: Type.String(), name: Type.String(), kind: Type.String() }),
  permissions: Type.Array(Type.String()),
  /** As in LoginReply: this session may only set up two-factor login. */
  totpEnrollmentRequired: Type.Optional(Type.Literal(true)),
})
export type MeReply = Type.Static<typeof MeReply>

export const TotpSetupReply = Type.Object({ secret: Type.String(), otpauthUri: Type.String() })
export const TotpCodeBody = Type.Object({ code: Type.String({ pattern: '^[0-9]{6}$' }) }, { additionalProperties: false })
export type TotpCodeBody = Type.Static<typeof TotpCodeBody>
