import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import { ApiError } from '../../api/client.js'
import { fetchSiteOverviews, type SiteOverview } from '../../api/overview.js'
import { openSitesChannel, type SitesChannel } from '../../api/realtime.js'
import { useSessionStore } from '../../stores/session.js'

/**
 * A push only says one alarm or gateway changed; the site's figures are folded in SQL
 * (worst lag, fewest buffer days, counts by severity), so the list is read again rather
 * than patched, once per burst of pushes.
 */
export const PUSH_REFRESH_MS = 800
/** A gateway that went silent sends nothing: re-read now and then so it turns offline. */
export const OVERVIEW_REFRESH_MS = 30_000

export type OverviewStatus = 'idle' | 'loading' | 'ready' | 'error'

export const useOverviewStore = defineStore('overview', () => {
  const session = useSessionStore()
  const sites = shallowRef<readonly SiteOverview[]>([])
  const status = ref<OverviewStatus>('idle')
  const errorCode = ref<string | null>(null)

  let channel: SitesChannel | null = null
  let pushTimer: ReturnType<typeof setTimeout> | undefined
  let refreshTimer: ReturnType<typeof setInterval> | undefined
  // Bumped by stop(): an answer for a view already left is dropped.
  let generation = 0

  /** Reads every site with its health; a failed re-read keeps the figures shown. */
  async function load(): Promise<void> {
    const gen = generation
    if (status.value !== 'ready') status.value = 'loading'
    try {
      const next = await fetchSiteOverviews()
      if (gen !== generation) return
      sites.value = next
      status.value = 'ready'
      errorCode.value = null
      channel?.setSites(next.map((s) => s.id))
    } catch (err) {
      if (gen !== generation) return
      errorCode.value = err instanceof ApiError ? err.code : 'UNKNOWN'
      if (status.value !== 'ready') status.value = 'error'
    }
  }

  function refreshSoon() {
    clearTimeout(pushTimer)
    pushTimer = setTimeout(() => void load(), PUSH_REFRESH_MS)
  }

  /** Loads the sites, then listens to all of them. */
  async function start(): Promise<void> {
    stop()
    await load()
    if (status.value !== 'ready' || channel) return
    const gen = generation
    channel = openSitesChannel({
      siteIds: sites.value.map((s) => s.id),
      getToken: () => session.token,
      handlers: {
        alarm: refreshSoon,
        gatewaySync: refreshSoon,
        status: () => {},
        // Pushes sent while we were offline are not replayed.
        joined: (rejoin) => {
          if (rejoin && gen === generation) void load()
        },
        unauthorized: () => session.logout(),
      },
    })
    refreshTimer = setInterval(() => void load(), OVERVIEW_REFRESH_MS)
  }

  function stop(): void {
    generation++
    channel?.close()
    channel = null
    clearTimeout(pushTimer)
    clearInterval(refreshTimer)
  }

  return { sites, status, errorCode, start, stop, reload: load }
})
