'use strict'

const mqtt = require('mqtt')
const { request, topicMatches, GatewayApiError } = require('../lib/gateway-api.js')

/**
 * Config node: one Tendero gateway on site. It holds the one MQTT connection every
 * telemetry node of this gateway shares (a service client may only read; the gateway cuts
 * it off if it publishes), and makes the local API calls that change things, with the token.
 */
module.exports = function (RED) {
  // A credential written as `${NAME}` is read from the environment, like the node's other
  // properties, so shipped flows carry no secrets and run unchanged in a demo, a test or a shop.
  function resolve(node, value) {
    const m = /^\$\{(\w+)\}$/.exec(value || '')
    if (!m) return value || ''
    const v = RED.util.getSetting(node, m[1])
    if (v === undefined) node.warn(RED._('tendero-gateway.errors.unset-credential', { name: m[1] }))
    return v === undefined ? '' : String(v)
  }

  function TenderoGatewayNode(config) {
    RED.nodes.createNode(this, config)
    const node = this
    node.name = config.name
    // Node-RED substitutes `${NAME}` in properties; one left as is names a variable nobody set.
    const setting = (value, fallback) => {
      const unset = /^\$\{(\w+)\}$/.exec(value || '')
      if (unset) node.warn(RED._('tendero-gateway.errors.unset-env', { name: unset[1], fallback }))
      return !value || unset ? fallback : value
    }
    node.host = setting(config.host, '127.0.0.1')
    node.mqttPort = Number(setting(config.mqttPort, '1883'))
    node.apiPort = Number(setting(config.apiPort, '8090'))
    const creds = node.credentials || {}
    const serviceId = resolve(node, creds.serviceId)
    const password = resolve(node, creds.password)
    const apiToken = resolve(node, creds.apiToken)
    node.apiBase = `http://${node.host}:${node.apiPort}`
    node.hasToken = apiToken !== ''

    /** @type {Map<string, {filter: string, onMessage: Function}>} by subscriber node id */
    const subscribers = new Map()
    const statusListeners = new Set()
    let client
    let state = 'disconnected'
    let closing = false

    const setState = (next, detail) => {
      state = next
      for (const listener of statusListeners) listener(next, detail)
    }

    function ensureClient() {
      if (client || closing) return
      if (!serviceId) {
        setState('error', RED._('tendero-gateway.errors.no-service'))
        return
      }
      client = mqtt.connect(`mqtt://${node.host}:${node.mqttPort}`, {
        clientId: serviceId,
        username: serviceId,
        password,
        // A restarted Node-RED should not act on a backlog of old readings.
        clean: true,
        reconnectPeriod: 2000,
        connectTimeout: 5000,
      })
      client.on('connect', () => {
        const filters = [...new Set([...subscribers.values()].map((s) => s.filter))]
        if (filters.length > 0) client.subscribe(filters, { qos: 1 })
        setState('connected')
      })
      client.on('close', () => state !== 'error' && setState('disconnected'))
      client.on('offline', () => setState('disconnected'))
      // A refused login repeats on every reconnect: warn once per distinct reason.
      let lastError
      client.on('connect', () => {
        lastError = undefined
      })
      client.on('error', (err) => {
        if (err.message !== lastError) node.warn(RED._('tendero-gateway.errors.mqtt', { error: err.message }))
        lastError = err.message
        setState('error', err.message)
      })
      client.on('message', (topic, payload) => {
        for (const sub of subscribers.values()) {
          if (!topicMatches(sub.filter, topic)) continue
          try {
            sub.onMessage(topic, payload)
          } catch (err) {
            node.error(err)
          }
        }
      })
    }

    /** Subscribes a node to a filter on the shared connection (QoS 1). */
    node.subscribe = function (subscriber, filter, onMessage) {
      subscribers.set(subscriber.id, { filter, onMessage })
      ensureClient()
      if (client && client.connected) client.subscribe(filter, { qos: 1 })
    }

    node.unsubscribe = function (subscriber) {
      const sub = subscribers.get(subscriber.id)
      subscribers.delete(subscriber.id)
      if (!sub || !client) return
      if (![...subscribers.values()].some((s) => s.filter === sub.filter)) client.unsubscribe(sub.filter)
    }

    /** Calls `listener(state, detail)` now and on every change: connected, disconnected, error. */
    node.onStatus = function (listener) {
      statusListeners.add(listener)
      listener(state)
      return () => statusListeners.delete(listener)
    }

    // For diagnostics and tests: the shared MQTT client, once a node has subscribed.
    Object.defineProperty(node, 'mqttClient', { get: () => client })

    /** A local API call; `auth: false` for the open /health. */
    node.api = function (method, path, body, { auth = true } = {}) {
      if (auth && !apiToken)
        return Promise.reject(new GatewayApiError('GATEWAY_NO_TOKEN', RED._('tendero-gateway.errors.no-token')))
      return request(node.apiBase, method, path, { token: auth ? apiToken : undefined, body })
    }

    node.on('close', (done) => {
      closing = true
      statusListeners.clear()
      subscribers.clear()
      if (!client) return done()
      client.end(true, {}, () => done())
    })
  }

  RED.nodes.registerType('tendero-gateway', TenderoGatewayNode, {
    credentials: {
      serviceId: { type: 'text' },
      password: { type: 'password' },
      apiToken: { type: 'password' },
    },
  })
}
