import { describe, expect, it } from 'vitest'
import { COLD_KINDS, defaultBand } from './cold-bands.js'

describe('cold bands', () => {
  it('holds chilled, frozen and vaccine fridges to their bands, and nothing else to any', () => {
    expect(defaultBand('cold_room')).toEqual({ minC: 0, maxC: 5 })
    expect(defaultBand('freezer')).toEqual({ minC: null, maxC: -18 })
    expect(defaultBand('vaccine_fridge')).toEqual({ minC: 2, maxC: 8 })
    expect(defaultBand('oven')).toBeNull()
    expect(COLD_KINDS).toContain('vaccine_fridge')
    expect(COLD_KINDS.every((kind) => defaultBand(kind) !== null)).toBe(true)
  })
})
