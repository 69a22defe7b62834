import { describe, expect, it } from 'vitest'
import { decodeRaw, decodeRegister, encodeRaw, encodeRegister, registerWidth, type RegisterSpec, type RegisterType, type WordOrder } from './codec.js'

const cases: Record<RegisterType, number[]> = {
  int16: [0, 1, -1, 32767, -32768, 1234, -1234],
  uint16: [0, 1, 32768, 65535, 1234],
  int32: [0, 1, -1, 65535, 65536, -65536, 2147483647, -2147483648, 123456789, -123456789],
  uint32: [0, 1, 65535, 65536, 4294967295, 2147483648, 123456789],
  float32: [0, -0, 1, -1, 22.5, -18.25, 3.4028234663852886e38, -3.4028234663852886e38, 1.401298464324817e-45, 1.1754943508222875e-38, Infinity, -Infinity],
}
const orders: WordOrder[] = ['big', 'little']

describe('modbus codec', () => {
  for (const [type, values] of Object.entries(cases) as [RegisterType, number[]][])
    for (const order of orders)
      it(`${type} ${order}-endian words round-trip`, () => {
        for (const v of values) {
          const words = encodeRaw(type, v, order)
          expect(words).toHaveLength(registerWidth({ fn: 'holding', type }))
          for (const w of words) expect(w >= 0 && w <= 0xffff).toBe(true)
          expect(Object.is(decodeRaw(type, words, order), v)).toBe(true)
        }
      })

  it('lays out words as the Modbus convention says', () => {
    expect(encodeRaw('int16', -2)).toEqual([0xfffe])
    expect(encodeRaw('int32', -2, 'big')).toEqual([0xffff, 0xfffe])
    expect(encodeRaw('int32', -2, 'little')).toEqual([0xfffe, 0xffff])
    expect(encodeRaw('uint32', 0x12345678, 'big')).toEqual([0x1234, 0x5678])
    expect(encodeRaw('uint32', 0x12345678, 'little')).toEqual([0x5678, 0x1234])
    // 1.0f is 0x3f800000
    expect(encodeRaw('float32', 1, 'big')).toEqual([0x3f80, 0x0000])
    expect(encodeRaw('float32', 1, 'little')).toEqual([0x0000, 0x3f80])
    expect(decodeRaw('float32', [0x7fc0, 0x0000])).toBeNaN()
    expect(encodeRaw('float32', NaN)).toEqual([0x7fc0, 0])
  })

  it('float32 rounds values it cannot hold exactly', () => {
    expect(decodeRaw('float32', encodeRaw('float32', 0.1))).toBe(Math.fround(0.1))
    expect(decodeRaw('float32', encodeRaw('float32', 1e39))).toBe(Infinity)
  })

  it('rejects integers out of range or fractional', () => {
    expect(() => encodeRaw('int16', 32768)).toThrow(RangeError)
    expect(() => encodeRaw('int16', -32769)).toThrow(RangeError)
    expect(() => encodeRaw('uint16', -1)).toThrow(RangeError)
    expect(() => encodeRaw('uint16', 65536)).toThrow(RangeError)
    expect(() => encodeRaw('int32', 2147483648)).toThrow(RangeError)
    expect(() => encodeRaw('uint32', 4294967296)).toThrow(RangeError)
    expect(() => encodeRaw('uint32', 1.5)).toThrow(RangeError)
    expect(() => encodeRaw('int32', NaN)).toThrow(RangeError)
  })

  it('decodes a register from its place in a block, scaled and offset', () => {
    const spec: RegisterSpec = { name: 'temperature_c', address: 102, fn: 'holding', type: 'int16', scale: 0.1 }
    expect(decodeRegister(spec, [0, 0, 0xff1a], 100)).toBe(-23)
    expect(decodeRegister({ ...spec, offset: -40, scale: 0.5, type: 'uint16' }, [0, 0, 100], 100)).toBe(10)
    expect(decodeRegister({ ...spec, type: 'int32', wordOrder: 'little' }, [0, 0, 0xfffe, 0xffff], 100)).toBe(-0.2)
    expect(decodeRegister({ ...spec, scale: 0.1, type: 'uint16' }, [0, 0, 226], 100)).toBe(22.6)
    expect(() => decodeRegister({ ...spec, type: 'int32' }, [0, 0, 1], 100)).toThrow(RangeError)
  })

  it('reads coils and discrete inputs as 0/1', () => {
    expect(decodeRegister({ name: 'door', address: 5, fn: 'discrete' }, [false, true], 4)).toBe(1)
    expect(decodeRegister({ name: 'relay', address: 4, fn: 'coil' }, [false, true], 4)).toBe(0)
  })

  it('encodes engineering values for writes, the inverse of decoding', () => {
    const spec: RegisterSpec = { name: 'setpoint_c', address: 0, fn: 'holding', type: 'int16', scale: 0.1 }
    expect(encodeRegister(spec, -18.5)).toEqual([0xff47])
    expect(encodeRegister(spec, 22.56)).toEqual([226])
    expect(encodeRegister({ ...spec, offset: -40, scale: 0.5, type: 'uint16' }, 10)).toEqual([100])
    expect(encodeRegister({ ...spec, type: 'float32', scale: undefined, wordOrder: 'little' }, 4.5)).toEqual([0, 0x4090])
    expect(encodeRegister({ name: 'compressor', address: 0, fn: 'coil' }, 1)).toBe(true)
    expect(() => encodeRegister(spec, 4000)).toThrow(RangeError)
    for (const type of ['int16', 'uint16', 'int32', 'uint32', 'float32'] as const)
      for (const wordOrder of orders) {
        const s: RegisterSpec = { name: 'x', address: 0, fn: 'holding', type, wordOrder, scale: 0.01, offset: 5 }
        expect(decodeRegister(s, encodeRegister(s, 123.45) as number[], 0)).toBeCloseTo(123.45, 4)
      }
  })
})
