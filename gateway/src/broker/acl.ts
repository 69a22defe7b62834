import { TOPIC_ROOT, deviceTopic, isUpstreamChannel, parseDeviceTopic, type UpstreamChannel } from '@tendero/protocol'

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

/**
 * Services read whatever they subscribe to, wildcards included: devices' messages, their
 * commands, the gateway's `tendero/v1/$gateway/...` and topics rules publish outside the
 * tree. Nothing on a site's broker is secret from the site's own tools; what protects the
 * shop is that services cannot publish.
 */
export function serviceMaySubscribe(filter: string): boolean {
  return filter.length > 0
}

/** Topics the gateway itself publishes on for services (rule `publish` actions). */
export const GATEWAY_TOPIC_ROOT = `${TOPIC_ROOT}/$gateway`
