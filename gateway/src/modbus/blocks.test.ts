import { describe, expect, it } from 'vitest'
import { planBlocks } from './blocks.js'
import type { RegisterSpec } from './codec.js'

const reg = (name: string, fn: RegisterSpec['fn'], address: number, type?: RegisterSpec['type']): RegisterSpec => ({ name, fn, address, ...(type ? { type } : {}) })

describe('modbus block planning', () => {
  it('makes one block per function code for a contiguous map', () => {
    const blocks = planBlocks([
      reg('a', 'holding', 0, 'int16'),
      reg('b', 'holding', 1, 'float32'),
      reg('c', 'holding', 3, 'uint32'),
      reg('t', 'input', 10, 'int16'),
      reg('u', 'input', 11),
      reg('relay', 'coil', 0),
      reg('relay2', 'coil', 1),
      reg('door', 'discrete', 7),
    ])
    expect(blocks.map((b) => [b.fn, b.start, b.length, b.registers.length])).toEqual([
      ['holding', 0, 5, 3],
      ['input', 10, 2, 2],
      ['coil', 0, 2, 2],
      ['discrete', 7, 1, 1],
    ])
  })

  it('sorts by address and splits at holes unless maxGap allows them', () => {
    const regs = [reg('z', 'holding', 20), reg('a', 'holding', 0), reg('b', 'holding', 1)]
    expect(planBlocks(regs).map((b) => [b.start, b.length])).toEqual([[0, 2], [20, 1]])
    expect(planBlocks(regs, { maxGap: 18 }).map((b) => [b.start, b.length])).toEqual([[0, 21]])
  })

  it('never asks for more than 125 words in one request', () => {
    const regs = Array.from({ length: 100 }, (_, i) => reg(`r${i}`, 'input', i * 2, 'float32'))
    const blocks = planBlocks(regs)
    expect(blocks.map((b) => [b.start, b.length])).toEqual([[0, 124], [124, 76]])
    // A 32-bit value is never split across two requests.
    expect(blocks.flatMap((b) => b.registers)).toHaveLength(100)
  })

  it('keeps overlapping entries (the same words read two ways) in one block', () => {
    const blocks = planBlocks([reg('raw', 'holding', 4, 'uint32'), reg('hi', 'holding', 4, 'uint16'), reg('lo', 'holding', 5, 'int16')])
    expect(blocks.map((b) => [b.start, b.length, b.registers.length])).toEqual([[4, 2, 3]])
  })
})
