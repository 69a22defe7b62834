// When a gateway's sync numbers deserve the owner's attention. Thresholds are for a
// small shop on a flaky link: a few minutes behind is normal, two days of buffer is not.
import type { BadgeTone } from '../../components/BaseBadge.vue'
import type { GatewaySync } from '../../api/types.js'

export type Tone = Extract<BadgeTone, 'neutral' | 'warning' | 'danger'>

/** Under this many days of buffer left the owner should get the link fixed soon. */
export const BUFFER_DAYS_WARNING = 2
/** Under this the gateway starts downsampling or dropping history within hours. */
export const BUFFER_DAYS_DANGER = 0.5
/** Unsent events older than this are more than a hiccup. */
export const LAG_SECONDS_WARNING = 5 * 60
export const DISK_SHARE_WARNING = 0.9

export function bufferTone(daysLeft: number | null): Tone {
  if (daysLeft === null) return 'neutral'
  if (daysLeft < BUFFER_DAYS_DANGER) return 'danger'
  return daysLeft < BUFFER_DAYS_WARNING ? 'warning' : 'neutral'
}

export function lagTone(lagSeconds: number | null): Tone {
  return lagSeconds !== null && lagSeconds > LAG_SECONDS_WARNING ? 'warning' : 'neutral'
}

/** Share of the disk budget in use, 0..1; null when the gateway has no budget. */
export function diskShare(sync: Pick<GatewaySync, 'usedBytes' | 'maxBytes'>): number | null {
  return sync.maxBytes > 0 ? Math.min(1, sync.usedBytes / sync.maxBytes) : null
}

export function diskTone(share: number | null): Tone {
  return share !== null && share >= DISK_SHARE_WARNING ? 'warning' : 'neutral'
}

/** Quarantined or dropped events are never normal: any at all is worth a look. */
export const countTone = (count: number): Tone => (count > 0 ? 'warning' : 'neutral')
