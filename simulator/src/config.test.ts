import { describe, expect, it } from 'vitest'
import { loadConfig, usage } from './config.js'

describe('config', () => {
  it('uses the demo defaults', () => {
    expect(loadConfig([], {})).toMatchObject({
      mqttUrl: 'mqtt://127.0.0.1:1883',
      deviceId: 'camara-1',
      password: '{id}-demo',
      devices: 1,
      idPrefix: 'camara',
      reconnectMs: 2000,
      ackLog: undefined,
      speed: 1,
      intervalMs: 2000,
      compressorOn: false,
      keepaliveS: 10,
      logLevel: undefined,
      help: false,
    })
  })

  it('lets flags win over the environment', () => {
    const env = { SIM_SPEED: '5', SIM_DEVICE_ID: 'camara-2', SIM_COMPRESSOR: 'on' }
    const config = loadConfig(['--speed', '20', '--start-temp', '6', '--seed', '42'], env)
    expect(config).toMatchObject({ speed: 20, deviceId: 'camara-2', compressorOn: true, startTempC: 6, seed: 42 })
  })

  it('refuses bad values with one line naming the flag and the variable', () => {
    expect(() => loadConfig(['--speed', 'fast'], {})).toThrow('Invalid --speed / SIM_SPEED: "fast" is not a number')
    expect(() => loadConfig(['--compressor', 'maybe'], {})).toThrow(/--compressor/)
    expect(() => loadConfig([], { SIM_DEVICE_ID: 'Camara 1' })).toThrow(/SIM_DEVICE_ID/)
    expect(() => loadConfig(['--mqtt-url', 'http://x'], {})).toThrow(/unsupported scheme/)
    expect(() => loadConfig([], { SIM_KEEPALIVE_S: '0' })).toThrow('Invalid --keepalive / SIM_KEEPALIVE_S: 0 is outside 1…65535')
    expect(() => loadConfig(['--nope'], {})).toThrow(expect.objectContaining({ code: 'SIM_CONFIG_INVALID' }))
    expect(() => loadConfig(['--devices', '0'], {})).toThrow('Invalid --devices / SIM_DEVICES: 0 is outside 1…1000')
    expect(() => loadConfig(['--devices', '50', '--id-prefix', 'Cámara'], {})).toThrow(/--id-prefix/)
    expect(() => loadConfig(['--ack-log', ''], {})).toThrow(/--ack-log/)
  })

  it('takes a fleet: count, id prefix, a password template and an ack log', () => {
    const config = loadConfig(['--devices', '50', '--password', '{id}-pw', '--reconnect', '250'], { SIM_ACK_LOG: '/tmp/acks.jsonl' })
    expect(config).toMatchObject({ devices: 50, idPrefix: 'camara', password: '{id}-pw', reconnectMs: 250, ackLog: '/tmp/acks.jsonl' })
  })

  it('documents every flag in the usage text', () => {
    for (const flag of ['--mqtt-url', '--device', '--password', '--speed', '--interval', '--start-temp', '--compressor', '--seed', '--keepalive', '--devices', '--id-prefix', '--reconnect', '--ack-log']) {
      expect(usage).toContain(flag)
    }
  })
})
