import { defineStore } from 'pinia'
import { computed, reactive, ref, shallowRef } from 'vue'
import { fetchActivity } from '../../api/activity.js'
import { ApiError } from '../../api/client.js'
import { openSitesChannel, type SitesChannel } from '../../api/realtime.js'
import { fetchSites } from '../../api/sites.js'
import type { AlarmEvent, GatewaySyncEvent, SiteSummary, StateEvent } from '../../api/types.js'
import { useSessionStore } from '../../stores/session.js'
import { fromActivity, fromAlarmPush, fromStatePush, gatewayChange, mergeFeed, type FeedFilters, type FeedItem } from './feed.js'

export const FEED_PAGE = 40
/**
 * The cloud pushes alarms and states, not door access, commands or their answers; those
 * usually come in the same gateway batch, so after a push the first page is read again
 * (once per burst) to bring them in.
 */
export const FEED_REFRESH_MS = 1_500

export const useActivityStore = defineStore('activity', () => {
  const session = useSessionStore()
  const filters = reactive<FeedFilters>({ siteId: '', kind: '' })
  const sites = shallowRef<readonly SiteSummary[]>([])
  const items = shallowRef<readonly FeedItem[]>([])
  const nextCursor = ref<string | null>(null)
  const status = ref<'idle' | 'loading' | 'ready' | 'error'>('idle')
  const loadingMore = ref(false)
  const errorCode = ref<string | null>(null)

  let channel: SitesChannel | null = null
  let refreshTimer: ReturnType<typeof setTimeout> | undefined
  let generation = 0
  let pagesLoaded = 0
  // Each gateway's last known online state, to tell a change from a routine report.
  const gatewayOnline = new Map<string, boolean>()

  const siteNames = computed(() => new Map(sites.value.map((s) => [s.id, s.name])))
  const siteName = (siteId: string) => siteNames.value.get(siteId) ?? ''

  function query(cursor: string | null) {
    return { ...(filters.siteId ? { siteId: filters.siteId } : {}), ...(filters.kind ? { kind: filters.kind } : {}), limit: FEED_PAGE, cursor }
  }

  /** `fresh`: the filters changed and the list starts over; otherwise the page is merged in. */
  async function loadFirstPage(fresh: boolean): Promise<void> {
    const gen = generation
    if (fresh) {
      status.value = 'loading'
      items.value = []
      nextCursor.value = null
      pagesLoaded = 0
    }
    try {
      const page = await fetchActivity(query(null))
      if (gen !== generation) return
      items.value = mergeFeed(items.value, page.items.map(fromActivity), filters)
      if (pagesLoaded <= 1) nextCursor.value = page.nextCursor
      pagesLoaded = Math.max(pagesLoaded, 1)
      status.value = 'ready'
      errorCode.value = null
    } catch (err) {
      if (gen !== generation) return
      errorCode.value = err instanceof ApiError ? err.code : 'UNKNOWN'
      if (fresh || status.value !== 'ready') status.value = 'error'
    }
  }

  async function loadMore(): Promise<void> {
    if (!nextCursor.value || loadingMore.value) return
    const gen = generation
    loadingMore.value = true
    try {
      const page = await fetchActivity(query(nextCursor.value))
      if (gen !== generation) return
      items.value = mergeFeed(items.value, page.items.map(fromActivity), filters)
      nextCursor.value = page.nextCursor
      pagesLoaded++
    } catch (err) {
      if (gen === generation) errorCode.value = err instanceof ApiError ? err.code : 'UNKNOWN'
    } finally {
      if (gen === generation) loadingMore.value = false
    }
  }

  function setFilters(next: Partial<FeedFilters>): Promise<void> {
    Object.assign(filters, next)
    generation++
    return loadFirstPage(true)
  }

  function refreshSoon() {
    clearTimeout(refreshTimer)
    refreshTimer = setTimeout(() => void loadFirstPage(false), FEED_REFRESH_MS)
  }

  function push(item: FeedItem | null) {
    if (item && status.value === 'ready') items.value = mergeFeed(items.value, [item], filters)
    refreshSoon()
  }

  const onAlarm = (event: AlarmEvent) => push(fromAlarmPush(event, siteName(event.siteId)))
  const onState = (event: StateEvent) => push(fromStatePush(event, siteName(event.siteId)))

  function onGatewaySync(event: GatewaySyncEvent) {
    // A report over the channel means the gateway is connected unless it says otherwise.
    const online = event.online ?? true
    const before = gatewayOnline.get(event.gatewayId)
    gatewayOnline.set(event.gatewayId, online)
    if (before === undefined || before === online || status.value !== 'ready') return
    const time = online ? (event.lastContactAt ?? event.sync.reportedAt) : Date.now()
    items.value = mergeFeed(items.value, [gatewayChange(event, online, siteName(event.siteId), time)], filters)
  }

  async function start(): Promise<void> {
    stop()
    const gen = generation
    status.value = 'loading'
    try {
      sites.value = await fetchSites()
    } catch {
      // The site filter and names wait for the next start; the feed still loads.
    }
    if (gen !== generation) return
    await loadFirstPage(true)
    if (gen !== generation) return
    const opened: SitesChannel = openSitesChannel({
      siteIds: sites.value.map((s) => s.id),
      getToken: () => session.token,
      handlers: {
        alarm: onAlarm,
        state: onState,
        gatewaySync: onGatewaySync,
        status: () => {},
        // Nothing published while offline is replayed: read the first page again.
        joined: (rejoin) => {
          if (rejoin && channel === opened) void loadFirstPage(false)
        },
        unauthorized: () => session.logout(),
      },
    })
    channel = opened
  }

  function stop(): void {
    generation++
    channel?.close()
    channel = null
    clearTimeout(refreshTimer)
    gatewayOnline.clear()
  }

  return { filters, sites, items, nextCursor, status, loadingMore, errorCode, start, stop, setFilters, loadMore }
})
