import type ModbusRTU from 'modbus-serial'
import type { Logger } from 'pino'
import { jitteredBackoff, WakeableSleep } from '../backoff.js'
import { planBlocks, type ReadBlock } from './blocks.js'
import { decodeRegister, encodeRegister, type RegisterSpec } from './codec.js'
import type { ModbusDeviceConfig } from './schema.js'
import { linkKey, ModbusLink, withTimeout } from './link.js'

export interface ModbusPollerOptions {
  devices: { id: string; modbus: ModbusDeviceConfig }[]
  /** One poll's readings, scaled, keyed by register name; called only when there are some. */
  onReadings(deviceId: string, readings: Record<string, number>): Promise<void>
  /** Presence: online after the first answer, offline after `unavailableAfter` failed polls. */
  onState(deviceId: string, online: boolean): Promise<void>
  logger: Logger
  random?: () => number
  /** Wall clock for `lastPollAt` (the gateway's, so it agrees with the log); default Date.now. */
  now?: () => number
  /**
   * Spread the devices' first polls over their interval (default true), so 50 devices at
   * 1 s do not all fire in the same millisecond every second: aligned timers queue their
   * requests behind each other and raised poll jitter p99 from ~3 ms to ~75 ms in
   * bench/scenarios/modbus-poll.ts.
   */
  staggerStarts?: boolean
  /** Every finished poll attempt, for timing (bench/scenarios/modbus-poll.ts): start on the monotonic clock. */
  onPoll?(deviceId: string, poll: { startedAt: number; durationMs: number; ok: boolean }): void
}

export interface ModbusException {
  fn: string
  start: number
  length: number
  /** The exception code the device answered (1 illegal function, 2 illegal address, ...). */
  code: number
  message: string
}

export interface ModbusDeviceStatus {
  deviceId: string
  /** Undefined until the device first answers or first reaches `unavailableAfter` failures. */
  online: boolean | undefined
  consecutiveFailures: number
  polls: number
  /** Configured interval, ms. */
  pollMs: number
  /** Wall time (ms) the device last answered a poll; undefined until it has. */
  lastPollAt?: number
  /** The last failure, kept after the device recovers. */
  lastError?: string
  /** Exceptions of the last poll, one per block the device refused. */
  exceptions: ModbusException[]
}

/** A write refused by configuration or by the device; `code` says which. */
export class ModbusWriteError extends Error {
  constructor(
    readonly code: 'MODBUS_ERR_UNKNOWN_DEVICE' | 'MODBUS_ERR_UNKNOWN_REGISTER' | 'MODBUS_ERR_READ_ONLY' | 'MODBUS_ERR_RANGE' | 'MODBUS_ERR_EXCEPTION' | 'MODBUS_ERR_IO',
    message: string,
    readonly exceptionCode?: number,
  ) {
    super(message)
  }
}

const exceptionCode = (err: unknown): number | undefined => {
  const code = (err as { modbusCode?: unknown })?.modbusCode
  return typeof code === 'number' ? code : undefined
}

/**
 * One device on its own timer, so a device that does not answer only ever delays itself
 * (and, on a serial bus, the devices sharing the wire). Polls and writes share the link.
 */
class DeviceChannel {
  private readonly blocks: ReadBlock[]
  private readonly sleep = new WakeableSleep()
  private stopped = false
  private loop: Promise<void> | undefined
  readonly status: ModbusDeviceStatus

  constructor(
    readonly id: string,
    readonly cfg: ModbusDeviceConfig,
    private readonly link: ModbusLink,
    private readonly opts: ModbusPollerOptions,
    private readonly logger: Logger,
  ) {
    this.blocks = planBlocks(cfg.registers)
    this.status = { deviceId: id, online: undefined, consecutiveFailures: 0, polls: 0, pollMs: this.pollMs, exceptions: [] }
  }

  get pollMs() {
    return this.cfg.pollMs ?? 5000
  }
  private get timeoutMs() {
    return this.cfg.timeoutMs ?? 1000
  }
  private get unitId() {
    return this.cfg.unitId ?? 1
  }

