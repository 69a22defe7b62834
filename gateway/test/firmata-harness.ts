import { createRequire } from 'node:module'
import type { FirmataIoFactory, IoPlugin } from '../src/firmata/io.js'

/**
 * Firmata boards for tests: johnny-five's own mock IO plugin (mock-firmata, an Uno's pin
 * table on board-io) with the wire side a real board would have: it remembers the pin
 * modes and levels the gateway wrote, and streams analog samples every 20 ms the way
 * StandardFirmata reports analog pins, from values the test sets.
 */
const load = createRequire(import.meta.url)
const { Firmata: MockFirmata } = load('mock-firmata') as { Firmata: new () => IoPlugin }

export class MockBoard extends MockFirmata {
  readonly analogListeners = new Map<number, ((v: number) => void)[]>()
  readonly digitalListeners = new Map<number, ((v: number) => void)[]>()
  /** Pin → last level written. */
  readonly levels = new Map<number, number>()
  readonly modes = new Map<number, number>()
  readonly writes: [pin: number, level: number][] = []
  closed = false

  override analogRead(pin: number, cb: (v: number) => void): void {
    this.analogListeners.set(pin, [...(this.analogListeners.get(pin) ?? []), cb])
  }
  override digitalRead(pin: number, cb: (v: number) => void): void {
    this.digitalListeners.set(pin, [...(this.digitalListeners.get(pin) ?? []), cb])
  }
  override digitalWrite(pin: number, value: number): void {
    this.levels.set(pin, value)
    this.writes.push([pin, value])
  }
  override pinMode(pin: number, mode: number): void {
    this.modes.set(pin, mode)
  }
  /** A sample on an analog channel, as the board's periodic report. */
  sample(channel: number, value: number): void {
    for (const cb of this.analogListeners.get(channel) ?? []) cb(value)
  }
  /** A digital pin's level, as the board reports a change. */
  level(pin: number, value: number): void {
    for (const cb of this.digitalListeners.get(pin) ?? []) cb(value)
  }
}

export interface BoardBench {
  factory: FirmataIoFactory
  /** Every IO plugin built for a device, oldest first. */
  boards(deviceId: string): MockBoard[]
  current(deviceId: string): MockBoard | undefined
  /** Analog values each device's board streams (channel → raw count). */
  analog(deviceId: string, channel: number, raw: number): void
  /** Unplug now (the port closes) and refuse to open again until `plug`. */
  unplug(deviceId: string): void
  plug(deviceId: string): void
  /** The board stays connected but sends nothing (a hung sketch). */
  hang(deviceId: string): void
  close(): void
}

export function boardBench(): BoardBench {
  const built = new Map<string, MockBoard[]>()
  const values = new Map<string, Map<number, number>>()
  const unplugged = new Set<string>()
  const hung = new Set<string>()
  const current = (id: string) => built.get(id)?.at(-1)
  const feeder = setInterval(() => {
    for (const [id, channels] of values) {
      const board = current(id)
      if (!board || board.closed || hung.has(id) || !board.isReady) continue
      for (const [channel, raw] of channels) board.sample(channel, raw)
    }
  }, 20)
  return {
    factory: ({ id, firmata }) => {
      const board = new MockBoard()
      built.set(id, [...(built.get(id) ?? []), board])
      // As serialport does: the open fails asynchronously, and the plugin reports it.
      if (unplugged.has(id)) setImmediate(() => board.emit('error', new Error(`Error: No such file or directory, cannot open ${firmata.port}`)))
      else
        setTimeout(() => {
          if (board.closed) return
          board.emit('connect')
          board.emit('ready')
        }, 5)
      return {
        io: board,
        close: async () => {
          board.closed = true
        },
      }
    },
    boards: (id) => built.get(id) ?? [],
    current,
    analog(id, channel, raw) {
      if (!values.has(id)) values.set(id, new Map())
      values.get(id)!.set(channel, raw)
    },
    unplug(id) {
      unplugged.add(id)
      const board = current(id)
      if (board && !board.closed) board.emit('close')
    },
    plug: (id) => void unplugged.delete(id),
    hang: (id) => void hung.add(id),
    close: () => clearInterval(feeder),
  }
}
