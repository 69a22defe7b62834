import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { login as requestLogin, refresh as requestRefresh, type SessionResponse } from '../api/auth.js'
import type { User } from '../api/types.js'

const STORAGE_KEY = 'tendero.session'

interface PersistedSession {
  token: string
  refreshToken?: string
  user: User
  /** Only present (true) while the session may do nothing but set up two-factor login. */
  totpEnrollmentRequired?: true
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
  /** An admin who must set up two-factor login first: the router keeps them on that screen. */
  const totpEnrollmentRequired = ref(persisted?.totpEnrollmentRequired === true)
  /** Set when two-factor login was just turned on: the login form then asks for the code. */
  const totpJustEnabled = ref(false)

  function adopt(result: SessionResponse): void {
    token.value = result.token
    refreshToken.value = result.refreshToken ?? null
    user.value = result.user
    totpEnrollmentRequired.value = result.totpEnrollmentRequired === true
    writePersisted({
      token: result.token,
      refreshToken: result.refreshToken,
      user: result.user,
      ...(result.totpEnrollmentRequired ? { totpEnrollmentRequired: true as const } : {}),
    })
  }

  /**
   * Throws the ApiError (e.g. code AUTH_INVALID_CREDENTIALS, or AUTH_TOTP_REQUIRED when the
   * account needs the authenticator's code) so the form can show it.
   */
  async function login(email: string, password: string, totpCode?: string): Promise<User> {
    const result = await requestLogin(email.trim(), password, totpCode?.trim() || undefined)
    adopt(result)
    totpJustEnabled.value = false
    return result.user
  }

  /** A new access token from the refresh token; false (and nothing changed) when that fails. */
  async function refresh(): Promise<boolean> {
    if (!refreshToken.value) return false
    try {
      // The cloud re-checks the two-factor policy here: an admin may come back restricted.
      adopt(await requestRefresh(refreshToken.value))
      return true
    } catch {
      return false
    }
  }

  function logout(): void {
    token.value = null
    refreshToken.value = null
    user.value = null
    totpEnrollmentRequired.value = false
    writePersisted(null)
  }

  /** Two-factor login is on now; the cloud closed this login, so log in again with a code. */
  function totpEnabled(): void {
    logout()
    totpJustEnabled.value = true
  }

  return { token, user, isAuthenticated, totpEnrollmentRequired, totpJustEnabled, login, logout, refresh, totpEnabled }
})
