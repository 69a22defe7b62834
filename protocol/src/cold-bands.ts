/**
 * Which registry devices are fridges, and the band each must hold when its owner set none:
 * one table for the cloud's cold-chain report and the dashboard's gauges
 * (`@tendero/protocol/cold-bands`, pure, no dependencies).
 *
 * The defaults are common HACCP practice, not one country's law: chilled food is held
 * between 0 and 5 °C (5 °C is the usual critical limit for refrigerated storage, the
 * 0 °C floor keeps fresh meat and produce from freezing), frozen food at -18 °C or colder
 * (the storage temperature of frozen-food codes of practice; no lower limit), vaccines
 * between 2 and 8 °C (the WHO cold-chain range for refrigerated vaccines). A shop
 * whose rules are stricter (fresh meat at 0-4 °C, an ice freezer at -10 °C) sets the
 * device's coldBand, and the report says which of the two it used.
 */

export interface Band {
  minC: number | null
  maxC: number | null
}

export type BandOrigin = 'device' | 'default'

/** Kinds held to the chilled band. */
export const CHILLED_KINDS: readonly string[] = [
  'cold_room', 'display_fridge', 'fridge', 'refrigerator', 'walk_in', 'walk_in_cooler', 'chiller', 'cooler', 'display_case',
]
/** Kinds held to the frozen band. */
export const FROZEN_KINDS: readonly string[] = ['freezer', 'chest_freezer', 'walk_in_freezer', 'blast_freezer', 'ice_freezer']

/** Kinds held to the vaccine band. */
export const VACCINE_KINDS: readonly string[] = ['vaccine_fridge', 'pharmacy_fridge', 'medical_fridge']

export const CHILLED_BAND: Band = { minC: 0, maxC: 5 }
export const FROZEN_BAND: Band = { minC: null, maxC: -18 }
export const VACCINE_BAND: Band = { minC: 2, maxC: 8 }

/** Every kind with a default band: the fridges of the report. */
export const COLD_KINDS: readonly string[] = [...CHILLED_KINDS, ...FROZEN_KINDS, ...VACCINE_KINDS]

export function defaultBand(kind: string): Band | null {
  if (CHILLED_KINDS.includes(kind)) return CHILLED_BAND
  if (FROZEN_KINDS.includes(kind)) return FROZEN_BAND
  if (VACCINE_KINDS.includes(kind)) return VACCINE_BAND
  return null
}

/**
 * The band a device is held to: its own when set, else its kind's. Null for a device that
 * is no fridge (an oven, a door contact) and has no band of its own: not in the report.
 */
export function effectiveBand(kind: string, own: Band | null): (Band & { origin: BandOrigin }) | null {
  if (own && (own.minC !== null || own.maxC !== null)) return { ...own, origin: 'device' }
  const fallback = defaultBand(kind)
  return fallback ? { ...fallback, origin: 'default' } : null
}
