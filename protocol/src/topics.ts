/**
 * MQTT topic layout between devices and the on-site gateway.
 *
 *   tendero/v1/<deviceId>/telemetry   device → gateway   readings
 *   tendero/v1/<deviceId>/state       device → gateway   relay and device state
 *   tendero/v1/<deviceId>/event       device → gateway   discrete events (door, RFID swipe)
 *   tendero/v1/<deviceId>/ack         device → gateway   command acknowledgements
 *   tendero/v1/<deviceId>/cmd         gateway → device   commands
 *
 * The version segment lets a future layout live beside this one while a fleet of
 * ESP32 nodes is upgraded in place.
 */
export const TOPIC_ROOT = 'tendero/v1'

export const UPSTREAM_CHANNELS = ['telemetry', 'state', 'event', 'ack'] as const
export const DOWNSTREAM_CHANNELS = ['cmd'] as const

export type UpstreamChannel = (typeof UPSTREAM_CHANNELS)[number]
export type DownstreamChannel = (typeof DOWNSTREAM_CHANNELS)[number]
export type Channel = UpstreamChannel | DownstreamChannel

/** Device ids are also MQTT client ids and topic segments, so no wildcards or slashes. */
export const DEVICE_ID_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$'
const deviceIdRe = new RegExp(DEVICE_ID_PATTERN)

export function isDeviceId(value: string): boolean {
  return deviceIdRe.test(value)
}

export function deviceTopic(deviceId: string, channel: Channel): string {
  return `${TOPIC_ROOT}/${deviceId}/${channel}`
}

export interface ParsedTopic {
  deviceId: string
  channel: Channel
}

const channels: ReadonlySet<string> = new Set<string>([...UPSTREAM_CHANNELS, ...DOWNSTREAM_CHANNELS])

/** Returns null for anything outside the layout, including wildcards. */
export function parseDeviceTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/')
  if (parts.length !== 4 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return null
  const deviceId = parts[2] as string
  const channel = parts[3] as string
  if (!isDeviceId(deviceId) || !channels.has(channel)) return null
  return { deviceId, channel: channel as Channel }
}

export function isUpstreamChannel(channel: Channel): channel is UpstreamChannel {
  return (UPSTREAM_CHANNELS as readonly string[]).includes(channel)
}
