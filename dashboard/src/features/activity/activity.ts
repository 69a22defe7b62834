import { defineStore } from 'pinia'
import { computed, reactive, shallowRef } from 'vue'
import { fetchActivity } from '../../api/activity.js'
import { openSitesChannel, type SitesChannel } from '../../api/realtime.js'
import { fetchSites } from '../../api/sites.js'
import type { AlarmEvent, GatewaySyncEvent, SiteSummary, StateEvent } from '../../api/types.js'
import { usePagedList } from '../../composables/usePagedList.js'
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

  let channel: SitesChannel | null = null
  let refreshTimer: ReturnType<typeof setTimeout> | undefined
  // Each gateway's last known online state, to tell a change from a routine report.
  const gatewayOnline = new Map<string, boolean>()

  const siteNames = computed(() => new Map(sites.value.map((s) => [s.id, s.name])))
  const siteName = (siteId: string) => siteNames.value.get(siteId) ?? ''

  function query(cursor: string | null) {
    return { ...(filters.siteId ? { siteId: filters.siteId } : {}), ...(filters.kind ? { kind: filters.kind } : {}), limit: FEED_PAGE, cursor }
  }

  const pages = usePagedList({
    fetchPage: (cursor) => fetchActivity(query(cursor)),
    take: (rows) => {
      items.value = mergeFeed(items.value, rows.map(fromActivity), filters)
    },
    clear: () => {
      items.value = []
    },
  })
  const { status, nextCursor, loadingMore, errorCode, loadFirstPage, loadMore } = pages

  function setFilters(next: Partial<FeedFilters>): Promise<void> {
    Object.assign(filters, next)
    pages.invalidate()
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
    const current = pages.ticket()
    status.value = 'loading'
    try {
      sites.value = await fetchSites()
    } catch {
      // The site filter and names wait for the next start; the feed still loads.
    }
    if (!current()) return
    await loadFirstPage(true)
    if (!current()) return
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
    pages.invalidate()
    channel?.close()
    channel = null
    clearTimeout(refreshTimer)
    gatewayOnline.clear()
  }

  return { filters, sites, items, nextCursor, status, loadingMore, errorCode, start, stop, setFilters, loadMore }
})
