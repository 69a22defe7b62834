import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'

describe('GATEWAY_INFLUX_URL', () => {
  it('leaves the InfluxDB sink off when unset', () => {
    expect(loadConfig({}).influx).toBeUndefined()
    expect(loadConfig({ GATEWAY_INFLUX_URL: '' }).influx).toBeUndefined()
  })

  it('takes the server from the URL and the database from its path', () => {
    expect(loadConfig({ GATEWAY_INFLUX_URL: 'http://127.0.0.1:8086/tendero' }).influx).toEqual({
      url: 'http://127.0.0.1:8086',
      database: 'tendero',
    })
    expect(loadConfig({ GATEWAY_INFLUX_URL: 'https://writer:s%40cret@influx.local:8086/site_1/' }).influx).toEqual({
      url: 'https://influx.local:8086',
      database: 'site_1',
      username: 'writer',
      password: 's@cret',
    })
  })

  it('refuses a URL without a database or with another scheme, without echoing the password', () => {
    expect(() => loadConfig({ GATEWAY_INFLUX_URL: 'http://127.0.0.1:8086' })).toThrow(/GATEWAY_INFLUX_URL: must be http\(s\):\/\/host:port\/<database>/)
    expect(() => loadConfig({ GATEWAY_INFLUX_URL: 'udp://127.0.0.1:8089/tendero' })).toThrow(/GATEWAY_INFLUX_URL/)
    expect(() => loadConfig({ GATEWAY_INFLUX_URL: 'http://u:hunter2@127.0.0.1:8086/a/b' })).toThrow(/\/\/\*\*\*@127\.0\.0\.1/)
    expect(() => loadConfig({ GATEWAY_INFLUX_URL: 'http://u:hunter2@127.0.0.1:8086/a/b' })).not.toThrow(/hunter2/)
  })
})
