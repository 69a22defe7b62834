import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { login as requestLogin, refresh as requestRefresh } from '../api/auth.js'
import type { User } from '../api/types.js'

const STORAGE_KEY = 'tendero.session'

interface PersistedSession {
  token: string
  refreshToken?: string
  user: User
}

function readPersisted(): PersistedSession | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY)
    if (!raw) return null
    const parsed = JSON.parse(raw) as Partial<PersistedSession>
    return typeof parsed.token === 'string' && parsed.user ? (parsed as PersistedSession) : null
  } catch {
    // Corrupt or unavailable storage (private mode): start logged out.
    return null
  }
}

function writePersisted(session: PersistedSession | null): void {
  try {
    if (session) localStorage.setItem(STORAGE_KEY, JSON.stringify(session))
    else localStorage.removeItem(STORAGE_KEY)
  } catch {
    // Storage full or blocked: the session still lives in memory for this tab.
  }
}

export const useSessionStore = defineStore('session', () => {
  const persisted = readPersisted()
  const token = ref<string | null>(persisted?.token ?? null)
  const refreshToken = ref<string | null>(persisted?.refreshToken ?? null)
  const user = ref<User | null>(persisted?.user ?? null)
  const isAuthenticated = computed(() => token.value !== null)

  /** Throws the ApiError (e.g. code AUTH_INVALID_CREDENTIALS) so the form can show it. */
  async function login(email: string, password: string): Promise<User> {
    const result = await requestLogin(email.trim(), password)
    token.value = result.token
    refreshToken.value = result.refreshToken ?? null
    user.value = result.user
    writePersisted({ token: result.token, refreshToken: result.refreshToken, user: result.user })
    return result.user
  }

  /** A new access token from the refresh token; false (and nothing changed) when that fails. */
  async function refresh(): Promise<boolean> {
    if (!refreshToken.value) return false
    try {
      const result = await requestRefresh(refreshToken.value)
      token.value = result.token
      refreshToken.value = result.refreshToken ?? null
      user.value = result.user
      writePersisted({ token: result.token, refreshToken: result.refreshToken, user: result.user })
      return true
    } catch {
      return false
    }
  }

  function logout(): void {
    token.value = null
    refreshToken.value = null
    user.value = null
    writePersisted(null)
  }

  return { token, user, isAuthenticated, login, logout, refresh }
})
