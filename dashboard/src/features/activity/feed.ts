import type { ActivityItem, ActivityKind } from '../../api/activity.js'
import type { AlarmEvent, GatewaySyncEvent, StateEvent } from '../../api/types.js'

/**
 * An entry of the feed: a gateway log event from the cloud or a push, or (`gateway`, only
 * live) a gateway going online or offline, which the cloud keeps no event of.
 */
export interface FeedItem extends ActivityItem {
  key: string
  /** Arrived by push after the page was read. */
  live?: boolean
}

export interface FeedFilters {
  siteId: string
  kind: ActivityKind | ''
}

/** The log kinds each filter stands for (the cloud's ACTIVITY_LOG_KINDS). */
const LOG_KINDS: Record<ActivityKind, readonly string[]> = {
  alarm: ['alarm'],
  state: ['state'],
  access: ['access'],
  command: ['command', 'ack'],
  event: ['event'],
  payment: ['payment'],
}

export const feedKey = (gatewayId: string, seq: number) => `${gatewayId}:${seq}`

export function fromActivity(item: ActivityItem): FeedItem {
  return { ...item, key: feedKey(item.gatewayId, item.seq) }
}

export function matchesFeedFilters(item: FeedItem, filters: FeedFilters): boolean {
  if (filters.siteId && item.siteId !== filters.siteId) return false
  if (!filters.kind) return true
  return LOG_KINDS[filters.kind].includes(item.kind)
}

/** Newest first; ties as the cloud orders them (gateway, then seq, descending). */
export function byNewest(a: FeedItem, b: FeedItem): number {
  return b.time - a.time || (b.gatewayId < a.gatewayId ? -1 : b.gatewayId > a.gatewayId ? 1 : b.seq - a.seq)
}

/** An `alarm` push as the feed shows its log event; null without the event's (gatewayId, seq). */
export function fromAlarmPush(event: AlarmEvent, siteName: string): FeedItem | null {
  if (event.gatewayId === undefined || event.seq === undefined) return null
  const { alarmId, ruleId, deviceId, severity, state, message, value } = event
  return {
    key: feedKey(event.gatewayId, event.seq),
    siteId: event.siteId,
    siteName,
    gatewayId: event.gatewayId,
    seq: event.seq,
    kind: 'alarm',
    deviceId,
    time: event.updatedAt,
    body: { alarmId, ruleId, deviceId, severity, state, message, ...(value !== null ? { value } : {}) },
    live: true,
  }
}

export function fromStatePush(event: StateEvent, siteName: string): FeedItem | null {
  if (event.gatewayId === undefined || event.seq === undefined) return null
  return {
    key: feedKey(event.gatewayId, event.seq),
    siteId: event.siteId,
    siteName,
    gatewayId: event.gatewayId,
    seq: event.seq,
    kind: 'state',
    deviceId: event.deviceId,
    time: event.time,
    body: { state: event.state },
    live: true,
  }
}

/** A gateway that went online or offline, seen from two `gateway.sync` pushes. */
export function gatewayChange(event: GatewaySyncEvent, online: boolean, siteName: string, time: number): FeedItem {
  return {
    key: `gateway:${event.gatewayId}:${time}`,
    siteId: event.siteId,
    siteName,
    gatewayId: event.gatewayId,
    seq: 0,
    kind: 'gateway',
    deviceId: event.name ?? event.gatewayId,
    time,
    body: { online },
    live: true,
  }
}

/** Upserts by key (a fetched item replaces a pushed one), keeps what the filters ask for, newest first. */
export function mergeFeed(current: readonly FeedItem[], incoming: readonly FeedItem[], filters: FeedFilters): FeedItem[] {
  const byKey = new Map(current.map((i) => [i.key, i]))
  for (const item of incoming) {
    const existing = byKey.get(item.key)
    // A fetched copy of a live item keeps the "new" mark the user has not seen go by.
    byKey.set(item.key, existing?.live && !item.live ? { ...item, live: true } : item)
  }
  return [...byKey.values()].filter((i) => matchesFeedFilters(i, filters)).sort(byNewest)
}
