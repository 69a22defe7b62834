import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { CREDENTIALS_FILE, readCredentials, writeCredentials } from '../src/provision/credentials.js'

const root = mkdtempSync(join(tmpdir(), 'tendero-provision-config-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const freshDir = () => join(root, `gw-${++n}`)
const creds = { gatewayId: 'gw-abcdefghjk', gatewayKey: 'tgk_0123456789abcdef0123456789', siteId: 's', cloudUrl: 'http://x', claimedAt: 1 }

describe('cloud identity in the gateway config', () => {
  it('keeps the old behaviour without a claim: the site id, GATEWAY_KEY or the demo key', () => {
    const dir = freshDir()
    expect(loadConfig({ GATEWAY_DATA_DIR: dir })).toMatchObject({ gatewayId: 'gw-demo-01', identity: 'env', cloud: { gatewayKey: 'demo-gateway-key' } })
    expect(loadConfig({ GATEWAY_DATA_DIR: dir, GATEWAY_KEY: 'k-123' }).cloud).toEqual({ url: 'http://127.0.0.1:8080', gatewayKey: 'k-123' })
  })

  it('normalizes a typed claim code and carries GATEWAY_NAME and GATEWAY_HARDWARE_ID to the claim', () => {
    const config = loadConfig({ GATEWAY_DATA_DIR: freshDir(), GATEWAY_CLAIM_CODE: ' k7m2q-xh9rp ', GATEWAY_NAME: 'Gateway caja', GATEWAY_HARDWARE_ID: 'SN-1' })
    expect(config.cloud).toEqual({ url: 'http://127.0.0.1:8080', gatewayKey: '', claim: { code: 'K7M2QXH9RP', name: 'Gateway caja', hardwareId: 'SN-1' } })
  })

  it('refuses GATEWAY_KEY with GATEWAY_CLAIM_CODE, and a code that cannot be one', () => {
    expect(() => loadConfig({ GATEWAY_DATA_DIR: freshDir(), GATEWAY_KEY: 'k-123', GATEWAY_CLAIM_CODE: 'K7M2Q-XH9RP' })).toThrow('set one of them, not both')
    expect(() => loadConfig({ GATEWAY_DATA_DIR: freshDir(), GATEWAY_CLAIM_CODE: 'abc' })).toThrow('GATEWAY_CLAIM_CODE: letters and digits')
  })

  it('runs under stored credentials, the claimed id replacing the site config one', () => {
    const dir = freshDir()
    writeCredentials(dir, creds)
    const config = loadConfig({ GATEWAY_DATA_DIR: dir, GATEWAY_CLAIM_CODE: 'K7M2Q-XH9RP' })
    expect(config).toMatchObject({ gatewayId: 'gw-abcdefghjk', site: { gatewayId: 'gw-abcdefghjk' }, identity: 'claim', cloud: { gatewayKey: creds.gatewayKey } })
    expect(config.cloud.claim).toBeUndefined()
    expect(() => loadConfig({ GATEWAY_DATA_DIR: dir, GATEWAY_KEY: 'k-123' })).toThrow('provisioned by a claim code')
  })

  it('writes credentials 0600 through a temp file, replacing a stale temp file and its mode', () => {
    const dir = freshDir()
    writeCredentials(dir, creds)
    writeFileSync(join(dir, `${CREDENTIALS_FILE}.tmp`), 'half', { mode: 0o644 })
    writeCredentials(dir, { ...creds, gatewayKey: 'tgk_second-key-0123456789abcd' })
    expect(statSync(join(dir, CREDENTIALS_FILE)).mode & 0o777).toBe(0o600)
    expect(readCredentials(dir)?.gatewayKey).toBe('tgk_second-key-0123456789abcd')
    expect(readdirSync(dir)).toEqual([CREDENTIALS_FILE])
  })

  it('names a damaged credentials file instead of running without an identity', () => {
    const dir = freshDir()
    writeCredentials(dir, creds)
    writeFileSync(join(dir, CREDENTIALS_FILE), '{"gatewayId": "gw-x"')
    expect(() => loadConfig({ GATEWAY_DATA_DIR: dir })).toThrow(`${CREDENTIALS_FILE}: not valid JSON`)
    writeFileSync(join(dir, CREDENTIALS_FILE), JSON.stringify({ gatewayId: 'gw-x' }))
    expect(() => loadConfig({ GATEWAY_DATA_DIR: dir })).toThrow(/gatewayKey/)
    expect(readFileSync(join(dir, CREDENTIALS_FILE), 'utf8')).toContain('gw-x')
  })
})
