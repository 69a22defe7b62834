import type { Logger } from 'pino'
import type { Command } from '@tendero/protocol'
import type { EventInput } from '../log/event-log.js'
import { FirmataWriteError, type FirmataDriver } from './driver.js'

export interface FirmataCommandWriterOptions {
  driver: Pick<FirmataDriver, 'write'>
  logger: Logger
  now: () => number
  /** Appends to the log and hands the events to rules, like any device's ack. */
  record(events: EventInput[]): Promise<void>
}

/**
 * The command path for Firmata boards: `relay.set` drives the relay's pin. The gateway
 * answers for the board, as an MQTT node would: an `ack` (ok, or why not) and, on success,
 * a `state` with the new position. A board that is down gets an error ack at once: the
 * command is not queued, since by the time the board is back it may be stale intent.
 */
export function firmataCommandWriter(opts: FirmataCommandWriterOptions) {
  const pending = new Set<Promise<void>>()

  async function execute(deviceId: string, command: Command): Promise<void> {
    let error: string | undefined
    let state: Record<string, boolean> | undefined
    try {
      if (command.expiresAt <= opts.now()) error = 'expired'
      else if (command.kind === 'relay.set') {
        opts.driver.write(deviceId, command.relay, command.on)
        state = { [command.relay]: command.on }
      } else error = 'unsupported_command'
    } catch (err) {
      error = (err instanceof FirmataWriteError ? `${err.code}: ${err.message}` : (err as Error).message).slice(0, 200)
      opts.logger.warn({ deviceId, commandId: command.id, err: (err as Error).message }, 'firmata write failed')
    }
    const ack = { id: command.id, ts: opts.now(), ok: error === undefined, ...(error !== undefined ? { error } : {}) }
    await opts.record([{ kind: 'ack', deviceId, body: ack }, ...(state ? [{ kind: 'state' as const, deviceId, body: { state } }] : [])])
  }

  return {
    send(deviceId: string, command: Command): Promise<void> {
      const p = execute(deviceId, command)
        .catch((err) => opts.logger.error({ deviceId, err }, 'firmata command ack not recorded'))
        .finally(() => pending.delete(p))
      pending.add(p)
      return Promise.resolve()
    },
    /** Resolves when every command in flight has its ack in the log. */
    async settled(): Promise<void> {
      while (pending.size > 0) await Promise.all([...pending])
    },
  }
}
