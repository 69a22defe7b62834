import type { Alarm } from '../../api/types.js'

/** Alarms kept in memory for "recent"; the cloud returns newest first. */
export const MAX_ALARMS = 100

export const isActiveAlarm = (alarm: Alarm) => alarm.state !== 'cleared'

/**
 * Whether `incoming` is a later transition than `current`, by the cloud's rule: one
 * gateway's transitions go by its seq, because its event times can go back (events from
 * before a clock sync are re-stamped with an estimate), while transitions from different
 * gateways, or without a seq, go by time. The cloud pushes only transitions it applied,
 * so a push could simply be trusted; the rule is still needed because a re-fetched list
 * can race the pushes, and then it sorts both the same way.
 */
export function comesAfter(incoming: Alarm, current: Alarm): boolean {
  const sameGateway = incoming.gatewayId !== undefined && incoming.gatewayId === current.gatewayId
  if (sameGateway && incoming.seq !== undefined && current.seq !== undefined) return incoming.seq >= current.seq
  return incoming.updatedAt >= current.updatedAt
}

/**
 * Inserts or replaces by alarmId. An older transition (e.g. a re-fetch racing a live
 * event) never overwrites a newer one. Result is newest raised first.
 */
export function upsertAlarm(alarms: readonly Alarm[], incoming: Alarm): Alarm[] {
  const existing = alarms.find((a) => a.alarmId === incoming.alarmId)
  if (existing && !comesAfter(incoming, existing)) return alarms as Alarm[]
  const next = alarms.filter((a) => a.alarmId !== incoming.alarmId)
  next.push(incoming)
  next.sort((a, b) => b.raisedAt - a.raisedAt)
  return next.slice(0, MAX_ALARMS)
}
