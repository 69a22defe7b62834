// The setpoint band a fridge is held to, as the cloud's cold-chain report reads it
// (cloud/src/modules/reports/bands.ts): the device's own coldBand when set, else its kind's.
import type { ColdBand } from '../../api/sites.js'

export type BandOrigin = 'device' | 'default'
export interface EffectiveBand extends ColdBand {
  origin: BandOrigin
}

/** Kinds held to the chilled band (0 to 5 °C). */
export const CHILLED_KINDS: readonly string[] = [
  'cold_room', 'display_fridge', 'fridge', 'refrigerator', 'walk_in', 'walk_in_cooler', 'chiller', 'cooler', 'display_case',
]
/** Kinds held to the frozen band (-18 °C or colder). */
export const FROZEN_KINDS: readonly string[] = ['freezer', 'chest_freezer', 'walk_in_freezer', 'blast_freezer', 'ice_freezer']

export const CHILLED_BAND: ColdBand = { minC: 0, maxC: 5 }
export const FROZEN_BAND: ColdBand = { minC: null, maxC: -18 }

export function defaultBand(kind: string): ColdBand | null {
  if (CHILLED_KINDS.includes(kind)) return CHILLED_BAND
  if (FROZEN_KINDS.includes(kind)) return FROZEN_BAND
  return null
}

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
