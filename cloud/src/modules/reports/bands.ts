// The band table is shared with the dashboard: protocol/src/cold-bands.ts.
export * from '@tendero/protocol/cold-bands'
import type { Band } from '@tendero/protocol/cold-bands'

export const outOfBand = (band: Band, low: number, high: number): 'high' | 'low' | null =>
  band.maxC !== null && high > band.maxC ? 'high' : band.minC !== null && low < band.minC ? 'low' : null
