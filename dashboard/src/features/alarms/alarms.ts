import type { Alarm } from '../../api/types.js'
import { comesAfter } from '../sync/order.js'

/** Alarms kept in memory for "recent"; the cloud returns newest first. */
export const MAX_ALARMS = 100

export const isActiveAlarm = (alarm: Alarm) => alarm.state !== 'cleared'

/**
 * Inserts or replaces by alarmId. An older transition (e.g. a re-fetch racing a live
 * event) never overwrites a newer one, by the cloud's order (comesAfter). The cloud
 * pushes only transitions it applied, so a push alone could be trusted; the order is for
 * a fetched list racing the pushes. Result is newest raised first.
 */
export function upsertAlarm(alarms: readonly Alarm[], incoming: Alarm): Alarm[] {
  const existing = alarms.find((a) => a.alarmId === incoming.alarmId)
  if (existing && !comesAfter(incoming, existing)) return alarms as Alarm[]
  const next = alarms.filter((a) => a.alarmId !== incoming.alarmId)
  next.push(incoming)
  next.sort((a, b) => b.raisedAt - a.raisedAt)
  return next.slice(0, MAX_ALARMS)
}
