import { createRequire } from 'node:module'
import type { EventEmitter } from 'node:events'
import type { SerialPort } from 'serialport'
import { FIRMATA_DEFAULTS, type FirmataDeviceConfig } from './schema.js'

/*
 * johnny-five, firmata-io and serialport are CommonJS without (j5, firmata-io) or with
 * heavy (serialport) typings; the little of them the driver uses is typed here. They are
 * loaded with a require of our own so the production bundle (scripts/build.mjs) leaves
 * them in node_modules: serialport's native binding cannot be bundled, and it is not a
 * direct dependency of the gateway, so esbuild would otherwise try.
 */
const load = createRequire(import.meta.url)

/** A johnny-five IO plugin: firmata-io's Firmata in production, mock-firmata in tests. */
export interface IoPlugin extends EventEmitter {
  readonly isReady: boolean
  readonly MODES: { INPUT: number; OUTPUT: number; ANALOG: number; PULLUP?: number }
  analogRead(pin: number, callback: (value: number) => void): void
  digitalRead(pin: number, callback: (value: number) => void): void
  digitalWrite(pin: number, value: number): void
  pinMode(pin: number, mode: number): void
}

export interface J5Board extends EventEmitter {
  readonly io: IoPlugin
  readonly isReady: boolean
  timer: NodeJS.Timeout | null
  pinMode(pin: number, mode: number): J5Board
}
export interface J5Sensor extends EventEmitter {
  readonly raw: number | null
  readonly pin: number
  /** Window length (ms); null stops the sensor's interval, a number (re)starts it. */
  freq: number | null
}
export interface J5Relay {
  readonly pin: number
  readonly isClosed: boolean
  close(): J5Relay
  open(): J5Relay
}

interface JohnnyFive {
  Board: (new (opts: Record<string, unknown>) => J5Board) & { readonly cache: J5Board[]; Pins: { normalize: { clear(): void } } }
  Sensor: new (opts: Record<string, unknown>) => J5Sensor
  Relay: new (opts: Record<string, unknown>) => J5Relay
}

let five: JohnnyFive | undefined
/** Loaded on first use, so a site without Firmata boards never loads johnny-five. */
export function johnnyFive(): JohnnyFive {
  return (five ??= load('johnny-five') as JohnnyFive)
}

/** An IO plugin and how to let go of what it holds (the serial port). */
export interface FirmataConnection {
  io: IoPlugin
  /** Releases the port; safe to call more than once, never throws. */
  close(): Promise<void>
}

/** Builds a device's IO plugin; tests pass one that returns mock-firmata. */
export type FirmataIoFactory = (device: { id: string; firmata: FirmataDeviceConfig }) => FirmataConnection

/**
 * Production: StandardFirmata over serialport 13 through firmata-io (transport-agnostic
 * Firmata). The port is opened here, after the IO plugin listens to it, so an open error
 * (no such device, permission denied) reaches the driver as the plugin's `error`.
 */
export const serialFirmata: FirmataIoFactory = ({ firmata }) => {
  const { SerialPort: Port } = load('serialport') as { SerialPort: typeof SerialPort }
  const { Firmata } = load('firmata-io') as { Firmata: new (transport: unknown, opts?: object) => IoPlugin & { reportVersionTimeoutId?: NodeJS.Timeout } }
  const port = new Port({ path: firmata.port, baudRate: firmata.baudRate ?? FIRMATA_DEFAULTS.baudRate, autoOpen: false })
  // firmata-io re-emits transport errors; the driver listens on the plugin.
  port.on('error', () => {})
  // firmata-io waits 5 s for the banner a board sends after its reset before asking for it;
  // a board that does not reset when the port opens would otherwise eat most of timeoutMs.
  const timeoutMs = firmata.timeoutMs ?? FIRMATA_DEFAULTS.timeoutMs
  const io = new Firmata(port, { reportVersionTimeout: Math.min(5000, Math.floor(timeoutMs / 2)) })
  port.open((err) => {
    if (err) io.emit('error', err)
  })
  let closed: Promise<void> | undefined
  return {
    io,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        // firmata-io's "ask for the version" timer would otherwise write to a dead port in 5 s.
        clearTimeout(io.reportVersionTimeoutId)
        if (!port.isOpen) return resolve()
        // A port whose other end is gone may never drain or close: give up waiting and
        // destroy it, so a stopping gateway is never held up by a dead board.
        const giveUp = setTimeout(() => {
          port.destroy()
          resolve()
        }, 1000)
        const done = () => {
          clearTimeout(giveUp)
          resolve()
        }
        // Drain first: the fail-safe writes of a stopping gateway are still in the queue.
        port.drain(() => port.close(done))
      })),
  }
}
