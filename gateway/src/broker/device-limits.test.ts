import { describe, expect, it } from 'vitest'
import { TokenBucket } from './device-limits.js'

describe('token bucket', () => {
  it('starts full, refills at its rate up to the burst', () => {
    const bucket = new TokenBucket(10, 2, 1000)
    expect([bucket.take(1000), bucket.take(1000), bucket.take(1000)]).toEqual([true, true, false])
    expect(bucket.take(1099)).toBe(false) // 0.99 of a token
    expect(bucket.take(1100)).toBe(true)
    expect([bucket.take(9000), bucket.take(9000), bucket.take(9000)]).toEqual([true, true, false])
  })

  it('does not charge for a clock that steps back', () => {
    const bucket = new TokenBucket(10, 1, 1000)
    expect(bucket.take(999)).toBe(true)
    expect(bucket.take(500)).toBe(false)
    expect(bucket.take(1100)).toBe(true)
  })

  it('0 per second means no limit', () => {
    const bucket = new TokenBucket(0, 1, 0)
    expect(Array.from({ length: 100 }, () => bucket.take(0)).every(Boolean)).toBe(true)
  })
})
