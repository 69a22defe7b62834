import { defineStore } from 'pinia'
import { computed, reactive, shallowRef } from 'vue'
import { fetchOrgAlarms, requestAlarmAction, type AlarmAction, type OrgAlarm } from '../../api/alarms.js'
import { ApiError } from '../../api/client.js'
import { openSitesChannel, type SitesChannel } from '../../api/realtime.js'
import { fetchSites } from '../../api/sites.js'
import type { AlarmEvent, Severity, SiteSummary } from '../../api/types.js'
import { usePagedList } from '../../composables/usePagedList.js'
import { useSessionStore } from '../../stores/session.js'
import { comesAfter } from '../sync/order.js'

export const INBOX_PAGE = 30
/** A push that does not name who acknowledged sends us back for the name, once per burst. */
export const NAME_REFRESH_MS = 1_000

export interface InboxFilters {
  state: 'active' | 'all'
  /** Empty: any. */
  severity: Severity | ''
  siteId: string
}

/**
 * Between the tap and the gateway's own change coming back up: `sending` until the cloud
 * answers, then `sent` (the gateway's channel is open) or `queued` (it gets the command
 * when it reconnects).
 */
export interface PendingAction {
  action: AlarmAction
  phase: 'sending' | 'sent' | 'queued'
}

export const alarmKey = (alarm: { siteId: string; alarmId: string }) => `${alarm.siteId}/${alarm.alarmId}`

/** Newest change first; ties by site and alarm, as the cloud pages them. */
function byNewestChange(a: OrgAlarm, b: OrgAlarm): number {
  return b.updatedAt - a.updatedAt || (b.siteId < a.siteId ? -1 : b.siteId > a.siteId ? 1 : b.alarmId < a.alarmId ? -1 : 1)
}

export function matchesFilters(alarm: OrgAlarm, filters: InboxFilters): boolean {
  if (filters.state === 'active' && alarm.state === 'cleared') return false
  if (filters.severity && alarm.severity !== filters.severity) return false
  return !filters.siteId || alarm.siteId === filters.siteId
}

/**
 * Merges a fetched or pushed alarm into what is shown. The push leaves out who acted
 * (acknowledgedBy…), so those are kept from what we had for the same episode; a new
 * raise is a new episode and starts them over.
 */
export function mergeAlarm(current: OrgAlarm | undefined, incoming: OrgAlarm): OrgAlarm {
  if (!current) return incoming
  if (!comesAfter(incoming, current)) return current
  const sameEpisode = incoming.raisedAt === current.raisedAt
  return {
    ...incoming,
    acknowledgedBy: incoming.acknowledgedBy !== undefined ? incoming.acknowledgedBy : sameEpisode ? current.acknowledgedBy : null,
    acknowledgedAt: incoming.acknowledgedAt !== undefined ? incoming.acknowledgedAt : sameEpisode ? current.acknowledgedAt : null,
    clearedBy: incoming.clearedBy !== undefined ? incoming.clearedBy : sameEpisode ? current.clearedBy : null,
  }
}

/** Whether the gateway's change answers the action we asked for. */
const settles = (pending: PendingAction, alarm: OrgAlarm) =>
  alarm.state === 'cleared' || (pending.action === 'ack' && alarm.state === 'acknowledged')

