import { describe, expect, it } from 'vitest'
import { pino } from 'pino'
import type { Command } from '@tendero/protocol'
import type { EventInput } from '../log/event-log.js'
import { modbusCommandWriter } from './commands.js'
import { ModbusWriteError } from './poller.js'

function setup(write: (deviceId: string, name: string, value: number | boolean) => Promise<void>) {
  const recorded: EventInput[] = []
  const writes: [string, string, number | boolean][] = []
  const writer = modbusCommandWriter({
    poller: {
      write: (d, n, v) => {
        writes.push([d, n, v])
        return write(d, n, v)
      },
    },
    logger: pino({ level: 'silent' }),
    now: () => 1000,
    async record(events) {
      recorded.push(...events)
    },
  })
  return { writer, recorded, writes }
}

const base = { issuedAt: 900, expiresAt: 2000 }

describe('modbus command writer', () => {
  it('relay.set writes the coil, then acks and reports the relay state', async () => {
    const { writer, recorded, writes } = setup(async () => {})
    await writer.send('camara-mb', { ...base, id: 'c1', kind: 'relay.set', relay: 'compressor', on: true })
    await writer.settled()
    expect(writes).toEqual([['camara-mb', 'compressor', true]])
    expect(recorded).toEqual([
      { kind: 'ack', deviceId: 'camara-mb', body: { id: 'c1', ts: 1000, ok: true } },
      { kind: 'state', deviceId: 'camara-mb', body: { state: { compressor: true } } },
    ])
  })

  it('setpoint.set writes the holding register; a refused write is a failed ack with its reason', async () => {
    const { writer, recorded, writes } = setup(async () => {
      throw new ModbusWriteError('MODBUS_ERR_EXCEPTION', 'Modbus exception 2: Illegal data address (register not supported)', 2)
    })
    await writer.send('camara-mb', { ...base, id: 'c2', kind: 'setpoint.set', name: 'setpoint_c', value: -18 })
    await writer.settled()
    expect(writes).toEqual([['camara-mb', 'setpoint_c', -18]])
    expect(recorded).toEqual([{ kind: 'ack', deviceId: 'camara-mb', body: { id: 'c2', ts: 1000, ok: false, error: expect.stringMatching(/^MODBUS_ERR_EXCEPTION: Modbus exception 2/) } }])
  })

  it('does not write expired or unsupported commands', async () => {
    const { writer, recorded, writes } = setup(async () => {})
    await writer.send('camara-mb', { id: 'c3', issuedAt: 0, expiresAt: 1000, kind: 'relay.set', relay: 'compressor', on: true })
    await writer.send('camara-mb', { ...base, id: 'c4', kind: 'failsafe.set', relay: 'compressor', mode: 'off' } as Command)
    await writer.settled()
    expect(writes).toEqual([])
    expect(recorded.map((e) => e.body)).toEqual([
      { id: 'c3', ts: 1000, ok: false, error: 'expired' },
      { id: 'c4', ts: 1000, ok: false, error: 'unsupported_command' },
    ])
  })
})
