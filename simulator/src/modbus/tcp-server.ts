import net from 'node:net'
import { encodeEntry, decodeEntry } from './codec.js'
import { registerCount, type RegisterEntry, type RegisterMap, type RegisterTable } from './register-maps.js'

/**
 * A device behind a Modbus server: its current values by entry name (bools as 0/1) and
 * how it takes writes. `values` is called once per request, so a device can advance its
 * model to "now" lazily instead of on a timer.
 */
export interface ModbusDevice {
  readonly map: RegisterMap
  values(): Record<string, number>
  /** Apply a write already checked against the map (writable, in range). */
  write(name: string, value: number): void
}

/** Modbus exception codes this server answers with (Modbus Application Protocol §7). */
export const ModbusException = Object.freeze({
  illegalFunction: 0x01,
  illegalDataAddress: 0x02,
  illegalDataValue: 0x03,
  serverDeviceFailure: 0x04,
  serverDeviceBusy: 0x06,
})

export interface ModbusFaults {
  /** Swallow every request without answering, as a device that hung or lost its bus would. */
  timeout: boolean
  /** Answer every request with this exception code instead of data (e.g. 0x06 busy). */
  exception: number | null
  /** Entries frozen at the value they had when stuck, as a failed probe or ADC would. */
  stuck: Map<string, number>
}

class ModbusRequestError extends Error {
  constructor(readonly exceptionCode: number, message: string) {
    super(message)
  }
}

const MBAP_LENGTH = 7
const READ_LIMITS: Record<number, number> = { 1: 2000, 2: 2000, 3: 125, 4: 125 }

/**
 * Modbus TCP server on node:net, not modbus-serial's ServerTCP: ServerTCP turns port 0
 * into 502 (no ephemeral ports for tests) and its per-register callbacks make "the whole
 * request fails with exception X" and "never answer" awkward to inject.
 */
export class ModbusTcpServer {
  readonly faults: ModbusFaults = { timeout: false, exception: null, stuck: new Map() }
  /** Requests seen (answered or not), for tests and the status line. */
  requests = 0
  private readonly server: net.Server
  private readonly sockets = new Set<net.Socket>()
  private readonly byTable: Map<RegisterTable, Map<number, { entry: RegisterEntry; word: number }>>

  constructor(readonly device: ModbusDevice) {
    this.byTable = new Map()
    for (const e of device.map.entries) {
      let table = this.byTable.get(e.table)
      if (!table) this.byTable.set(e.table, (table = new Map()))
      for (let w = 0; w < registerCount(e.type); w++) {
        if (table.has(e.address + w)) throw new Error(`${device.map.model}: ${e.table} ${e.address + w} mapped twice`)
        table.set(e.address + w, { entry: e, word: w })
      }
    }
    this.server = net.createServer((socket) => this.accept(socket))
  }

