import { onBeforeUnmount, ref, shallowRef } from 'vue'
import { ApiError } from '../../api/client.js'
import { fetchGateways, type FleetGateway } from '../../api/fleet.js'
import { openSitesChannel, type SitesChannel } from '../../api/realtime.js'
import { fetchSites } from '../../api/sites.js'
import type { SiteSummary } from '../../api/types.js'
import { useSessionStore } from '../../stores/session.js'

/** A `gateway.sync` push says one gateway changed: the list is read again, once per burst. */
export const FLEET_PUSH_REFRESH_MS = 800
/** A gateway that went silent sends nothing: re-read now and then so it turns offline. */
export const FLEET_REFRESH_MS = 30_000

/**
 * The fleet page's data: the org's sites (for names, time zones and provisioning) and its
 * gateways, kept live by `gateway.sync` pushes from every site, a periodic re-read and a
 * re-read after a reconnection.
 */
export function useFleetList() {
  const session = useSessionStore()
  const sites = shallowRef<readonly SiteSummary[]>([])
  const gateways = shallowRef<readonly FleetGateway[]>([])
  const status = ref<'loading' | 'ready' | 'error'>('loading')
  const errorCode = ref<string | null>(null)
  let channel: SitesChannel | null = null
  let pushTimer: ReturnType<typeof setTimeout> | undefined
  let refreshTimer: ReturnType<typeof setInterval> | undefined
  let stopped = false

  async function load(): Promise<void> {
    try {
      const [nextSites, nextGateways] = await Promise.all([fetchSites(), fetchGateways()])
      if (stopped) return
      sites.value = nextSites
      gateways.value = [...nextGateways].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
      status.value = 'ready'
      errorCode.value = null
      channel?.setSites(nextSites.map((s) => s.id))
    } catch (err) {
      if (stopped) return
      errorCode.value = err instanceof ApiError ? err.code : 'UNKNOWN'
      if (status.value !== 'ready') status.value = 'error'
    }
  }

  function refreshSoon(): void {
    clearTimeout(pushTimer)
    pushTimer = setTimeout(() => void load(), FLEET_PUSH_REFRESH_MS)
  }

  async function start(): Promise<void> {
    await load()
    if (stopped || status.value !== 'ready') return
    channel = openSitesChannel({
      siteIds: sites.value.map((s) => s.id),
      getToken: () => session.token,
      handlers: {
        gatewaySync: refreshSoon,
        status: () => {},
        joined: (rejoin) => rejoin && void load(),
        unauthorized: () => session.logout(),
      },
    })
    refreshTimer = setInterval(() => void load(), FLEET_REFRESH_MS)
  }

  function stop(): void {
    stopped = true
    channel?.close()
    channel = null
    clearTimeout(pushTimer)
    clearInterval(refreshTimer)
  }

  onBeforeUnmount(stop)

  const timeZoneOf = (siteId: string) => sites.value.find((s) => s.id === siteId)?.timezone ?? 'UTC'
  const siteName = (siteId: string) => sites.value.find((s) => s.id === siteId)?.name ?? siteId

  return { sites, gateways, status, errorCode, load, start, timeZoneOf, siteName }
}
