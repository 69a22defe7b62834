import type { IoPlugin, J5Board } from './io.js'

type Read = { kind: 'analogRead' | 'digitalRead'; pin: number; callback: (value: number) => void }

/**
 * What johnny-five's components of one device are built on, once for the life of the
 * gateway, so reconnects do not pile them up: j5 keeps every component it ever made in
 * module-level maps, and a component holds its board, plugin and port through closures.
 *
 * The components get a board of their own (`board`), which inherits from the live j5
 * Board and carries this facade as its `io`. The facade forwards to the live plugin and
 * remembers the pin modes and read subscriptions the components asked for, so a new
 * plugin gets the same ones replayed. Between connections it holds nothing of the old one.
 */
export class StableIo {
  private current: IoPlugin | undefined
  private readonly modes = new Map<number, number>()
  private readonly reads: Read[] = []
  /** Properties seen to be methods, so a late call between connections is a no-op, not a TypeError in a timer. */
  private readonly methods = new Set<string | symbol>()
  readonly io: IoPlugin
  readonly board: J5Board

  constructor() {
    this.io = new Proxy({} as IoPlugin, { get: (_target, prop) => this.get(prop) })
    this.board = Object.create(null) as J5Board
    Object.defineProperty(this.board, 'io', { value: this.io, enumerable: true })
  }

  /** Routes the components to a freshly connected board, replaying their modes and reads. */
  attach(board: J5Board): void {
    this.current = board.io
    Object.setPrototypeOf(this.board, board)
    for (const [pin, mode] of this.modes) board.io.pinMode(pin, mode)
    for (const r of this.reads) board.io[r.kind](r.pin, r.callback)
  }

  /** Lets go of the board; method calls until the next `attach` go nowhere. */
  detach(): void {
    this.current = undefined
    Object.setPrototypeOf(this.board, null)
  }

  private get(prop: string | symbol): unknown {
    const io = this.current
    switch (prop) {
      case 'pinMode':
        return (pin: number, mode: number) => {
          this.modes.set(pin, mode)
          io?.pinMode(pin, mode)
        }
      case 'analogRead':
      case 'digitalRead':
        return (pin: number, callback: (value: number) => void) => {
          this.reads.push({ kind: prop, pin, callback })
          io?.[prop](pin, callback)
        }
      default: {
        if (!io) return this.methods.has(prop) ? () => {} : undefined
        const value: unknown = Reflect.get(io, prop)
        if (typeof value !== 'function') return value
        this.methods.add(prop)
        return (value as (...args: unknown[]) => unknown).bind(io)
      }
    }
  }
}
