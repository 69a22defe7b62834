import { apiRequest } from './client.js'
import type { LoginResponse } from './types.js'

/** What login and refresh answer, with the cloud's two-factor policy flag. */
export interface SessionResponse extends LoginResponse {
  /**
   * The user is an admin who must use two-factor login and has not set it up: this session
   * may only set it up (every other route answers 403 AUTH_TOTP_ENROLLMENT_REQUIRED).
   */
  totpEnrollmentRequired?: boolean
}

/** `totpCode`: the authenticator's 6 digits, for accounts with two-factor login on. */
export function login(email: string, password: string, totpCode?: string): Promise<SessionResponse> {
  const body = totpCode ? { email, password, totpCode } : { email, password }
  return apiRequest<SessionResponse>('/api/auth/login', { method: 'POST', body })
}

export function refresh(refreshToken: string): Promise<SessionResponse> {
  return apiRequest<SessionResponse>('/api/auth/refresh', { method: 'POST', body: { refreshToken }, anonymous: true })
}

export interface TotpSetup {
  secret: string
  /** The otpauth:// URI authenticator apps read. */
  otpauthUri: string
}

/** A new secret for this account; not in force until enableTotp gets a code from it. */
export function setupTotp(): Promise<TotpSetup> {
  return apiRequest<TotpSetup>('/api/auth/totp/setup', { method: 'POST' })
}

/** Turns two-factor login on; the cloud closes every login of the account. */
export function enableTotp(code: string): Promise<{ totpEnabled: boolean }> {
  return apiRequest<{ totpEnabled: boolean }>('/api/auth/totp/enable', { method: 'POST', body: { code } })
}

export interface Me {
  user: { id: string; email: string; name: string; orgId: string; locale: string; role: string; totpEnabled?: boolean }
  organization: { id: string; name: string; kind: string }
  /** The permissions of the one table (cloud/src/modules/identity/permissions.ts) this session holds. */
  permissions: string[]
  totpEnrollmentRequired?: true
}

export function fetchMe(): Promise<Me> {
  return apiRequest<Me>('/api/me')
}
