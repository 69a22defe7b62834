// The setpoint band a fridge is held to, as the cloud's cold-chain report reads it: the
// device's own coldBand when set, else its kind's (the one table, @tendero/protocol/cold-bands).
import { defaultBand } from '@tendero/protocol/cold-bands'
import type { ColdBand } from '../../api/sites.js'

export type BandOrigin = 'device' | 'default'
export interface EffectiveBand extends ColdBand {
  origin: BandOrigin
}

export { CHILLED_BAND, CHILLED_KINDS, COLD_KINDS, defaultBand, FROZEN_BAND, FROZEN_KINDS, VACCINE_BAND, VACCINE_KINDS } from '@tendero/protocol/cold-bands'

export function effectiveBand(kind: string, own: ColdBand | null | undefined): EffectiveBand | null {
  if (own && (own.minC !== null || own.maxC !== null)) return { ...own, origin: 'device' }
  const fallback = defaultBand(kind)
  return fallback ? { ...fallback, origin: 'default' } : null
}

/** 'high' above the band, 'low' below it, null inside (or without a band). */
export function outOfBand(band: ColdBand | null, value: number): 'high' | 'low' | null {
  if (!band) return null
  if (band.maxC !== null && value > band.maxC) return 'high'
  if (band.minC !== null && value < band.minC) return 'low'
  return null
}
