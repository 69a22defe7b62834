import { describe, expect, it } from 'vitest'
import { firingIntervals } from './intervals.js'

describe('fire/rearm → intervals', () => {
  it('pairs each fire with the next rearm of the same device', () => {
    expect(
      firingIntervals(
        [
          { time: 100, transition: 'fire', deviceId: 'a', value: 6 },
          { time: 150, transition: 'fire', deviceId: 'b' },
          { time: 200, transition: 'rearm', deviceId: 'a', value: 4 },
          { time: 300, transition: 'rearm', deviceId: 'b' },
          { time: 400, transition: 'fire', deviceId: 'a', value: 7 },
          { time: 500, transition: 'rearm', deviceId: 'a' },
        ],
        1000,
      ),
    ).toEqual([
      { deviceId: 'a', from: 100, to: 200, rearmed: true, value: 6 },
      { deviceId: 'b', from: 150, to: 300, rearmed: true },
      { deviceId: 'a', from: 400, to: 500, rearmed: true, value: 7 },
    ])
  })

  it('runs a fire still open to the end of the window, and drops a rearm without its fire', () => {
    expect(
      firingIntervals(
        [
          { time: 50, transition: 'rearm', deviceId: 'a' },
          { time: 700, transition: 'fire', deviceId: 'a' },
        ],
        1000,
      ),
    ).toEqual([{ deviceId: 'a', from: 700, to: 1000, rearmed: false }])
  })

  it('sorts out of order transitions and ignores a repeated fire', () => {
    expect(
      firingIntervals(
        [
          { time: 300, transition: 'rearm', deviceId: 'a' },
          { time: 200, transition: 'fire', deviceId: 'a' },
          { time: 100, transition: 'fire', deviceId: 'a' },
        ],
        1000,
      ),
    ).toEqual([{ deviceId: 'a', from: 100, to: 300, rearmed: true }])
  })

  it('is empty without transitions', () => {
    expect(firingIntervals([], 10)).toEqual([])
  })
})
