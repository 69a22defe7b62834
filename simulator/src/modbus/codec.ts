import { registerCount, type RegisterEntry } from './register-maps.js'

/**
 * Engineering value → register words (or one 0/1 for a bit), as the map entry says.
 * Integers round to the nearest raw step and saturate at the type's range, as a real
 * device's firmware clamps instead of wrapping.
 */
export function encodeEntry(entry: RegisterEntry, value: number): number[] {
  if (entry.type === 'bool') return [value ? 1 : 0]
  if (entry.type === 'float32') {
    const buf = Buffer.alloc(4)
    buf.writeFloatBE(value / entry.scale)
    return order(entry, [buf.readUInt16BE(0), buf.readUInt16BE(2)])
  }
  const raw = Math.round(value / entry.scale)
  switch (entry.type) {
    case 'int16':
      return [clamp(raw, -0x8000, 0x7fff) & 0xffff]
    case 'uint16':
      return [clamp(raw, 0, 0xffff)]
    case 'int32': {
      const v = clamp(raw, -0x80000000, 0x7fffffff) >>> 0
      return order(entry, [v >>> 16, v & 0xffff])
    }
    case 'uint32': {
      const v = clamp(raw, 0, 0xffffffff)
      return order(entry, [Math.floor(v / 0x10000), v % 0x10000])
    }
  }
}

/** Register words → engineering value; the inverse of `encodeEntry` up to the raw step. */
export function decodeEntry(entry: RegisterEntry, words: readonly number[]): number {
  if (entry.type === 'bool') return words[0] ? 1 : 0
  // Word order only applies to 32-bit values; a 16-bit entry is one word whatever it says.
  const swap = entry.wordOrder === 'little' && registerCount(entry.type) === 2
  const [w0 = 0, w1 = 0] = swap ? [words[1], words[0]] : words
  const buf = Buffer.alloc(4)
  buf.writeUInt16BE(w0 & 0xffff, 0)
  buf.writeUInt16BE(w1 & 0xffff, 2)
  let raw: number
  switch (entry.type) {
    case 'int16':
      raw = buf.readInt16BE(0)
      break
    case 'uint16':
      raw = buf.readUInt16BE(0)
      break
    case 'int32':
      raw = buf.readInt32BE(0)
      break
    case 'uint32':
      raw = buf.readUInt32BE(0)
      break
    case 'float32':
      raw = buf.readFloatBE(0)
      break
  }
  return raw * entry.scale
}

function order(entry: RegisterEntry, highFirst: [number, number]): number[] {
  return entry.wordOrder === 'little' ? [highFirst[1], highFirst[0]] : highFirst
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v))
}
