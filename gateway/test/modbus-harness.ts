import { createServer, type Server, type Socket } from 'node:net'
import { ServerTCP } from 'modbus-serial'

/** A Modbus TCP device for tests: plain arrays of words and bits, exceptions where unset. */
export interface FakeModbusDevice {
  port: number
  holding: (number | undefined)[]
  input: (number | undefined)[]
  coils: (boolean | undefined)[]
  discrete: (boolean | undefined)[]
  /** While true the device drops requests on the floor, like a controller that hung. */
  silent: boolean
  requests: number
  close(): Promise<void>
}

const illegalAddress = () => Object.assign(new Error('illegal data address'), { modbusErrorCode: 2 })

export async function startFakeModbusDevice(init: Partial<Pick<FakeModbusDevice, 'holding' | 'input' | 'coils' | 'discrete'>> = {}): Promise<FakeModbusDevice> {
  const dev = {
    port: 0,
    holding: init.holding ?? [],
    input: init.input ?? [],
    coils: init.coils ?? [],
    discrete: init.discrete ?? [],
    silent: false,
    requests: 0,
  }
  // A request the device does not answer: a promise that never settles.
  const hang = () => new Promise<never>(() => {})
  const get = <T>(arr: (T | undefined)[], addr: number): T | Promise<T> => {
    if (dev.silent) return hang()
    const v = arr[addr]
    if (v === undefined) throw illegalAddress()
    return v
  }
  const vector = {
    getHoldingRegister: (addr: number) => (dev.requests++, get(dev.holding, addr)),
    getInputRegister: (addr: number) => (dev.requests++, get(dev.input, addr)),
    getCoil: (addr: number) => (dev.requests++, get(dev.coils, addr)),
    getDiscreteInput: (addr: number) => (dev.requests++, get(dev.discrete, addr)),
    setCoil: (addr: number, value: boolean) => {
      if (dev.coils[addr] === undefined) throw illegalAddress()
      dev.coils[addr] = value
    },
    setRegister: (addr: number, value: number) => {
      if (dev.holding[addr] === undefined) throw illegalAddress()
      dev.holding[addr] = value
    },
  }
  // ServerTCP reads port 0 as 502, so borrow a free ephemeral port first (retrying the
  // rare case where someone takes it in between).
  let server: ServerTCP
  for (let attempt = 0; ; attempt++) {
    dev.port = await freePort()
    server = new ServerTCP(vector, { host: '127.0.0.1', port: dev.port, unitID: 1 })
    server.on('socketError', () => {})
    const started = await new Promise<boolean>((resolve) => {
      server.once('initialized', () => resolve(true))
      server.once('serverError', () => resolve(false))
    })
    if (started) break
    if (attempt > 5) throw new Error('no free port for the fake Modbus device')
  }
  return Object.assign(dev, {
    close: async () => {
      // Drop the gateway's connections too, or close() waits for them.
      for (const sock of (server as unknown as { socks: Map<Socket, 0> }).socks.keys()) sock.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  })
}

async function freePort(): Promise<number> {
  const probe: Server = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

/** A device that accepts the connection and never says a word. */
export async function startSilentDevice(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** The wire words of a value, computed with Buffer, independently of src/modbus/codec.ts. */
export function words(type: 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32', value: number, order: 'big' | 'little' = 'big'): number[] {
  const buf = Buffer.alloc(4)
  if (type === 'int16') return [(buf.writeInt16BE(value), buf.readUInt16BE(0))]
  if (type === 'uint16') return [value]
  if (type === 'int32') buf.writeInt32BE(value)
  else if (type === 'uint32') buf.writeUInt32BE(value)
  else buf.writeFloatBE(value)
  const w = [buf.readUInt16BE(0), buf.readUInt16BE(2)]
  return order === 'big' ? w : w.reverse()
}
