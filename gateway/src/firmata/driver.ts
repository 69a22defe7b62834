import type { Logger } from 'pino'
import { jitteredBackoff } from '../backoff.js'
import { deviceFailsafes, type RelayEntry } from '../failsafe/spec.js'
import { johnnyFive, serialFirmata, type FirmataConnection, type FirmataIoFactory, type J5Board, type J5Relay, type J5Sensor } from './io.js'
import { ReadingFilter, inputValue, scaleReading } from './readings.js'
import { FIRMATA_DEFAULTS, type FirmataDeviceConfig, type FirmataInputConfig, type FirmataSensorConfig } from './schema.js'
import { StableIo } from './stable-io.js'

export interface FirmataDriverOptions {
  devices: readonly { id: string; firmata: FirmataDeviceConfig; relays?: readonly RelayEntry[] | undefined }[]
  /** Window readings that passed their filter, scaled, keyed by metric; batched per event-loop turn. */
  onReadings(deviceId: string, readings: Record<string, number>): Promise<void>
  /** Inputs that changed, and relay positions the driver set on its own (fail-safe on connect and stop). */
  onState(deviceId: string, state: Record<string, boolean>): Promise<void>
  /** Presence: online once the board's handshake is done, offline when it fails or goes silent. */
  onPresence(deviceId: string, online: boolean): Promise<void>
  logger: Logger
  /** Default: StandardFirmata over the device's serial port. */
  ioFactory?: FirmataIoFactory
  /** Wall clock for `lastReadingAt` (the gateway's, so it agrees with the log); default Date.now. */
  now?: () => number
  random?: () => number
}

export interface FirmataDeviceStatus {
  deviceId: string
  /** Undefined until the first handshake or the first failure. */
  online: boolean | undefined
  /** Wall time (ms) the last reading was logged. */
  lastReadingAt?: number
  /** The last failure, kept after the board recovers. */
  lastError?: string
  consecutiveFailures: number
  /** Successful handshakes since the gateway started. */
  connects: number
  /** Relay positions as last driven (true = energised). */
  relays: Record<string, boolean>
}

/** A write refused by configuration or because the board is not there; `code` says which. */
export class FirmataWriteError extends Error {
  constructor(
    readonly code: 'FIRMATA_ERR_UNKNOWN_DEVICE' | 'FIRMATA_ERR_UNKNOWN_RELAY' | 'FIRMATA_ERR_UNAVAILABLE',
    message: string,
  ) {
    super(message)
  }
}

/** One connection attempt: everything it created, so a failure can take it all down. */
interface Session {
  conn: FirmataConnection
  board?: J5Board
  timers: NodeJS.Timeout[]
  ready: boolean
  ended: boolean
  lastSampleAt: number
  /** Analog channels and digital pins the board has reported in this session. */
  sampled: Set<string>
}

/** The device's johnny-five components: built at the first handshake, kept across reconnects (stable-io.ts). */
interface Components {
  stable: StableIo
  sensors: { sensor: J5Sensor; everyMs: number }[]
  relays: Map<string, J5Relay>
}

const messageOf = (err: unknown): string =>
  err instanceof Error ? err.message : typeof (err as { message?: unknown })?.message === 'string' ? (err as { message: string }).message : String(err)

/**
 * One board: connect, build the johnny-five components from the pin map, and on any
 * failure (open error, no handshake, port closed, silence) tear everything down and retry
 * with backoff. Nothing here throws into johnny-five's emitters.
 */
class BoardChannel {
  readonly status: FirmataDeviceStatus
  private session: Session | undefined
  private retry: NodeJS.Timeout | undefined
  private stopped = false
  private readonly filters = new Map<string, ReadingFilter>()
  private pending: Record<string, number> | undefined
  private readonly inFlight = new Set<Promise<void>>()
  private readonly failsafes: { relay: string; on: boolean }[]
  private parts: Components | undefined
  /** Input levels logged in this session, by state key. */
  private readonly inputsLogged = new Map<string, boolean>()

