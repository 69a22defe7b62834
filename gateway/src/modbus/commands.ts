import type { Logger } from 'pino'
import type { Command } from '@tendero/protocol'
import type { EventInput } from '../log/event-log.js'
import { ModbusWriteError, type ModbusPoller } from './poller.js'

export interface ModbusCommandWriterOptions {
  poller: Pick<ModbusPoller, 'write'>
  logger: Logger
  now: () => number
  /** Appends to the log and hands the events to rules, like any device's ack. */
  record(events: EventInput[]): Promise<void>
}

/**
 * The command path for Modbus devices: `relay.set` writes the coil named after the relay,
 * `setpoint.set` the holding register named after the setpoint. The gateway answers for
 * the device: an `ack` (ok, or the error) and, on success, a `state` with the new value,
 * as an MQTT node would send. `send` returns at once so a rule never waits on a slow device.
 */
export function modbusCommandWriter(opts: ModbusCommandWriterOptions) {
  const pending = new Set<Promise<void>>()

  async function execute(deviceId: string, command: Command): Promise<void> {
    let error: string | undefined
    let state: Record<string, boolean | number> | undefined
    try {
      if (command.expiresAt <= opts.now()) error = 'expired'
      else if (command.kind === 'relay.set') {
        await opts.poller.write(deviceId, command.relay, command.on)
        state = { [command.relay]: command.on }
      } else if (command.kind === 'setpoint.set') {
        await opts.poller.write(deviceId, command.name, command.value)
        state = { [command.name]: command.value }
      } else error = 'unsupported_command'
    } catch (err) {
      error = (err instanceof ModbusWriteError ? `${err.code}: ${err.message}` : (err as Error).message).slice(0, 200)
      opts.logger.warn({ deviceId, commandId: command.id, err: (err as Error).message }, 'modbus write failed')
    }
    const ack = { id: command.id, ts: opts.now(), ok: error === undefined, ...(error !== undefined ? { error } : {}) }
    await opts.record([{ kind: 'ack', deviceId, body: ack }, ...(state ? [{ kind: 'state' as const, deviceId, body: { state } }] : [])])
  }

  return {
    send(deviceId: string, command: Command): Promise<void> {
      const p = execute(deviceId, command)
        .catch((err) => opts.logger.error({ deviceId, err }, 'modbus command ack not recorded'))
        .finally(() => pending.delete(p))
      pending.add(p)
      return Promise.resolve()
    },
    /** Resolves when every write in flight has settled and its ack is in the log. */
    async settled(): Promise<void> {
      while (pending.size > 0) await Promise.all([...pending])
    },
  }
}
