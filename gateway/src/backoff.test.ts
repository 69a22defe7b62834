import { describe, expect, it } from 'vitest'
import { WakeableSleep, jitteredBackoff } from './backoff.js'

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

describe('wakeable sleep', () => {
  it('resolves early when woken, and on time otherwise', async () => {
    const pause = new WakeableSleep()
    const started = Date.now()
    const long = pause.sleep(60_000)
    pause.wake()
    await long
    expect(Date.now() - started).toBeLessThan(1000)
    await pause.sleep(5)
    pause.wake() // nothing pending: a no-op
  })
})
