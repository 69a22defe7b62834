import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import type { IoPlugin, J5Board } from './io.js'
import { StableIo } from './stable-io.js'

/** A plugin that records what it is asked, and a j5-like board around it. */
function fakeBoard(name: string) {
  const calls: string[] = []
  const io = Object.assign(new EventEmitter(), {
    name,
    isReady: true,
    MODES: { INPUT: 0, OUTPUT: 1, ANALOG: 2 },
    analogRead: (pin: number) => void calls.push(`analogRead ${pin}`),
    digitalRead: (pin: number) => void calls.push(`digitalRead ${pin}`),
    digitalWrite: (pin: number, v: number) => void calls.push(`digitalWrite ${pin} ${v}`),
    pinMode: (pin: number, mode: number) => void calls.push(`pinMode ${pin} ${mode}`),
  }) as unknown as IoPlugin
  const board = { io, pins: [name], register: [] as unknown[] } as unknown as J5Board
  return { board, calls }
}

describe('StableIo', () => {
  it('forwards to the attached board and replays modes and reads on the next one', () => {
    const stable = new StableIo()
    const first = fakeBoard('first')
    stable.attach(first.board)
    stable.io.pinMode(14, 2)
    stable.io.analogRead(0, () => {})
    stable.io.pinMode(2, 0)
    stable.io.digitalRead(2, () => {})
    stable.io.pinMode(2, 11) // the pull-up replaces INPUT
    stable.io.digitalWrite(7, 1)
    expect(first.calls).toEqual(['pinMode 14 2', 'analogRead 0', 'pinMode 2 0', 'digitalRead 2', 'pinMode 2 11', 'digitalWrite 7 1'])
    // Components reach the live board's fields through theirs.
    expect((stable.board as unknown as { pins: string[] }).pins).toEqual(['first'])
    expect((stable.io as unknown as { name: string }).name).toBe('first')

    stable.detach()
    stable.io.digitalWrite(7, 0)
    expect(first.calls).toHaveLength(6)
    expect(Object.getPrototypeOf(stable.board)).toBeNull()

    const second = fakeBoard('second')
    stable.attach(second.board)
    // Modes once per pin, last one wins; reads re-subscribed; writes are not replayed.
    expect(second.calls).toEqual(['pinMode 14 2', 'pinMode 2 11', 'analogRead 0', 'digitalRead 2'])
    expect((stable.board as unknown as { pins: string[] }).pins).toEqual(['second'])
    expect(stable.board.io).toBe(stable.io)
  })
})
