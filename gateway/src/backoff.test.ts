import { describe, expect, it } from 'vitest'
import { jitteredBackoff } from './backoff.js'

describe('jittered backoff', () => {
  it('doubles up to the cap and spreads retries below it', () => {
    expect(jitteredBackoff(1, 500, 30_000, () => 1)).toBe(500)
    expect(jitteredBackoff(3, 500, 30_000, () => 1)).toBe(2000)
    expect(jitteredBackoff(40, 500, 30_000, () => 1)).toBe(30_000)
    expect(jitteredBackoff(10, 500, 30_000, () => 0.5)).toBe(15_000)
  })

  it('never drops below half the base', () => {
    expect(jitteredBackoff(5, 500, 30_000, () => 0)).toBe(250)
  })
})
