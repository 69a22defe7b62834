import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { fetchMe, login as requestLogin, refresh as requestRefresh, type Me, type SessionResponse } from '../api/auth.js'
import type { User } from '../api/types.js'
import { clearApiCache } from '../pwa/index.js'

const STORAGE_KEY = 'tendero.session'

interface PersistedSession {
  token: string
  refreshToken?: string
  user: User
  /** Only present (true) while the session may do nothing but set up two-factor login. */
  totpEnrollmentRequired?: true
  /** From GET /api/me, kept so the navigation is right offline and before /me answers. */
  permissions?: string[]
  organization?: Me['organization']
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
  const permissions = ref<readonly string[]>(persisted?.permissions ?? [])
  const organization = ref<Me['organization'] | null>(persisted?.organization ?? null)
  const role = ref<string | null>(null)

  /** Whether this session holds a permission: for showing actions; the cloud decides anyway. */
  function can(permission: string): boolean {
    return permissions.value.includes(permission)
  }

  function persist(): void {
    if (!token.value || !user.value) return writePersisted(null)
    writePersisted({
      token: token.value,
      ...(refreshToken.value ? { refreshToken: refreshToken.value } : {}),
      user: user.value,
      ...(totpEnrollmentRequired.value ? { totpEnrollmentRequired: true as const } : {}),
      permissions: [...permissions.value],
      ...(organization.value ? { organization: organization.value } : {}),
    })
  }

  /** Reads who this session is and what it may do; a failure keeps what was known. */
  async function loadMe(): Promise<void> {
    if (!token.value) return
    try {
      const me = await fetchMe()
      permissions.value = me.permissions
      organization.value = me.organization
      role.value = me.user.role
      persist()
    } catch {
      // Offline or the cloud is down: the persisted permissions stand until it answers.
    }
  }

  function adopt(result: SessionResponse): void {
    token.value = result.token
    refreshToken.value = result.refreshToken ?? null
    user.value = result.user
    totpEnrollmentRequired.value = result.totpEnrollmentRequired === true
    persist()
  }

  /**
   * Throws the ApiError (e.g. code AUTH_INVALID_CREDENTIALS, or AUTH_TOTP_REQUIRED when the
   * account needs the authenticator's code) so the form can show it.
   */
  async function login(email: string, password: string, totpCode?: string): Promise<User> {
    const result = await requestLogin(email.trim(), password, totpCode?.trim() || undefined)
    adopt(result)
    totpJustEnabled.value = false
    await loadMe()
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
    permissions.value = []
    organization.value = null
    role.value = null
    writePersisted(null)
    // A shared phone: the next person must not read this session's saved data offline.
    void clearApiCache()
  }

  /** Two-factor login is on now; the cloud closed this login, so log in again with a code. */
  function totpEnabled(): void {
    logout()
    totpJustEnabled.value = true
  }

  return {
    token,
    user,
    isAuthenticated,
    totpEnrollmentRequired,
    totpJustEnabled,
    permissions,
    organization,
    role,
    can,
    login,
    logout,
    refresh,
    loadMe,
    totpEnabled,
  }
})
