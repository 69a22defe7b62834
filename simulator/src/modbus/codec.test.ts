import { describe, expect, it } from 'vitest'
import { decodeEntry, encodeEntry } from './codec.js'
import type { RegisterEntry, RegisterType, WordOrder } from './register-maps.js'
import { manualClock, wallClock } from './sim-clock.js'

const entry = (type: RegisterType, wordOrder: WordOrder = 'big', scale = 1): RegisterEntry => ({
  name: 'x', table: 'input', address: 0, type, wordOrder, scale, unit: '', description: '', writable: false,
})

describe('register codec', () => {
  it('encodes the documented words for each type and word order', () => {
    expect(encodeEntry(entry('int16', 'big', 0.1), -2.5)).toEqual([0xffe7])
    expect(encodeEntry(entry('uint16', 'big', 0.01), 12.34)).toEqual([1234])
    expect(encodeEntry(entry('int32', 'big', 0.001), -1.5)).toEqual([0xffff, 0xfa24])
    expect(encodeEntry(entry('int32', 'little', 0.001), -1.5)).toEqual([0xfa24, 0xffff])
    expect(encodeEntry(entry('uint32', 'big', 0.01), 804210)).toEqual([0x04cb, 0x2088])
    expect(encodeEntry(entry('uint32', 'little', 0.01), 804210)).toEqual([0x2088, 0x04cb])
    expect(encodeEntry(entry('float32', 'big'), 1.5)).toEqual([0x3fc0, 0x0000])
    expect(encodeEntry(entry('float32', 'little'), 1.5)).toEqual([0x0000, 0x3fc0])
    expect(encodeEntry(entry('bool'), 3)).toEqual([1])
  })

  it('saturates instead of wrapping, as device firmware does', () => {
    expect(encodeEntry(entry('int16', 'big', 0.1), 5000)).toEqual([0x7fff])
    expect(encodeEntry(entry('int16', 'big', 0.1), -5000)).toEqual([0x8000])
    expect(encodeEntry(entry('uint16'), -3)).toEqual([0])
    expect(encodeEntry(entry('uint32'), 2 ** 40)).toEqual([0xffff, 0xffff])
  })

  it('decodes what it encodes, to one raw step', () => {
    const cases: Array<[RegisterType, number, number[]]> = [
      ['int16', 0.1, [-3276.8, -0.05, 0, 12.3, 3276.7]],
      ['uint16', 0.01, [0, 1.005, 655.35]],
      ['int32', 0.001, [-2147483.648, -0.0004, 7.25, 2147483.647]],
      ['uint32', 0.01, [0, 1520.35, 42949672.95]],
      ['float32', 1, [-40.125, 0, 3.1415927, 1e30]],
    ]
    for (const [type, scale, values] of cases) {
      for (const order of ['big', 'little'] as const) {
        const e = entry(type, order, scale)
        for (const v of values) {
          const back = decodeEntry(e, encodeEntry(e, v))
          const tol = type === 'float32' ? Math.abs(v) * 1e-7 : scale / 2 + 1e-9
          expect(Math.abs(back - v), `${type} ${order} ${v} → ${back}`).toBeLessThanOrEqual(tol)
        }
      }
    }
  })
})

describe('simulation clocks', () => {
  it('a wall clock runs at the speed factor', () => {
    let now = 1_000
    const clock = wallClock(60, () => now)
    now += 2_500
    expect(clock()).toBe(150)
    expect(() => wallClock(0)).toThrow(RangeError)
  })

  it('a manual clock only moves forward', () => {
    const clock = manualClock(10)
    clock.advance(5)
    expect(clock()).toBe(15)
    expect(() => clock.set(1)).toThrow(RangeError)
  })
})
