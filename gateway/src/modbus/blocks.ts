import { isBitFn, registerWidth, type RegisterFn, type RegisterSpec } from './codec.js'

/** One read request: a function code, a start address and a length, and what it holds. */
export interface ReadBlock {
  fn: RegisterFn
  start: number
  length: number
  registers: RegisterSpec[]
}

/** Protocol limits per request (Modbus application protocol 6.1–6.4). */
export const MAX_WORDS = 125
export const MAX_BITS = 2000

/**
 * Groups a device's register map into as few block reads as the protocol allows: per
 * function code, sorted by address, merged while the run stays contiguous (or within
 * `maxGap` unused addresses; reading holes can raise illegal-address exceptions on strict
 * devices, so the default is none) and under the per-request limit.
 */
export function planBlocks(registers: readonly RegisterSpec[], opts: { maxGap?: number; maxWords?: number } = {}): ReadBlock[] {
  const maxGap = opts.maxGap ?? 0
  const blocks: ReadBlock[] = []
  const byFn = new Map<RegisterFn, RegisterSpec[]>()
  for (const r of registers) byFn.set(r.fn, [...(byFn.get(r.fn) ?? []), r])
  for (const [fn, specs] of byFn) {
    const limit = isBitFn(fn) ? MAX_BITS : Math.min(opts.maxWords ?? MAX_WORDS, MAX_WORDS)
    let current: ReadBlock | undefined
    for (const spec of [...specs].sort((a, b) => a.address - b.address)) {
      const end = spec.address + registerWidth(spec)
      if (current && spec.address <= current.start + current.length + maxGap && end - current.start <= limit) {
        current.length = Math.max(current.length, end - current.start)
        current.registers.push(spec)
        continue
      }
      current = { fn, start: spec.address, length: end - spec.address, registers: [spec] }
      blocks.push(current)
    }
  }
  return blocks
}
