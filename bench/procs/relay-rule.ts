/**
 * The peer's rules engine for relay-latency: a plain MQTT client, as a Node-RED flow would
 * be, that switches the relay with the same thresholds as Tendero's rules (on above 5,
 * off below 2), publishing the command QoS 1 on the device's cmd topic.
 * Usage: relay-rule.ts '{"url": ..., "deviceId": ...}'.
 */
import type { Socket } from 'node:net'
import mqtt from 'mqtt'

const { url, deviceId } = JSON.parse(process.argv[2]!) as { url: string; deviceId: string }
const client = await mqtt.connectAsync(url, { clientId: 'bench-rule', reconnectPeriod: 0 })
;(client.stream as Socket).setNoDelay(true)
await client.subscribeAsync(`tendero/v1/${deviceId}/telemetry`, { qos: 1 })
let n = 0
client.on('message', (_topic, payload) => {
  const value = (JSON.parse(payload.toString()) as { readings: { temperature_c: number } }).readings.temperature_c
  if (value > 5 || value < 2) {
    const command = { id: `peer-${n++}`, issuedAt: Date.now(), expiresAt: Date.now() + 60_000, kind: 'relay.set', relay: 'compressor', on: value > 5 }
    client.publish(`tendero/v1/${deviceId}/cmd`, JSON.stringify(command), { qos: 1 })
  }
})
process.send!({ type: 'ready' })
