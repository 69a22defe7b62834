import Type from 'typebox'

export const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
)
export type LoginBody = Type.Static<typeof LoginBody>

export const PublicUser = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  orgId: Type.String(),
  locale: Type.String(),
})
export type PublicUser = Type.Static<typeof PublicUser>

export const LoginReply = Type.Object({ token: Type.String(), user: PublicUser })

export const MeReply = Type.Object({
  user: PublicUser,
  organization: Type.Object({ id: Type.String(), name: Type.String() }),
})
export type MeReply = Type.Static<typeof MeReply>
