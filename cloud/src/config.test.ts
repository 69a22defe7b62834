import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './config.js'

describe('loadConfig', () => {
  const dirs: string[] = []
  const tmp = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tendero-config-'))
    dirs.push(dir)
    return dir
  }
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  it('has demo-friendly defaults: PGlite in the data dir and a persisted secret', () => {
    const dataDir = tmp()
    const config = loadConfig({ CLOUD_DATA_DIR: dataDir })
    expect(config).toMatchObject({
      port: 8080, host: '0.0.0.0', demoGatewayKey: 'demo-gateway-key', seedDemo: true, logLevel: 'info',
      database: { driver: 'pglite', dataDir: path.join(dataDir, 'pglite') },
    })
    expect(config.dashboardDir).toMatch(/dashboard[/\\]dist$/)
    expect(readFileSync(path.join(dataDir, 'jwt-secret'), 'utf8').trim()).toBe(config.jwtSecret)
    // Tokens survive a restart.
    expect(loadConfig({ CLOUD_DATA_DIR: dataDir }).jwtSecret).toBe(config.jwtSecret)
  })

  it('converts and uses explicit values', () => {
    const config = loadConfig({
      CLOUD_PORT: '9000', DATABASE_URL: 'postgres://u@h/db', JWT_SECRET: 's'.repeat(32), SEED_DEMO: 'false',
      LOG_LEVEL: 'warn', CLOUD_DATA_DIR: tmp(),
    })
    expect(config).toMatchObject({ port: 9000, database: { driver: 'postgres', url: 'postgres://u@h/db' },
      jwtSecret: 's'.repeat(32), seedDemo: false, logLevel: 'warn' })
  })

  it('fails fast naming every bad variable', () => {
    expect(() => loadConfig({ CLOUD_PORT: 'eighty', LOG_LEVEL: 'loud', CLOUD_DATA_DIR: tmp() })).toThrow(ConfigError)
    expect(() => loadConfig({ CLOUD_PORT: 'eighty', LOG_LEVEL: 'loud', CLOUD_DATA_DIR: tmp() })).toThrow(/CLOUD_PORT.*LOG_LEVEL/)
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x', CLOUD_DATA_DIR: tmp() })).toThrow(/DATABASE_URL/)
  })
  it('takes WhatsApp and SMS providers as URL and token pairs', () => {
    const config = loadConfig({ WHATSAPP_API_URL: 'https://wa.example.com/v1', WHATSAPP_TOKEN: 't0k', TRUST_PROXY: '10.0.0.0/8' })
    expect(config.whatsapp).toEqual({ baseUrl: 'https://wa.example.com/v1', token: 't0k' })
    expect(config.sms).toBeUndefined()
    expect(config.trustProxy).toBe('10.0.0.0/8')
    expect(() => loadConfig({ SMS_API_URL: 'https://sms.example.com' })).toThrow('set both SMS_API_URL and SMS_TOKEN, or neither')
  })
  it('takes the rate limits per minute (0 turns one off) and refuses private webhook targets unless told', () => {
    const defaults = loadConfig({ CLOUD_DATA_DIR: tmp() })
    expect(defaults.rateLimits).toEqual({ readPerMin: 1200, writePerMin: 300, publicPerMin: 300, gatewayPerMin: 6000 })
    expect(defaults.webhookAllowPrivate).toBe(false)
    const set = loadConfig({ CLOUD_DATA_DIR: tmp(), RATE_LIMIT_READ_PER_MIN: '0', RATE_LIMIT_WRITE_PER_MIN: '30',
      RATE_LIMIT_PUBLIC_PER_MIN: '60', RATE_LIMIT_GATEWAY_PER_MIN: '100000', WEBHOOK_ALLOW_PRIVATE: 'true' })
    expect(set.rateLimits).toEqual({ readPerMin: 0, writePerMin: 30, publicPerMin: 60, gatewayPerMin: 100_000 })
    expect(set.webhookAllowPrivate).toBe(true)
    expect(() => loadConfig({ CLOUD_DATA_DIR: tmp(), RATE_LIMIT_WRITE_PER_MIN: '-1' })).toThrow(/RATE_LIMIT_WRITE_PER_MIN/)
  })
})
