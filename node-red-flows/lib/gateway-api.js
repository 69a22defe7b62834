'use strict'

/**
 * The local API of a Tendero gateway as the nodes use it: JSON in and out, a bearer token,
 * and every failure as an Error carrying the gateway's `code` (a Catch node sees it as
 * `msg.error.code`) and the HTTP `status`.
 */

const REQUEST_TIMEOUT_MS = 5000

class GatewayApiError extends Error {
  constructor(code, message, status, path) {
    super(`${code}: ${message}`)
    this.name = 'GatewayApiError'
    this.code = code
    if (status !== undefined) this.status = status
    if (path !== undefined) this.path = path
  }
}

async function request(base, method, path, { token, body } = {}) {
  const headers = {}
  if (token) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  let res
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    })
  } catch (err) {
    const why = err && err.cause && err.cause.code ? err.cause.code : err && err.name === 'TimeoutError' ? 'timeout' : String(err && err.message)
    throw new GatewayApiError('GATEWAY_UNREACHABLE', `${method} ${base}${path}: ${why}`)
  }
  const text = await res.text()
  let json
  try {
    json = text ? JSON.parse(text) : undefined
  } catch {
    throw new GatewayApiError('GATEWAY_BAD_ANSWER', `${method} ${path}: HTTP ${res.status} with a body that is not JSON`, res.status)
  }
  if (!res.ok) {
    const e = (json && json.error) || {}
    throw new GatewayApiError(e.code || `HTTP_${res.status}`, e.message || `HTTP ${res.status}`, res.status, e.path)
  }
  return json
}

/** MQTT topic filter matching (`+` one level, `#` the rest), for dispatching on one shared connection. */
function topicMatches(filter, topic) {
  const f = filter.split('/')
  const t = topic.split('/')
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true
    if (i >= t.length) return false
    if (f[i] !== '+' && f[i] !== t[i]) return false
  }
  return f.length === t.length
}

const DEVICE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/

module.exports = { request, topicMatches, GatewayApiError, DEVICE_ID }
