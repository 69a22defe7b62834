import type { ActivityItem } from '../../api/sites.js'

/** The RFID widget re-reads the decisions this often even without a new swipe. */
export const ACCESS_REFRESH_MS = 30_000

/** One door decision as the RFID widget lists it (protocol AccessDecision, logged as `access`). */
export interface AccessRead {
  key: string
  time: number
  cardId: string | null
  holder: string | null
  doorId: string | null
  allow: boolean
  reason: string
  remote: boolean
}

const str = (v: unknown) => (typeof v === 'string' ? v : null)

/** The reader's decisions among the site's activity, newest first; bodies of another shape are skipped. */
export function accessReads(items: readonly ActivityItem[], deviceId: string, max = 6): AccessRead[] {
  const reads: AccessRead[] = []
  for (const item of items) {
    if (item.kind !== 'access' || item.deviceId !== deviceId) continue
    const body = (item.body ?? {}) as Record<string, unknown>
    if (typeof body.allow !== 'boolean') continue
    reads.push({
      key: `${item.gatewayId}:${item.seq}`,
      time: item.time,
      cardId: str(body.cardId),
      holder: str(body.holder),
      doorId: str(body.doorId),
      allow: body.allow,
      reason: str(body.reason) ?? (body.allow ? 'allowed' : 'unknown_card'),
      remote: body.source === 'cloud',
    })
  }
  return reads.sort((a, b) => b.time - a.time).slice(0, max)
}