  /** Listen; resolves with the bound port (pass 0 for an ephemeral one). */
  listen(port = 0, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => {
        this.server.off('error', reject)
        resolve((this.server.address() as net.AddressInfo).port)
      })
    })
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }

  /** Freeze an entry at its current value (or at `value`). */
  stick(name: string, value?: number): void {
    this.entry(name)
    this.faults.stuck.set(name, value ?? this.currentValues()[name] ?? 0)
  }

  unstick(name: string): void {
    this.faults.stuck.delete(name)
  }

  clearFaults(): void {
    this.faults.timeout = false
    this.faults.exception = null
    this.faults.stuck.clear()
  }

  /** What a client would read now, decoded, with stuck values applied. */
  currentValues(): Record<string, number> {
    const values = { ...this.device.values() }
    for (const [name, v] of this.faults.stuck) values[name] = v
    return values
  }

  private entry(name: string): RegisterEntry {
    const e = this.device.map.entries.find((x) => x.name === name)
    if (!e) throw new RangeError(`${this.device.map.model}: no register named ${name}`)
    return e
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket)
    socket.setNoDelay(true)
    socket.on('close', () => this.sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    let pending = Buffer.alloc(0)
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk])
      while (pending.length >= MBAP_LENGTH) {
        const length = pending.readUInt16BE(4) // unit id + PDU
        if (pending.readUInt16BE(2) !== 0 || length < 2 || length > 254) {
          // Not Modbus TCP: a real device drops the connection rather than guess at framing.
          socket.destroy()
          return
        }
        if (pending.length < 6 + length) break
        const frame = pending.subarray(0, 6 + length)
        pending = pending.subarray(6 + length)
        const reply = this.handle(frame)
        if (reply) socket.write(reply)
      }
    })
  }

  private handle(frame: Buffer): Buffer | null {
    this.requests += 1
    const unitId = frame.readUInt8(6)
    const pdu = frame.subarray(7)
    // Unit 0 is broadcast/"any" on TCP gateways; anything else must be ours, or a gateway
    // would not answer either.
    if (unitId !== this.device.map.unitId && unitId !== 0 && unitId !== 0xff) return null
    if (this.faults.timeout) return null
    const fc = pdu.readUInt8(0)
    let body: Buffer
    if (this.faults.exception !== null) {
      body = Buffer.from([fc | 0x80, this.faults.exception])
    } else {
      try {
        body = this.execute(fc, pdu)
      } catch (err) {
        const code = err instanceof ModbusRequestError ? err.exceptionCode : ModbusException.serverDeviceFailure
        body = Buffer.from([fc | 0x80, code])
      }
    }
    const reply = Buffer.alloc(7 + body.length)
    frame.copy(reply, 0, 0, 4) // transaction and protocol id echo the request
    reply.writeUInt16BE(body.length + 1, 4)
    reply.writeUInt8(unitId, 6)
    body.copy(reply, 7)
    return reply
  }

  private execute(fc: number, pdu: Buffer): Buffer {
    if (pdu.length < 5 && fc !== 0) throw new ModbusRequestError(ModbusException.illegalDataValue, 'short PDU')
    const address = pdu.readUInt16BE(1)
    switch (fc) {
      case 1:
      case 2: {
        const count = pdu.readUInt16BE(3)
        const bits = this.readWords(fc === 1 ? 'coil' : 'discrete', address, count, fc)
        const out = Buffer.alloc(2 + Math.ceil(count / 8))
        out[0] = fc
        out[1] = out.length - 2
        bits.forEach((b, i) => {
          if (b) out[2 + (i >> 3)]! |= 1 << (i & 7)
        })
        return out
      }
      case 3:
      case 4: {
        const count = pdu.readUInt16BE(3)
        const words = this.readWords(fc === 3 ? 'holding' : 'input', address, count, fc)
        const out = Buffer.alloc(2 + 2 * count)
        out[0] = fc
        out[1] = 2 * count
        words.forEach((w, i) => out.writeUInt16BE(w, 2 + 2 * i))
        return out
      }
      case 5: {
        const raw = pdu.readUInt16BE(3)
        if (raw !== 0xff00 && raw !== 0x0000) throw new ModbusRequestError(ModbusException.illegalDataValue, 'coil value')
        this.writeWords('coil', address, [raw ? 1 : 0])
        return Buffer.from(pdu.subarray(0, 5))
      }
      case 6:
        this.writeWords('holding', address, [pdu.readUInt16BE(3)])
        return Buffer.from(pdu.subarray(0, 5))
      case 15:
      case 16: {
        const count = pdu.readUInt16BE(3)
        const byteCount = pdu.readUInt8(5)
        const expected = fc === 15 ? Math.ceil(count / 8) : count * 2
        if (count < 1 || byteCount !== expected || pdu.length < 6 + byteCount) {
          throw new ModbusRequestError(ModbusException.illegalDataValue, 'byte count')
        }
        const values: number[] = []
        for (let i = 0; i < count; i++) {
          values.push(fc === 15 ? (pdu[6 + (i >> 3)]! >> (i & 7)) & 1 : pdu.readUInt16BE(6 + 2 * i))
        }
        this.writeWords(fc === 15 ? 'coil' : 'holding', address, values)
        return Buffer.from(pdu.subarray(0, 5))
      }
      default:
        throw new ModbusRequestError(ModbusException.illegalFunction, `function ${fc}`)
    }
  }

  private readWords(table: RegisterTable, address: number, count: number, fc: number): number[] {
    if (count < 1 || count > READ_LIMITS[fc]!) throw new ModbusRequestError(ModbusException.illegalDataValue, 'quantity')
    const cells = this.byTable.get(table)
    const values = this.currentValues()
    const encoded = new Map<string, number[]>()
    const out: number[] = []
    for (let a = address; a < address + count; a++) {
      // Every address in the range must be mapped: gaps answer 0x02 like most meters do,
      // which is what tells a driver its map is wrong instead of silently reading zeros.
      const cell = cells?.get(a)
      if (!cell) throw new ModbusRequestError(ModbusException.illegalDataAddress, `${table} ${a} not mapped`)
      let words = encoded.get(cell.entry.name)
      if (!words) encoded.set(cell.entry.name, (words = encodeEntry(cell.entry, values[cell.entry.name] ?? 0)))
      out.push(words[cell.word]!)
    }
    return out
  }

  /** Writes must cover whole entries (both words of a 32-bit value) and only writable ones. */
  private writeWords(table: RegisterTable, address: number, words: number[]): void {
    const cells = this.byTable.get(table)
    const writes: Array<[RegisterEntry, number]> = []
    let i = 0
    while (i < words.length) {
      const cell = cells?.get(address + i)
      if (!cell || cell.word !== 0 || !cell.entry.writable) {
        throw new ModbusRequestError(ModbusException.illegalDataAddress, `${table} ${address + i} not writable`)
      }
      const n = registerCount(cell.entry.type)
      if (i + n > words.length) throw new ModbusRequestError(ModbusException.illegalDataAddress, 'partial 32-bit write')
      const value = decodeEntry(cell.entry, words.slice(i, i + n))
      const range = cell.entry.writeRange
      if (!Number.isFinite(value) || (range && (value < range[0] - 1e-9 || value > range[1] + 1e-9))) {
        throw new ModbusRequestError(ModbusException.illegalDataValue, `${cell.entry.name} out of range`)
      }
      writes.push([cell.entry, value])
      i += n
    }
    // Validate all, then apply all: a rejected multi-register write changes nothing.
    for (const [e, v] of writes) this.device.write(e.name, v)
  }
}