  constructor(
    readonly id: string,
    private readonly cfg: FirmataDeviceConfig,
    relays: readonly RelayEntry[] | undefined,
    private readonly opts: FirmataDriverOptions,
    private readonly logger: Logger,
  ) {
    this.status = { deviceId: id, online: undefined, consecutiveFailures: 0, connects: 0, relays: {} }
    for (const s of cfg.sensors ?? []) this.filters.set(s.metric, new ReadingFilter(s))
    // A board cannot run a duty cycle on its own, so `duty` rests de-energised like `off`.
    this.failsafes = deviceFailsafes(relays).map(({ relay, failsafe }) => ({ relay, on: failsafe.mode === 'on' }))
  }

  private now(): number {
    return (this.opts.now ?? Date.now)()
  }

  start(): void {
    if (!this.session && !this.retry) this.connect()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.retry)
    const session = this.session
    if (session?.ready && !session.ended) {
      // The gateway is going away: the one moment it can still put relays where the site
      // declared them safe for when nobody is in control.
      this.applyFailsafes('gateway stopping')
      this.status.online = false
      this.track(this.opts.onPresence(this.id, false), 'offline state')
    }
    if (session) this.teardown(session)
    this.flush()
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
  }

  write(relay: string, on: boolean): void {
    if (!this.cfg.relays?.some((r) => r.name === relay)) throw new FirmataWriteError('FIRMATA_ERR_UNKNOWN_RELAY', `device "${this.id}" has no relay "${relay}"`)
    const session = this.session
    const target = session?.ready && !session.ended && !this.stopped ? this.parts?.relays.get(relay) : undefined
    if (!target)
      throw new FirmataWriteError(
        'FIRMATA_ERR_UNAVAILABLE',
        `board "${this.id}" is not connected${this.status.lastError ? ` (${this.status.lastError})` : ''}`,
      )
    if (on) target.close()
    else target.open()
    this.status.relays[relay] = on
  }

  private connect(): void {
    this.retry = undefined
    if (this.stopped) return
    let conn: FirmataConnection
    try {
      conn = (this.opts.ioFactory ?? serialFirmata)({ id: this.id, firmata: this.cfg })
    } catch (err) {
      this.fail(undefined, err)
      return
    }
    const session: Session = { conn, timers: [], ready: false, ended: false, lastSampleAt: 0, sampled: new Set() }
    this.session = session
    const fail = (err: unknown) => this.fail(session, err)
    // Listeners stay after teardown (they see `ended`), so a late error never goes unhandled.
    conn.io.on('error', fail)
    conn.io.on('close', () => fail(new Error('serial port closed')))
    conn.io.on('disconnect', () => fail(new Error('board disconnected')))
    const timeoutMs = this.cfg.timeoutMs ?? FIRMATA_DEFAULTS.timeoutMs
    session.timers.push(setTimeout(() => fail(new Error(`no Firmata handshake within ${timeoutMs} ms (is StandardFirmata flashed?)`)), timeoutMs))
    try {
      // repl/debug/sigint off: johnny-five would otherwise open a REPL on stdin, print to
      // stdout, and install a SIGINT handler that exits the process behind the gateway's back.
      const board = new (johnnyFive().Board)({ io: conn.io, id: `firmata-${this.id}`, repl: false, debug: false, sigint: false, timeout: timeoutMs })
      session.board = board
      board.on('error', fail)
      board.on('fail', fail)
      board.on('ready', () => this.ready(session))
    } catch (err) {
      fail(err)
    }
  }

  private ready(session: Session): void {
    if (session.ended) return
    const board = session.board!
    // Our own subscriptions on the plugin: proof the board is talking (silenceMs), and that
    // a component's value comes from this connection, not from before an outage.
    for (const spec of this.cfg.sensors ?? [])
      board.io.analogRead(Number(spec.pin.slice(1)), () => {
        session.lastSampleAt = performance.now()
        session.sampled.add(spec.pin)
      })
    for (const input of this.cfg.inputs ?? []) board.io.digitalRead(input.pin, () => session.sampled.add(String(input.pin)))
    try {
      if (this.parts) this.parts.stable.attach(board)
      else this.parts = this.build(board)
      for (const { sensor, everyMs } of this.parts.sensors) sensor.freq = everyMs
    } catch (err) {
      this.fail(session, err)
      return
    }
    for (const t of session.timers) clearTimeout(t)
    session.timers.length = 0
    session.ready = true
    session.lastSampleAt = performance.now()
    if ((this.cfg.sensors ?? []).length > 0) {
      const silenceMs = this.cfg.silenceMs ?? FIRMATA_DEFAULTS.silenceMs
      const watchdog = setInterval(() => {
        if (performance.now() - session.lastSampleAt > silenceMs) this.fail(session, new Error(`no data from the board for ${silenceMs} ms`))
      }, Math.min(1000, Math.ceil(silenceMs / 4)))
      session.timers.push(watchdog)
    }
    const recovered = this.status.online === false
    this.status.online = true
    this.status.consecutiveFailures = 0
    this.status.connects++
    for (const f of this.filters.values()) f.reset()
    this.inputsLogged.clear()
    this.logger.info({ deviceId: this.id, port: this.cfg.port, connects: this.status.connects }, recovered ? 'firmata board back' : 'firmata board ready')
    this.track(this.opts.onPresence(this.id, true), 'online state')
    this.applyFailsafes('connected')
  }

  /** The johnny-five components for the pin map, on a StableIo attached to `board`. */
  private build(board: J5Board): Components {
    const five = johnnyFive()
    const stable = new StableIo()
    stable.attach(board)
    const parts: Components = { stable, sensors: [], relays: new Map() }
    try {
      for (const spec of this.cfg.sensors ?? []) {
        const everyMs = spec.everyMs ?? FIRMATA_DEFAULTS.sensorEveryMs
        const sensor = new five.Sensor({ pin: spec.pin, freq: everyMs, board: stable.board })
        sensor.on('data', (median: number) => this.onWindow(spec, sensor, median))
        parts.sensors.push({ sensor, everyMs })
      }
      for (const input of this.cfg.inputs ?? []) {
        const everyMs = input.everyMs ?? FIRMATA_DEFAULTS.inputEveryMs
        const sensor = new five.Sensor({ pin: input.pin, type: 'digital', freq: everyMs, board: stable.board })
        // After the sensor's own pinMode(INPUT), which would undo it.
        if (input.pullup) stable.board.pinMode(input.pin, board.io.MODES.PULLUP ?? 0x0b)
        sensor.on('data', (level: number | null) => this.onInput(input, level))
        parts.sensors.push({ sensor, everyMs })
      }
      for (const spec of this.cfg.relays ?? []) {
        // johnny-five's Relay leaves a digital pin's mode alone; StandardFirmata's boot default
        // (OUTPUT) is not a promise every firmware keeps.
        stable.board.pinMode(spec.pin, board.io.MODES.OUTPUT)
        // An "NC" relay in johnny-five is one driven LOW to close: an active-low module.
        parts.relays.set(spec.name, new five.Relay({ pin: spec.pin, type: spec.activeLow ? 'NC' : 'NO', board: stable.board }))
      }
    } catch (err) {
      for (const { sensor } of parts.sensors) sensor.freq = null
      stable.detach()
      throw err
    }
    return parts
  }

  /** Every look at an input: log its first level of the session, then each change. */
  private onInput(input: FirmataInputConfig, level: number | null): void {
    const session = this.session
    if (!session?.ready || session.ended || level === null || !session.sampled.has(String(input.pin))) return
    const value = inputValue(level, input.invert)
    if (this.inputsLogged.get(input.state) === value) return
    this.inputsLogged.set(input.state, value)
    this.track(this.opts.onState(this.id, { [input.state]: value }), 'input state')
  }

  /**
   * Relays go to their fail-safe positions on every handshake: the gateway cannot know what
   * the board holds after an outage (a USB reconnect resets an Uno, and StandardFirmata then
   * drives every pin LOW, which energises an active-low module), and any command sent
   * before it is done or expired. Rules take over from this known state.
   */
  private applyFailsafes(why: string): void {
    const state: Record<string, boolean> = {}
    for (const f of this.failsafes) {
      const relay = this.parts?.relays.get(f.relay)
      if (!relay) continue
      if (f.on) relay.close()
      else relay.open()
      state[f.relay] = f.on
      this.status.relays[f.relay] = f.on
    }
    if (Object.keys(state).length === 0) return
    this.logger.info({ deviceId: this.id, relays: state, why }, 'firmata relays set to their fail-safe positions')
    this.track(this.opts.onState(this.id, state), 'fail-safe relay state')
  }

  private onWindow(spec: FirmataSensorConfig, sensor: J5Sensor, median: number): void {
    const session = this.session
    // Until this connection's first sample the median is johnny-five's 0 or the last one from before an outage.
    if (!session?.ready || session.ended || sensor.raw === null || !session.sampled.has(spec.pin)) return
    const value = scaleReading(median, spec)
    if (!Number.isFinite(value) || !this.filters.get(spec.metric)!.accept(value, this.now())) return
    // Sensors on the same interval fire in the same timers phase: one event for all of them.
    if (!this.pending) setImmediate(() => this.flush())
    this.pending ??= {}
    this.pending[spec.metric] = value
  }

  private flush(): void {
    const readings = this.pending
    this.pending = undefined
    if (!readings) return
    this.status.lastReadingAt = this.now()
    this.track(this.opts.onReadings(this.id, readings), 'readings')
  }

  private fail(session: Session | undefined, err: unknown): void {
    if (session) {
      if (session.ended) return
      this.teardown(session)
    }
    if (this.stopped) return
    const wasOnline = this.status.online
    this.status.online = false
    this.status.consecutiveFailures++
    this.status.lastError = messageOf(err).slice(0, 200)
    const failures = this.status.consecutiveFailures
    const delay = jitteredBackoff(failures, this.cfg.retryMs ?? FIRMATA_DEFAULTS.retryMs, Math.max(this.cfg.retryMs ?? FIRMATA_DEFAULTS.retryMs, this.cfg.backoffCapMs ?? FIRMATA_DEFAULTS.backoffCapMs), this.opts.random)
    const fields = { deviceId: this.id, port: this.cfg.port, failures, err: this.status.lastError, retryInMs: Math.round(delay) }
    if (wasOnline !== false) this.logger.warn(fields, 'firmata board unavailable')
    else this.logger.debug(fields, 'firmata board still unavailable')
    if (wasOnline !== false) this.track(this.opts.onPresence(this.id, false), 'offline state')
    this.retry = setTimeout(() => this.connect(), delay)
  }

  private teardown(session: Session): void {
    session.ended = true
    if (this.session === session) this.session = undefined
    for (const t of session.timers) {
      clearTimeout(t)
      clearInterval(t)
    }
    const five = johnnyFive()
    if (this.parts) {
      // Stops the sensors' intervals; without it they would keep reporting their last median.
      for (const { sensor } of this.parts.sensors) sensor.freq = null
      this.parts.stable.detach()
    }
    const board = session.board
    if (board) {
      if (board.timer) clearTimeout(board.timer)
      // The global registry (Board.cache) would otherwise grow by one board per reconnect.
      const cache = five.Board.cache
      const at = cache.indexOf(board)
      if (at >= 0) cache.splice(at, 1)
    }
    this.track(session.conn.close(), 'port close')
  }

  private track(work: Promise<void>, what: string): void {
    const p = work
      .catch((err: unknown) => this.logger.error({ deviceId: this.id, err }, `firmata ${what} not recorded`))
      .finally(() => this.inFlight.delete(p))
    this.inFlight.add(p)
  }
}