export const useInboxStore = defineStore('inbox', () => {
  const session = useSessionStore()
  const filters = reactive<InboxFilters>({ state: 'active', severity: '', siteId: '' })
  const sites = shallowRef<readonly SiteSummary[]>([])
  const items = shallowRef<readonly OrgAlarm[]>([])
  const pending = shallowRef<Readonly<Record<string, PendingAction>>>({})
  const actionErrors = shallowRef<Readonly<Record<string, string>>>({})

  let channel: SitesChannel | null = null
  let nameTimer: ReturnType<typeof setTimeout> | undefined

  const siteById = computed(() => new Map(sites.value.map((s) => [s.id, s])))

  function setPending(key: string, value: PendingAction | null) {
    const next = { ...pending.value }
    if (value) next[key] = value
    else delete next[key]
    pending.value = next
  }

  function setActionError(key: string, code: string | null) {
    const next = { ...actionErrors.value }
    if (code) next[key] = code
    else delete next[key]
    actionErrors.value = next
  }

  /** Upserts alarms and keeps only those the filters ask for, newest change first. */
  function apply(incoming: readonly OrgAlarm[]) {
    const byKey = new Map(items.value.map((a) => [alarmKey(a), a]))
    for (const alarm of incoming) {
      const key = alarmKey(alarm)
      const merged = mergeAlarm(byKey.get(key), alarm)
      byKey.set(key, merged)
      const waiting = pending.value[key]
      if (waiting && waiting.phase !== 'sending' && settles(waiting, merged)) setPending(key, null)
    }
    items.value = [...byKey.values()].filter((a) => matchesFilters(a, filters)).sort(byNewestChange)
  }

  function query(cursor: string | null) {
    return {
      state: filters.state,
      ...(filters.severity ? { severity: filters.severity } : {}),
      ...(filters.siteId ? { siteId: filters.siteId } : {}),
      limit: INBOX_PAGE,
      cursor,
    }
  }

  const pages = usePagedList({
    fetchPage: (cursor) => fetchOrgAlarms(query(cursor)),
    take: apply,
    clear: () => {
      items.value = []
    },
  })
  const { status, nextCursor, loadingMore, errorCode, loadFirstPage, loadMore } = pages

  function setFilters(next: Partial<InboxFilters>): Promise<void> {
    Object.assign(filters, next)
    pages.invalidate()
    return loadFirstPage(true)
  }

  function onAlarm(event: AlarmEvent) {
    const site = siteById.value.get(event.siteId)
    const alarm: OrgAlarm = { ...event, siteName: site?.name ?? '' }
    apply([alarm])
    // Acknowledged by someone whose name the push does not carry: ask the list for it.
    const shown = items.value.find((a) => alarmKey(a) === alarmKey(alarm))
    if (shown?.state === 'acknowledged' && !shown.acknowledgedBy) {
      clearTimeout(nameTimer)
      nameTimer = setTimeout(() => void loadFirstPage(false), NAME_REFRESH_MS)
    }
  }

  /** Asks the gateway to acknowledge or clear; the alarm changes when the gateway's change comes back. */
  async function act(alarm: OrgAlarm, action: AlarmAction): Promise<void> {
    const key = alarmKey(alarm)
    if (pending.value[key]) return
    setActionError(key, null)
    setPending(key, { action, phase: 'sending' })
    try {
      const command = await requestAlarmAction(alarm.siteId, alarm.alarmId, action)
      // The cloud names who asked on the alarm at once; show it without a re-read.
      const me = session.user
      if (action === 'ack' && me) {
        items.value = items.value.map((a) =>
          alarmKey(a) === key ? { ...a, acknowledgedBy: { id: me.id, name: me.name }, acknowledgedAt: command.createdAt } : a,
        )
      }
      const shown = items.value.find((a) => alarmKey(a) === key)
      const phase = command.gatewayOnline ? 'sent' : 'queued'
      // The gateway may have answered (and its push arrived) before the cloud answered us.
      setPending(key, shown && settles({ action, phase }, shown) ? null : { action, phase })
    } catch (err) {
      setPending(key, null)
      const code = err instanceof ApiError ? err.code : 'UNKNOWN'
      setActionError(key, code)
      // Someone else got there first: show what the alarm is now.
      if (code === 'ALARM_ALREADY_ACKNOWLEDGED' || code === 'ALARM_ALREADY_CLEARED') void loadFirstPage(false)
    }
  }

  async function start(): Promise<void> {
    stop()
    const current = pages.ticket()
    status.value = 'loading'
    try {
      sites.value = await fetchSites()
    } catch {
      // The site filter and names wait for the next start; the alarms still load.
    }
    if (!current()) return
    await loadFirstPage(true)
    if (!current()) return
    const opened: SitesChannel = openSitesChannel({
      siteIds: sites.value.map((s) => s.id),
      getToken: () => session.token,
      handlers: {
        alarm: onAlarm,
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
    clearTimeout(nameTimer)
  }

  return {
    filters,
    sites,
    items,
    nextCursor,
    status,
    loadingMore,
    errorCode,
    pending,
    actionErrors,
    start,
    stop,
    setFilters,
    loadMore,
    act,
  }
})
