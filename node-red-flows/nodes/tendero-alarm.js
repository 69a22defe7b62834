'use strict'

const { DEVICE_ID, GatewayApiError } = require('../lib/gateway-api.js')

const KEY = /^[a-z0-9][a-z0-9_-]{0,47}$/
const SEVERITIES = ['info', 'warning', 'critical', 'emergency']
// The gateway names alarms raised through its API `ext.<key>:<deviceId>` (gateway README, Local API).
const alarmIdOf = (key, deviceId) => `ext.${key}:${deviceId}`

/**
 * Raises or clears an alarm on the gateway from a flow. Raising one already active and
 * clearing one that is not are both no-ops, so a flow may repeat itself on every reading.
 */
module.exports = function (RED) {
  const invalid = (key, vars) => new GatewayApiError('ALARM_INPUT_INVALID', RED._(`tendero-alarm.errors.${key}`, vars))

  function TenderoAlarmNode(config) {
    RED.nodes.createNode(this, config)
    const node = this
    const gateway = RED.nodes.getNode(config.gateway)

    node.on('input', async (msg, send, done) => {
      if (!gateway) return done(new GatewayApiError('GATEWAY_NOT_CONFIGURED', RED._('tendero-alarm.errors.no-gateway')))
      const action = config.action && config.action !== 'msg' ? config.action : msg.action
      const key = config.key || msg.key
      const deviceId = config.deviceId || msg.deviceId || 'gateway'
      try {
        if (action !== 'raise' && action !== 'clear') throw invalid('action', { action: String(action) })
        if (typeof key !== 'string' || !KEY.test(key)) throw invalid('key', { key: String(key) })
        if (typeof deviceId !== 'string' || !DEVICE_ID.test(deviceId)) throw invalid('device', { deviceId: String(deviceId) })
        const alarmId = alarmIdOf(key, deviceId)
        let answer
        if (action === 'raise') {
          const severity = config.severity || msg.severity || 'warning'
          if (!SEVERITIES.includes(severity)) throw invalid('severity', { severity: String(severity) })
          const message = config.message || (typeof msg.payload === 'string' && msg.payload) || msg.message || key
          const value = typeof msg.value === 'number' ? msg.value : typeof msg.payload === 'number' ? msg.payload : undefined
          answer = await gateway.api('POST', '/api/alarms', { key, deviceId, severity, message, ...(value !== undefined && Number.isFinite(value) ? { value } : {}) })
          node.status({ fill: 'red', shape: 'dot', text: RED._('tendero-alarm.status.raised', { alarmId }) })
        } else {
          try {
            answer = await gateway.api('POST', `/api/alarms/${encodeURIComponent(alarmId)}/clear`, {})
          } catch (err) {
            if (err.code !== 'ALARM_ERR_NOT_FOUND') throw err
            answer = { alarmId, state: 'cleared', wasActive: false }
          }
          node.status({ fill: 'green', shape: 'dot', text: RED._('tendero-alarm.status.cleared', { alarmId }) })
        }
        msg.alarmId = alarmId
        msg.payload = answer
        send(msg)
        done()
      } catch (err) {
        node.status({ fill: 'red', shape: 'ring', text: err.code || 'error' })
        done(err)
      }
    })
  }

  RED.nodes.registerType('tendero-alarm', TenderoAlarmNode)
}