/** The site's Firmata boards, each on its own serial port and its own reconnect schedule. */
export class FirmataDriver {
  private readonly channels = new Map<string, BoardChannel>()

  constructor(opts: FirmataDriverOptions) {
    for (const d of opts.devices) this.channels.set(d.id, new BoardChannel(d.id, d.firmata, d.relays, opts, opts.logger))
  }

  has(deviceId: string): boolean {
    return this.channels.has(deviceId)
  }

  start(): void {
    for (const ch of this.channels.values()) ch.start()
  }

  /** Puts relays in their fail-safe positions, closes the ports, and waits for the log writes. */
  async stop(): Promise<void> {
    await Promise.all([...this.channels.values()].map((ch) => ch.stop()))
  }

  status(): FirmataDeviceStatus[] {
    return [...this.channels.values()].map((ch) => structuredClone(ch.status))
  }

  /**
   * Switches a relay now. Firmata has no acknowledgement for a pin write: success means the
   * board had finished its handshake and the write went to its port.
   */
  write(deviceId: string, relay: string, on: boolean): void {
    const ch = this.channels.get(deviceId)
    if (!ch) throw new FirmataWriteError('FIRMATA_ERR_UNKNOWN_DEVICE', `"${deviceId}" is not a Firmata device`)
    ch.write(relay, on)
  }
}
