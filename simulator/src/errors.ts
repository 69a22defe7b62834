/** Error codes the simulator throws; the CLI maps them to one line and an exit code. */
export type SimulatorErrorCode =
  | 'SIM_CONFIG_INVALID'
  /** The broker answered CONNACK with a refusal (bad credentials, not authorised, id rejected). */
  | 'SIM_MQTT_REFUSED'
  /** stop() was called before the first connection succeeded. */
  | 'SIM_STOPPED'

export class SimulatorError extends Error {
  constructor(
    readonly code: SimulatorErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'SimulatorError'
  }
}
