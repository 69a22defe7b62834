import ModbusRTU from 'modbus-serial'
import type { RegisterEntry } from '../src/modbus/index.js'

/** A modbus-serial TCP client on the simulator, unit 1, short timeout so fault tests stay fast. */
export async function connectClient(port: number, timeoutMs = 400): Promise<ModbusRTU> {
  const client = new ModbusRTU()
  await client.connectTCP('127.0.0.1', { port })
  client.setID(1)
  client.setTimeout(timeoutMs)
  return client
}

export function closeClient(client: ModbusRTU): Promise<void> {
  return new Promise((resolve) => client.close(() => resolve()))
}

/**
 * Decodes an entry from the words a client read, written from the README's rules and not
 * from the simulator's codec, so a symmetric bug in both directions cannot hide.
 */
export function decodeFromWords(entry: RegisterEntry, words: readonly number[], offset: number): number {
  const view = new DataView(new ArrayBuffer(4))
  const hi = words[offset]!
  const lo = words[offset + 1] ?? 0
  if (entry.type === 'int16') return ((hi << 16) >> 16) * entry.scale
  if (entry.type === 'uint16') return hi * entry.scale
  const [first, second] = entry.wordOrder === 'big' ? [hi, lo] : [lo, hi]
  view.setUint16(0, first)
  view.setUint16(2, second)
  if (entry.type === 'int32') return view.getInt32(0) * entry.scale
  if (entry.type === 'uint32') return view.getUint32(0) * entry.scale
  return view.getFloat32(0) * entry.scale
}
