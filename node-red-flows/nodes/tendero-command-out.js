'use strict'

const { DEVICE_ID, GatewayApiError } = require('../lib/gateway-api.js')

// What a flow may pass for "on": the usual spellings of a switch.
const ON = new Map([[true, true], [false, false], [1, true], [0, false], ['on', true], ['off', false], ['true', true], ['false', false], ['1', true], ['0', false]])

/**
 * A device command through the gateway's local API (`POST /api/devices/:id/commands`): the
 * gateway logs it, applies the relay guard and publishes it. A refusal becomes a node error
 * with the gateway's code, which a Catch node can handle; the flow keeps running.
 */
module.exports = function (RED) {
  function invalid(key, vars) {
    return new GatewayApiError('COMMAND_INPUT_INVALID', RED._(`tendero-command-out.errors.${key}`, vars))
  }

  /** The command body and device from the node's settings, filled in from the message. */
  function commandFrom(config, msg) {
    const deviceId = config.deviceId || msg.deviceId
    if (typeof deviceId !== 'string' || !DEVICE_ID.test(deviceId)) throw invalid('device', { deviceId: String(deviceId) })
    const p = msg.payload
    // A whole command in the payload: { kind, relay, on } or { kind, name, value }.
    if (p && typeof p === 'object' && !Array.isArray(p) && typeof p.kind === 'string') return { deviceId, body: { ...p } }
    const kind = config.kind || msg.kind
    if (kind === 'relay.set') {
      const relay = config.relay || msg.relay
      if (!relay) throw invalid('relay')
      const on = ON.get(typeof p === 'string' ? p.trim().toLowerCase() : p)
      if (on === undefined) throw invalid('on', { payload: JSON.stringify(p) })
      return { deviceId, body: { kind, relay, on } }
    }
    if (kind === 'setpoint.set') {
      const name = config.name || msg.name
      if (!name) throw invalid('name')
      const value = typeof p === 'string' && p.trim() !== '' ? Number(p) : p
      if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid('value', { payload: JSON.stringify(p) })
      return { deviceId, body: { kind, name, value } }
    }
    throw invalid('kind', { kind: String(kind) })
  }

  function TenderoCommandOutNode(config) {
    RED.nodes.createNode(this, config)
    const node = this
    const gateway = RED.nodes.getNode(config.gateway)
    const settings = { deviceId: (config.deviceId || '').trim(), kind: config.kind || '', relay: (config.relay || '').trim(), name: (config.setpoint || '').trim() }

    node.on('input', async (msg, send, done) => {
      if (!gateway) return done(new GatewayApiError('GATEWAY_NOT_CONFIGURED', RED._('tendero-command-out.errors.no-gateway')))
      let command
      try {
        command = commandFrom(settings, msg)
      } catch (err) {
        node.status({ fill: 'red', shape: 'ring', text: err.code })
        return done(err)
      }
      try {
        const answer = await gateway.api('POST', `/api/devices/${command.deviceId}/commands`, command.body)
        node.status({
          fill: 'green',
          shape: 'dot',
          text: RED._(`tendero-command-out.status.${answer.status}`, { device: command.deviceId, kind: command.body.kind }),
        })
        msg.deviceId = command.deviceId
        msg.command = command.body
        if (answer.commandId) msg.commandId = answer.commandId
        msg.payload = answer
        send(msg)
        done()
      } catch (err) {
        node.status({ fill: 'red', shape: 'ring', text: err.code || 'error' })
        done(err)
      }
    })
  }

  RED.nodes.registerType('tendero-command-out', TenderoCommandOutNode)
}