  start(offsetMs = 0): void {
    this.loop ??= this.run(offsetMs)
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.sleep.wake()
    await this.loop
  }

  private async run(offsetMs: number): Promise<void> {
    if (offsetMs > 0) await this.sleep.sleep(offsetMs)
    while (!this.stopped) {
      const started = performance.now()
      const ok = await this.pollOnce()
      this.opts.onPoll?.(this.id, { startedAt: started, durationMs: performance.now() - started, ok })
      if (this.stopped) break
      // Fixed rate while healthy: the interval counts from the start of the poll.
      const delay = ok
        ? Math.max(0, started + this.pollMs - performance.now())
        : jitteredBackoff(this.status.consecutiveFailures, this.pollMs, Math.max(this.pollMs, this.cfg.backoffCapMs ?? 60_000), this.opts.random)
      await this.sleep.sleep(delay)
    }
  }

  private async read(client: ModbusRTU, block: ReadBlock): Promise<(number | boolean)[]> {
    const request =
      block.fn === 'holding'
        ? client.readHoldingRegisters(block.start, block.length)
        : block.fn === 'input'
          ? client.readInputRegisters(block.start, block.length)
          : block.fn === 'coil'
            ? client.readCoils(block.start, block.length)
            : client.readDiscreteInputs(block.start, block.length)
    // The client's own timeout covers a silent device; this one covers a half-open socket.
    const { data } = await withTimeout<{ data: (number | boolean)[] }>(request, this.timeoutMs + 100, `read ${block.fn} ${block.start}+${block.length}`)
    return data.slice(0, block.length)
  }

  /** True when the device answered, exceptions included; false on timeout or I/O error. */
  private async pollOnce(): Promise<boolean> {
    this.status.polls++
    const readings: Record<string, number> = {}
    const exceptions: ModbusException[] = []
    const nonFinite: string[] = []
    try {
      await this.link.exclusive(this.unitId, async (client) => {
        for (const block of this.blocks) {
          if (this.stopped) return
          let data: (number | boolean)[]
          try {
            data = await this.read(client, block)
          } catch (err) {
            const code = exceptionCode(err)
            if (code === undefined) throw err
            // The device is there and said no to this block: report it, keep the others.
            exceptions.push({ fn: block.fn, start: block.start, length: block.length, code, message: (err as Error).message })
            continue
          }
          for (const spec of block.registers) {
            const value = decodeRegister(spec, data, block.start)
            // A float32 register can hold NaN or Infinity (a sensor fault on many meters);
            // telemetry is finite numbers only, as the broker enforces for MQTT devices.
            if (Number.isFinite(value)) readings[spec.name] = value
            else nonFinite.push(spec.name)
          }
        }
      })
    } catch (err) {
      this.link.failed()
      this.status.consecutiveFailures++
      this.status.lastError = (err as Error).message
      const failures = this.status.consecutiveFailures
      this.logger.debug({ deviceId: this.id, failures, err: (err as Error).message }, 'modbus poll failed')
      if (failures >= (this.cfg.unavailableAfter ?? 3) && this.status.online !== false) {
        this.status.online = false
        this.logger.warn({ deviceId: this.id, failures, err: (err as Error).message }, 'modbus device unavailable')
        await this.report(this.opts.onState(this.id, false), 'offline state')
      }
      return false
    }
    if (this.stopped) return true
    this.status.consecutiveFailures = 0
    this.status.lastPollAt = (this.opts.now ?? Date.now)()
    this.status.exceptions = exceptions
    if (exceptions.length > 0) this.logger.warn({ deviceId: this.id, exceptions }, 'modbus exception response')
    if (nonFinite.length > 0) this.logger.warn({ deviceId: this.id, registers: nonFinite }, 'modbus registers read NaN or Infinity; left out')
    if (this.status.online !== true) {
      if (this.status.online === false) this.logger.info({ deviceId: this.id }, 'modbus device answering again')
      this.status.online = true
      await this.report(this.opts.onState(this.id, true), 'online state')
    }
    if (Object.keys(readings).length > 0) await this.report(this.opts.onReadings(this.id, readings), 'readings')
    return true
  }

