/**
 * Coded errors, Node-RED style: runtime code throws these and the edges (main.ts, the
 * local API, the broker hooks) translate them. `code` is stable and greppable; the
 * message is for humans.
 */
export type GatewayErrorCode =
  | 'CONFIG_ERR_INVALID'
  | 'CONFIG_ERR_READ'
  | 'GATEWAY_ERR_PORT_IN_USE'
  | 'BROKER_ERR_ACL'
  | 'BROKER_ERR_AUTH'
  | 'PASSWORD_ERR_FORMAT'
  | 'LOG_ERR_CLOSED'
  | 'RULES_ERR_INVALID'
  | 'ALARM_ERR_NOT_FOUND'
  | 'UPLINK_ERR_HTTP'
  | 'UPLINK_ERR_BAD_ACK'
  | 'CLOCK_ERR_HTTP'
  | 'CLOCK_ERR_BAD_ANSWER'

export class GatewayError extends Error {
  readonly code: GatewayErrorCode
  readonly details: Record<string, unknown>

  constructor(code: GatewayErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message)
    this.name = 'GatewayError'
    this.code = code
    this.details = details
  }
}

export function isGatewayError(err: unknown, code?: GatewayErrorCode): err is GatewayError {
  return err instanceof GatewayError && (code === undefined || err.code === code)
}
