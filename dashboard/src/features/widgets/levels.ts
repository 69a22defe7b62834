// Bands the widgets colour readings by. They echo the rule packs (gateway/src/rules/packs):
// irrigation starts below 30 % soil moisture, the medical centre ventilates above 900 ppm
// CO₂ and warns above 1500 ppm.

export type MoistureLevel = 'dry' | 'moist' | 'wet'
export const SOIL_DRY_BELOW_PCT = 30
export const SOIL_WET_ABOVE_PCT = 70

export function moistureLevel(pct: number): MoistureLevel {
  if (pct < SOIL_DRY_BELOW_PCT) return 'dry'
  if (pct > SOIL_WET_ABOVE_PCT) return 'wet'
  return 'moist'
}

export type AirLevel = 'good' | 'fair' | 'poor'
export const CO2_FAIR_ABOVE_PPM = 900
export const CO2_POOR_ABOVE_PPM = 1500

export function co2Level(ppm: number): AirLevel {
  if (ppm > CO2_POOR_ABOVE_PPM) return 'poor'
  if (ppm > CO2_FAIR_ABOVE_PPM) return 'fair'
  return 'good'
}