  private async report(p: Promise<void>, what: string): Promise<void> {
    try {
      await p
    } catch (err) {
      this.logger.error({ deviceId: this.id, err }, `modbus ${what} not recorded`)
    }
  }

  /** Writes one register by name, encoded like it reads; between polls, never during one. */
  async write(name: string, value: number | boolean): Promise<void> {
    const spec: RegisterSpec | undefined = this.cfg.registers.find((r) => r.name === name)
    if (!spec) throw new ModbusWriteError('MODBUS_ERR_UNKNOWN_REGISTER', `device "${this.id}" has no register "${name}"`)
    if (spec.fn !== 'coil' && spec.fn !== 'holding') throw new ModbusWriteError('MODBUS_ERR_READ_ONLY', `register "${name}" of "${this.id}" is a read-only ${spec.fn}`)
    let payload: number[] | boolean
    try {
      payload = encodeRegister(spec, typeof value === 'boolean' ? Number(value) : value)
    } catch (err) {
      throw new ModbusWriteError('MODBUS_ERR_RANGE', `register "${name}" of "${this.id}": ${(err as Error).message}`)
    }
    try {
      await this.link.exclusive(this.unitId, (client) => {
        const request =
          typeof payload === 'boolean'
            ? client.writeCoil(spec.address, payload)
            : payload.length === 1
              ? client.writeRegister(spec.address, payload[0]!)
              : client.writeRegisters(spec.address, payload)
        return withTimeout<unknown>(request, this.timeoutMs + 100, `write ${name}`)
      })
    } catch (err) {
      const code = exceptionCode(err)
      if (code !== undefined) throw new ModbusWriteError('MODBUS_ERR_EXCEPTION', (err as Error).message, code)
      this.link.failed()
      throw new ModbusWriteError('MODBUS_ERR_IO', `write ${name} to "${this.id}": ${(err as Error).message}`)
    }
  }
}

/** Polls every Modbus device of the site, each on its own schedule (and TCP connection). */
export class ModbusPoller {
  private readonly channels = new Map<string, DeviceChannel>()
  private readonly links = new Map<string, ModbusLink>()
  private stopped = false

  constructor(private readonly opts: ModbusPollerOptions) {
    for (const d of opts.devices) {
      const key = linkKey(d.modbus, d.id)
      let link = this.links.get(key)
      if (!link) this.links.set(key, (link = new ModbusLink(d.modbus)))
      this.channels.set(d.id, new DeviceChannel(d.id, d.modbus, link, opts, opts.logger))
    }
  }

  has(deviceId: string): boolean {
    return this.channels.has(deviceId)
  }

  start(): void {
    const channels = [...this.channels.values()]
    const stagger = this.opts.staggerStarts ?? true
    channels.forEach((ch, i) => ch.start(stagger ? Math.floor((i / channels.length) * ch.pollMs) : 0))
  }

  async stop(): Promise<void> {
    // A rule firing during shutdown must not open a connection nothing would close.
    this.stopped = true
    await Promise.all([...this.channels.values()].map((ch) => ch.stop()))
    await Promise.all([...this.links.values()].map((link) => link.close()))
  }

  status(): ModbusDeviceStatus[] {
    return [...this.channels.values()].map((ch) => structuredClone(ch.status))
  }

  /** Writes a coil (relay) or holding register (setpoint) by its register name. */
  write(deviceId: string, name: string, value: number | boolean): Promise<void> {
    const ch = this.channels.get(deviceId)
    if (!ch) return Promise.reject(new ModbusWriteError('MODBUS_ERR_UNKNOWN_DEVICE', `"${deviceId}" is not a Modbus device`))
    if (this.stopped) return Promise.reject(new ModbusWriteError('MODBUS_ERR_IO', 'the gateway is stopping'))
    return ch.write(name, value)
  }
}
