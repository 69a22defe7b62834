/**
 * Declarative Modbus register maps: one entry per reading, decoded from the 16-bit words
 * of a block read and encoded for writes. Bytes within a word are always big-endian
 * (Modbus application protocol 4.2); only the order of the two words of a 32-bit value
 * varies between vendors, hence `wordOrder`.
 */

export const REGISTER_FNS = ['holding', 'input', 'coil', 'discrete'] as const
export type RegisterFn = (typeof REGISTER_FNS)[number]
export const REGISTER_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32'] as const
export type RegisterType = (typeof REGISTER_TYPES)[number]
export type WordOrder = 'big' | 'little'

export interface RegisterSpec {
  /** The metric the reading is logged as, e.g. `temperature_c`; also the write target name. */
  name: string
  /** Zero-based protocol address (register 40001 is holding address 0). */
  address: number
  fn: RegisterFn
  /** Ignored for coils and discrete inputs, which read as 0/1. Default uint16. */
  type?: RegisterType
  /** `big`: high word at the lower address (the Modbus convention); `little`: swapped. */
  wordOrder?: WordOrder
  /** value = raw * scale + offset. */
  scale?: number
  offset?: number
  unit?: string
}

export function isBitFn(fn: RegisterFn): boolean {
  return fn === 'coil' || fn === 'discrete'
}

/** How many addresses the entry spans: 1 bit, or 1 or 2 words. */
export function registerWidth(spec: Pick<RegisterSpec, 'fn' | 'type'>): number {
  if (isBitFn(spec.fn)) return 1
  const type = spec.type ?? 'uint16'
  return type === 'int16' || type === 'uint16' ? 1 : 2
}

const scratch = new DataView(new ArrayBuffer(4))

/** The raw (unscaled) value of a register type held in `words` (1 or 2 words, in wire order). */
export function decodeRaw(type: RegisterType, words: readonly number[], wordOrder: WordOrder = 'big'): number {
  if (type === 'int16' || type === 'uint16') {
    scratch.setUint16(0, words[0]! & 0xffff)
    return type === 'int16' ? scratch.getInt16(0) : scratch.getUint16(0)
  }
  const [hi, lo] = wordOrder === 'big' ? [words[0]!, words[1]!] : [words[1]!, words[0]!]
  scratch.setUint16(0, hi & 0xffff)
  scratch.setUint16(2, lo & 0xffff)
  if (type === 'int32') return scratch.getInt32(0)
  if (type === 'uint32') return scratch.getUint32(0)
  return scratch.getFloat32(0)
}

/** The words (wire order) that hold `raw` as the register type; throws when it does not fit. */
export function encodeRaw(type: RegisterType, raw: number, wordOrder: WordOrder = 'big'): number[] {
  if (!Number.isFinite(raw) && type !== 'float32') throw new RangeError(`${raw} is not a finite number`)
  const bounds: Record<Exclude<RegisterType, 'float32'>, [number, number]> = {
    int16: [-0x8000, 0x7fff],
    uint16: [0, 0xffff],
    int32: [-0x80000000, 0x7fffffff],
    uint32: [0, 0xffffffff],
  }
  if (type !== 'float32') {
    const [min, max] = bounds[type]
    if (!Number.isInteger(raw) || raw < min || raw > max) throw new RangeError(`${raw} does not fit ${type} (${min}..${max})`)
  }
  if (type === 'int16' || type === 'uint16') {
    scratch.setUint16(0, raw & 0xffff)
    return [scratch.getUint16(0)]
  }
  if (type === 'int32') scratch.setInt32(0, raw)
  else if (type === 'uint32') scratch.setUint32(0, raw)
  else scratch.setFloat32(0, raw)
  const hi = scratch.getUint16(0)
  const lo = scratch.getUint16(2)
  return wordOrder === 'big' ? [hi, lo] : [lo, hi]
}

/**
 * The scaled reading of `spec` from a block that starts at `blockStart`. Bit functions
 * take booleans (or 0/1) and read as 0/1, like every boolean reading in Tendero.
 */
export function decodeRegister(spec: RegisterSpec, block: readonly (number | boolean)[], blockStart: number): number {
  const at = spec.address - blockStart
  const width = registerWidth(spec)
  if (at < 0 || at + width > block.length) throw new RangeError(`register ${spec.name} (${spec.address}) is outside the block read`)
  if (isBitFn(spec.fn)) return block[at] ? 1 : 0
  const words = block.slice(at, at + width).map(Number)
  const raw = decodeRaw(spec.type ?? 'uint16', words, spec.wordOrder)
  if (spec.scale === undefined && spec.offset === undefined) return raw
  // 226 * 0.1 is 22.600000000000001 in binary; 12 significant digits keep the log readable
  // and lose nothing a 32-bit register can hold.
  return Number((raw * (spec.scale ?? 1) + (spec.offset ?? 0)).toPrecision(12))
}

/**
 * What to write for an engineering value: the inverse of decodeRegister. Integer types
 * round to the nearest step of `scale` (22.56 °C at scale 0.1 is 226).
 */
export function encodeRegister(spec: RegisterSpec, value: number): number[] | boolean {
  if (isBitFn(spec.fn)) return value !== 0
  const type = spec.type ?? 'uint16'
  const raw = (value - (spec.offset ?? 0)) / (spec.scale ?? 1)
  return encodeRaw(type, type === 'float32' ? raw : Math.round(raw), spec.wordOrder)
}
