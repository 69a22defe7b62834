import { deviceTopic, isUpstreamChannel, parseDeviceTopic, type UpstreamChannel } from '@tendero/protocol'

/**
 * Topic ACL for devices (protocol README): a device publishes only on its own upstream
 * channels and subscribes only to its own cmd topic. Exact topics only: a wildcard
 * subscription could match another device's commands.
 */
export function publishChannel(deviceId: string, topic: string): UpstreamChannel | null {
  const parsed = parseDeviceTopic(topic)
  if (!parsed || parsed.deviceId !== deviceId || !isUpstreamChannel(parsed.channel)) return null
  return parsed.channel
}

export function maySubscribe(deviceId: string, topic: string): boolean {
  return topic === deviceTopic(deviceId, 'cmd')
}
