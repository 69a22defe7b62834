import { apiRequest } from './client.js'
import type { LoginResponse } from './types.js'

export function login(email: string, password: string): Promise<LoginResponse> {
  return apiRequest<LoginResponse>('/api/auth/login', { method: 'POST', body: { email, password } })
}

export function refresh(refreshToken: string): Promise<LoginResponse> {
  return apiRequest<LoginResponse>('/api/auth/refresh', { method: 'POST', body: { refreshToken }, anonymous: true })
}
