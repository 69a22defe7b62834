import { hash, verify } from '@node-rs/argon2'

/** Argon2id with the library's defaults (OWASP's minimum: 19 MiB, 2 passes). */
export function hashPassword(password: string): Promise<string> {
  return hash(password)
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password)
  } catch {
    // A corrupt stored hash is a failed login, not a 500.
    return false
  }
}
