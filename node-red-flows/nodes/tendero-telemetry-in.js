'use strict'

const { DEVICE_ID } = require('../lib/gateway-api.js')

const CHANNELS = ['telemetry', 'state', 'event']
const METRIC = /^[a-z][a-z0-9_]{0,47}$/

/**
 * What each channel's payload must look like to be passed on (protocol/src/telemetry.ts,
 * reduced to what a flow relies on), and what becomes msg.payload.
 */
const readers = {
  telemetry(body) {
    const r = body && body.readings
    if (!r || typeof r !== 'object' || Array.isArray(r)) return null
    const entries = Object.entries(r)
    if (entries.length === 0 || !entries.every(([k, v]) => METRIC.test(k) && typeof v === 'number' && Number.isFinite(v))) return null
    return r
  },
  state(body) {
    const s = body && body.state
    return s && typeof s === 'object' && !Array.isArray(s) ? s : null
  },
  event(body) {
    return body && typeof body.kind === 'string' ? { kind: body.kind, ...(body.data ? { data: body.data } : {}) } : null
  },
}

/** Readings (and optionally state and events) of one device, or of every device, from the gateway's broker. */
module.exports = function (RED) {
  function TenderoTelemetryInNode(config) {
    RED.nodes.createNode(this, config)
    const node = this
    const gateway = RED.nodes.getNode(config.gateway)
    const deviceId = (config.deviceId || '').trim()
    const channels = CHANNELS.filter((c) => c === 'telemetry' ? config.telemetry !== false : config[c] === true)

    if (!gateway) {
      node.status({ fill: 'red', shape: 'ring', text: RED._('tendero-telemetry-in.status.no-gateway') })
      node.error(RED._('tendero-telemetry-in.errors.no-gateway'))
      return
    }
    if (deviceId && !DEVICE_ID.test(deviceId)) {
      node.status({ fill: 'red', shape: 'ring', text: RED._('tendero-telemetry-in.status.bad-device') })
      node.error(RED._('tendero-telemetry-in.errors.bad-device', { deviceId }))
      return
    }

    if (channels.length === 0) node.warn(RED._('tendero-telemetry-in.errors.no-channel'))

    const off = gateway.onStatus((state, detail) => {
      if (state === 'connected') node.status({ fill: 'green', shape: 'dot', text: RED._('tendero-telemetry-in.status.connected') })
      else if (state === 'error') node.status({ fill: 'red', shape: 'ring', text: detail || RED._('tendero-telemetry-in.status.error') })
      else node.status({ fill: 'red', shape: 'ring', text: RED._('tendero-telemetry-in.status.disconnected') })
    })

    // One filter when every channel is wanted would also catch acks and commands: subscribe per channel.
    const filters = channels.map((c) => `tendero/v1/${deviceId || '+'}/${c}`)
    filters.forEach((filter, i) =>
      gateway.subscribe({ id: `${node.id}#${i}` }, filter, (topic, raw) => {
        const [, , device, channel] = topic.split('/')
        let body
        try {
          body = JSON.parse(raw.toString('utf8'))
        } catch {
          node.warn(RED._('tendero-telemetry-in.errors.bad-json', { topic }))
          return
        }
        const payload = readers[channel](body)
        if (payload === null) {
          node.warn(RED._('tendero-telemetry-in.errors.bad-payload', { topic, channel }))
          return
        }
        const ts = body && Number.isInteger(body.ts) ? body.ts : undefined
        node.send({ topic, deviceId: device, channel, time: ts !== undefined ? ts : Date.now(), payload })
      }),
    )

    node.on('close', () => {
      off()
      filters.forEach((_, i) => gateway.unsubscribe({ id: `${node.id}#${i}` }))
    })
  }

  RED.nodes.registerType('tendero-telemetry-in', TenderoTelemetryInNode)
}
