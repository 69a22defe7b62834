import { apiRequest } from './client.js'
import type { LoginResponse } from './types.js'

export function login(email: string, password: string): Promise<LoginResponse> {
  return apiRequest<LoginResponse>('/api/auth/login', { method: 'POST', body: { email, password } })
}
