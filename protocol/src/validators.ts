import { CommandAck, Command } from './commands.js'
import { DeviceEvent, DeviceState, Telemetry } from './telemetry.js'
import { LogEvent, UplinkAck } from './uplink.js'
import type { UpstreamChannel } from './topics.js'
import { compile, type Validator } from './validate.js'

/** Compiled once, shared by the gateway, the cloud, the simulator and the tests. */
export const validators = {
  telemetry: compile(Telemetry),
  state: compile(DeviceState),
  event: compile(DeviceEvent),
  command: compile(Command),
  ack: compile(CommandAck),
  logEvent: compile(LogEvent),
  uplinkAck: compile(UplinkAck),
}

/** The validator for what a device may publish on each upstream channel. */
export const upstreamValidators: { [C in UpstreamChannel]: Validator<unknown> } = {
  telemetry: validators.telemetry,
  state: validators.state,
  event: validators.event,
  ack: validators.ack,
}
