import { AsyncLocalStorage } from 'node:async_hooks'
import type { DeviceConfig } from '../config.js'
import { relayName } from '../failsafe/spec.js'
import type { CommandIntent } from '../rules/kinds.js'
import type { RelayGuard } from '../rules/relay-guard.js'
import { ApiError } from './errors.js'

/** A command as a caller of the local API states it: the protocol command without id and times. */
export interface CommandRequest {
  kind: 'relay.set' | 'setpoint.set'
  relay?: string | undefined
  on?: boolean | undefined
  name?: string | undefined
  value?: number | undefined
}

export interface CommandAccepted {
  /** `sent`: logged and published (or written, for Modbus); `deferred`: held by the relay guard. */
  status: 'sent' | 'deferred'
  /** The protocol command id the device will ack; only once it is sent. */
  commandId?: string
  /** When the relay guard will send a deferred command (epoch ms). */
  allowedAt?: number
}

/** The gateway's command path, as the rules use it. */
export interface CommandPath {
  /** Logs the command, then publishes it (or writes it, for a Modbus device). */
  send(deviceId: string, intent: CommandIntent, source: { ruleId: string }): Promise<void>
  /** The running rules engine's relay guard (the engine is replaced when rules change). */
  relays(): Pick<RelayGuard, 'request' | 'allowedAt'>
}

// The id is made deep in the command path, possibly behind the relay guard; the caller's
// async context is how it finds its way back to the request that caused it.
const issued = new AsyncLocalStorage<(commandId: string) => void>()

/** Called by the gateway's command path with the id of every command it issues. */
export function noteIssuedCommand(commandId: string): void {
  issued.getStore()?.(commandId)
}

const field = (path: string, message: string) => new ApiError('API_ERR_VALIDATION', 400, `${path}: ${message}`, { path })

/**
 * Device commands from outside the rules (Node-RED, a technician's script). They take the
 * rules' path: logged before they go out, a relay through the minimum on/off guard, a
 * Modbus device gets a write. The source is named after the token, e.g. `api:ana`.
 */
export class CommandDesk {
  private readonly devices: Map<string, DeviceConfig>

  constructor(
    devices: readonly DeviceConfig[],
    private readonly path: CommandPath,
  ) {
    this.devices = new Map(devices.map((d) => [d.id, d]))
  }

  async send(deviceId: string, req: CommandRequest, technician: string): Promise<CommandAccepted> {
    const device = this.devices.get(deviceId)
    if (!device) throw new ApiError('DEVICE_ERR_NOT_FOUND', 404, `no device "${deviceId}" in this site`)
    // Command ids are built from the source, and a token's name is free text.
    const source = { ruleId: `api:${technician.replace(/[^A-Za-z0-9_.-]/g, '_')}` }
    let commandId: string | undefined
    const capture = (id: string) => {
      commandId ??= id
    }

    if (req.kind === 'relay.set') {
      if (req.name !== undefined) throw field('/name', 'not allowed for relay.set')
      if (req.value !== undefined) throw field('/value', 'not allowed for relay.set')
      if (req.relay === undefined) throw field('/relay', 'required for relay.set')
      if (req.on === undefined) throw field('/on', 'required for relay.set')
      const relays = (device.relays ?? []).map(relayName)
      if (!relays.includes(req.relay)) {
        const declared = relays.length > 0 ? `it has ${relays.join(', ')}` : 'it has none'
        throw new ApiError('COMMAND_ERR_UNKNOWN_RELAY', 400, `device "${deviceId}" declares no relay "${req.relay}"; ${declared}`, {
          path: '/relay',
        })
      }
      const guard = this.path.relays()
      const allowedAt = guard.allowedAt(deviceId, req.relay, req.on)
      const result = await issued.run(capture, () => guard.request(deviceId, req.relay!, req.on!, source.ruleId))
      if (result === 'deferred') return { status: 'deferred', allowedAt }
    } else {
      if (req.relay !== undefined) throw field('/relay', 'not allowed for setpoint.set')
      if (req.on !== undefined) throw field('/on', 'not allowed for setpoint.set')
      if (req.name === undefined) throw field('/name', 'required for setpoint.set')
      if (req.value === undefined) throw field('/value', 'required for setpoint.set')
      // Only a Modbus device declares its setpoints; an MQTT node acks an unknown one itself.
      const holding = device.modbus?.registers.filter((r) => r.fn === 'holding').map((r) => r.name)
      if (holding && !holding.includes(req.name))
        throw new ApiError('COMMAND_ERR_UNKNOWN_SETPOINT', 400, `Modbus device "${deviceId}" has no holding register "${req.name}"`, {
          path: '/name',
        })
      const intent = { kind: 'setpoint.set' as const, name: req.name, value: req.value }
      await issued.run(capture, () => this.path.send(deviceId, intent, source))
    }
    if (commandId === undefined) throw new Error(`command path issued no command id for ${deviceId}`)
    return { status: 'sent', commandId }
  }
}
