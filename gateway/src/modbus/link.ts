import ModbusRTU from 'modbus-serial'
import type { ModbusDeviceConfig } from './schema.js'

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

/**
 * The wire to one or more devices. Requests go one at a time: a TCP device gets a link of
 * its own (many small controllers answer one transaction at a time), while every device
 * on an RTU bus shares one, since a serial line carries one request at a time anyway.
 */
export class ModbusLink {
  private client: ModbusRTU | undefined
  private queue: Promise<unknown> = Promise.resolve()

  constructor(private readonly cfg: ModbusDeviceConfig) {}

  /** Runs `fn` alone on the link, addressed to `unitId`. */
  exclusive<T>(unitId: number, fn: (client: ModbusRTU) => Promise<T>): Promise<T> {
    const run = async () => {
      const client = await this.connect()
      client.setID(unitId)
      return fn(client)
    }
    const next = this.queue.then(run, run)
    this.queue = next.catch(() => {})
    return next
  }

  /** After a failed request: on TCP the connection may be the problem, so start afresh. */
  failed(): void {
    // On a serial bus a silent device says nothing about the port; keep it open.
    if ((this.cfg.transport ?? 'tcp') === 'tcp') this.disconnect()
  }

  async close(): Promise<void> {
    await this.queue.catch(() => {})
    this.disconnect()
  }

  private async connect(): Promise<ModbusRTU> {
    if (this.client?.isOpen) return this.client
    this.disconnect()
    const client = new ModbusRTU()
    // The port re-emits socket errors; the failed request already reports them.
    client.on('error', () => {})
    this.client = client
    const timeoutMs = this.cfg.timeoutMs ?? 1000
    if (this.cfg.transport === 'rtu') {
      const { path, baudRate = 9600, parity = 'none', stopBits = 1, dataBits = 8 } = this.cfg
      await withTimeout(client.connectRTUBuffered(path!, { baudRate, parity, stopBits, dataBits }), timeoutMs, `open ${path}`)
    } else {
      const port = this.cfg.port ?? 502
      await withTimeout(client.connectTCP(this.cfg.host!, { port, timeout: timeoutMs }), timeoutMs, `connect to ${this.cfg.host}:${port}`)
    }
    client.setTimeout(timeoutMs)
    return client
  }

  private disconnect(): void {
    const client = this.client
    this.client = undefined
    // Destroy, not close: a device that went silent would never finish a graceful close.
    if (client) {
      if (this.cfg.transport === 'rtu') client.close(() => {})
      else client.destroy(() => {})
    }
  }
}

/** Devices on the same serial port share its link; a TCP device has its own. */
export function linkKey(cfg: ModbusDeviceConfig, deviceId: string): string {
  return cfg.transport === 'rtu' ? `rtu:${cfg.path}` : `tcp:${deviceId}`
}
