import { describe, expect, it } from 'vitest'
import { DEFAULT_SITE_CONFIG, parseSiteConfig, readSiteConfig } from '../src/config.js'
import { failsafeCommands } from '../src/failsafe/spec.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const demo = () => structuredClone(readSiteConfig(DEFAULT_SITE_CONFIG)) as unknown as Record<string, any>

function reasonsFor(relays: unknown[]): string[] {
  const site = demo()
  site.devices[0].relays = relays
  try {
    parseSiteConfig(site)
  } catch (err) {
    return (err as { details: { reasons: string[] } }).details.reasons
  }
  return []
}

describe('fail-safe site config', () => {
  it('gives the demo cold room compressor a duty-cycle safe state', () => {
    const site = readSiteConfig(DEFAULT_SITE_CONFIG)
    expect(failsafeCommands(site.devices.find((d) => d.id === 'camara-1')!.relays)).toEqual([
      { kind: 'failsafe.set', relay: 'compressor', mode: 'duty', onSeconds: 600, offSeconds: 900 },
    ])
  })

  it('accepts bare names and objects side by side; a bare name is safe off', () => {
    expect(reasonsFor(['compressor', { name: 'valve', failsafe: { mode: 'off' } }, { name: 'light' }])).toEqual([])
    expect(failsafeCommands(['compressor', { name: 'light' }, { name: 'fan', failsafe: { mode: 'on' } }])).toEqual([
      { kind: 'failsafe.set', relay: 'compressor', mode: 'off' },
      { kind: 'failsafe.set', relay: 'light', mode: 'off' },
      { kind: 'failsafe.set', relay: 'fan', mode: 'on' },
    ])
  })

  it('checks rule actions against relay names given as objects', () => {
    expect(reasonsFor([{ name: 'compressor', failsafe: { mode: 'off' } }])).toEqual([])
    expect(reasonsFor([{ name: 'valve' }])).toContain('/rules/0/actions/0/relay: device "camara-1" has no relay "compressor"')
  })

  it('names the path of a bad safe state', () => {
    expect(reasonsFor(['compressor', { name: 'valve', failsafe: { mode: 'closed' } }])).toEqual([
      '/devices/0/relays/1/failsafe/mode: must be one of off, on, duty, got "closed"',
    ])
    expect(reasonsFor([{ name: 'compressor', failsafe: { mode: 'duty', onSeconds: 600 } }])).toEqual([
      '/devices/0/relays/0/failsafe/offSeconds: required when mode is "duty"',
    ])
    expect(reasonsFor([{ name: 'compressor', failsafe: { mode: 'off', onSeconds: 60 } }])).toEqual([
      '/devices/0/relays/0/failsafe/onSeconds: only allowed when mode is "duty", mode is "off"',
    ])
    expect(reasonsFor([{ name: 'compressor', failsafe: { mode: 'duty', onSeconds: 0, offSeconds: 60 } }])).toEqual([
      expect.stringMatching(/^\/devices\/0\/relays\/0\/failsafe\/onSeconds: /),
    ])
    expect(reasonsFor([{ name: 'compressor', failsafe: { mode: 'on', cycle: 3 } }])[0]).toMatch(/^\/devices\/0\/relays\/0\/failsafe/)
  })

  it('refuses a relay declared twice', () => {
    expect(reasonsFor(['compressor', { name: 'compressor', failsafe: { mode: 'on' } }])).toEqual([
      '/devices/0/relays/1: duplicate relay "compressor"',
    ])
  })
})
