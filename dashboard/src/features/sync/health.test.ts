import { describe, expect, it } from 'vitest'
import { bufferTone, countTone, diskShare, diskTone, lagTone } from './health.js'

describe('sync health', () => {
  it('warns under two days of buffer and alarms under half a day', () => {
    expect(bufferTone(null)).toBe('neutral')
    expect(bufferTone(30)).toBe('neutral')
    expect(bufferTone(2)).toBe('neutral')
    expect(bufferTone(1.99)).toBe('warning')
    expect(bufferTone(0.5)).toBe('warning')
    expect(bufferTone(0.49)).toBe('danger')
    expect(bufferTone(0)).toBe('danger')
  })

  it('warns when the oldest unsent event is more than five minutes old', () => {
    expect(lagTone(null)).toBe('neutral')
    expect(lagTone(300)).toBe('neutral')
    expect(lagTone(301)).toBe('warning')
  })

  it('measures the disk against its budget', () => {
    expect(diskShare({ usedBytes: 45, maxBytes: 100 })).toBe(0.45)
    expect(diskShare({ usedBytes: 120, maxBytes: 100 })).toBe(1)
    expect(diskShare({ usedBytes: 5, maxBytes: 0 })).toBeNull()
    expect(diskTone(0.89)).toBe('neutral')
    expect(diskTone(0.9)).toBe('warning')
    expect(diskTone(null)).toBe('neutral')
  })

  it('flags any quarantined or dropped event', () => {
    expect(countTone(0)).toBe('neutral')
    expect(countTone(1)).toBe('warning')
  })
})
