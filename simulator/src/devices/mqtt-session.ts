import type { IClientOptions } from 'mqtt'

/**
 * How every simulated node logs in, as an ESP32 node would: its device id as client id and
 * username, MQTT 3.1.1, and a persistent session so commands wait at the broker across
 * short drops. Subscriptions are made again on each connect by the node itself.
 */
export function nodeClientOptions(o: {
  deviceId: string
  password: string
  reconnectPeriodMs?: number | undefined
  keepaliveS?: number | undefined
}): IClientOptions {
  return {
    clientId: o.deviceId,
    username: o.deviceId,
    password: o.password,
    protocolVersion: 4,
    clean: false,
    resubscribe: false,
    reconnectPeriod: o.reconnectPeriodMs ?? 2000,
    connectTimeout: 10_000,
    keepalive: o.keepaliveS ?? 10,
  }
}
