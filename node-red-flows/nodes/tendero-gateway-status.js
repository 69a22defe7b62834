'use strict'

const STATUS_FILL = { ok: 'green', no_cloud: 'yellow', down: 'red' }

/**
 * Watches the gateway: `GET /health` (open) and, with a token, `GET /api/log/stats`, every
 * `interval` seconds. Sends a message when the state changes (`ok`, `no_cloud`: running but
 * the cloud has not acknowledged uploads, `down`: no answer) and on every input message.
 */
module.exports = function (RED) {
  function classify(health) {
    const up = health.uplink || {}
    return up.lastError == null && up.lastSuccessAt != null ? 'ok' : 'no_cloud'
  }

  function TenderoGatewayStatusNode(config) {
    RED.nodes.createNode(this, config)
    const node = this
    const gateway = RED.nodes.getNode(config.gateway)
    const intervalMs = Math.max(1, Number(config.interval) || 10) * 1000
    let last
    let timer
    let closed = false

    if (!gateway) {
      node.status({ fill: 'red', shape: 'ring', text: RED._('tendero-gateway-status.status.no-gateway') })
      node.error(RED._('tendero-gateway-status.errors.no-gateway'))
      return
    }

    async function poll() {
      let payload
      try {
        const health = await gateway.api('GET', '/health', undefined, { auth: false })
        payload = { state: classify(health), health }
        if (gateway.hasToken) {
          try {
            payload.logStats = await gateway.api('GET', '/api/log/stats')
          } catch (err) {
            // A bad token should be seen, not hide the gateway's own state.
            payload.logStatsError = err.code
          }
        }
      } catch (err) {
        payload = { state: 'down', error: err.code, message: err.message }
      }
      const { state } = payload
      node.status({ fill: STATUS_FILL[state], shape: 'dot', text: RED._(`tendero-gateway-status.status.${state}`) })
      return payload
    }

    async function loop() {
      const payload = await poll()
      if (closed) return
      if (payload.state !== last) {
        last = payload.state
        node.send({ topic: 'tendero/gateway/status', payload })
      }
      timer = setTimeout(loop, intervalMs)
    }
    timer = setTimeout(loop, 0)

    node.on('input', async (msg, send, done) => {
      const payload = await poll()
      last = payload.state
      msg.topic = 'tendero/gateway/status'
      msg.payload = payload
      send(msg)
      done()
    })

    node.on('close', () => {
      closed = true
      clearTimeout(timer)
    })
  }

  RED.nodes.registerType('tendero-gateway-status', TenderoGatewayStatusNode)
}
