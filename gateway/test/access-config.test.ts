import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parseSiteConfig, readSiteConfig, type SiteConfig } from '../src/config.js'
import { barSite } from './access-harness.js'

const reasonsOf = (fn: () => unknown): string[] => {
  try {
    fn()
  } catch (err) {
    return ((err as { details?: { reasons?: string[] } }).details?.reasons ?? []) as string[]
  }
  throw new Error('expected the config to be refused')
}

describe('access site config', () => {
  it('the bar demo site config is valid and names its doors, terminals and cards', () => {
    const site = readSiteConfig(fileURLToPath(new URL('../config/bar.json', import.meta.url)))
    expect(site.timezone).toBe('America/Argentina/Buenos_Aires')
    expect(site.access?.currency).toBe('ARS')
    expect(site.access?.doors.map((d) => d.id)).toEqual(['entrada', 'vip', 'deposito'])
    expect(site.access?.cards.some((c) => c.blocked)).toBe(true)
  })

  it('names the path of every bad field: references, duplicates, schedules, time zone', async () => {
    const good = await barSite()
    const bad = structuredClone(good) as SiteConfig & { access: NonNullable<SiteConfig['access']> }
    bad.timezone = 'America/Springfield'
    bad.access.doors[0]!.deviceId = 'lector-fantasma'
    bad.access.doors[1]!.schedule = [{ days: ['mon'], from: '22:00', to: '22:00' }]
    bad.access.terminals!.push({ deviceId: 'barra-1' })
    bad.access.cards.push({ id: '04a1b2c3', holder: 'Duplicada', doors: ['vip', 'sotano'] })
    expect(reasonsOf(() => parseSiteConfig(bad))).toEqual([
      '/timezone: unknown IANA time zone "America/Springfield"',
      '/access/doors/0/deviceId: unknown device "lector-fantasma"',
      '/access/doors/1/schedule/0/to: must differ from "from" (use 00:00-24:00 for a whole day)',
      '/access/terminals/2/deviceId: duplicate terminal "barra-1"',
      '/access/cards/3/id: duplicate card id "04a1b2c3"',
      '/access/cards/3/doors/1: unknown door "sotano"',
    ])
  })

  it('refuses malformed schedules, money that is not integer minor units, and a bad currency by schema', async () => {
    const good = await barSite()
    const cases: [(s: NonNullable<SiteConfig['access']>) => void, string][] = [
      [(a) => (a.doors[0]!.schedule = [{ days: ['viernes' as 'fri'], from: '23:00', to: '06:00' }]), '/access/doors/0/schedule/0/days/0'],
      [(a) => (a.doors[0]!.schedule = [{ days: ['fri'], from: '25:00', to: '06:00' }]), '/access/doors/0/schedule/0/from'],
      [(a) => (a.cards[0]!.balanceMinor = 10.5), '/access/cards/0/balanceMinor'],
      [(a) => (a.offlineLimitMinor = -1), '/access/offlineLimitMinor'],
      [(a) => (a.currency = 'pesos'), '/access/currency'],
    ]
    for (const [edit, path] of cases) {
      const site = structuredClone(good)
      edit(site.access!)
      expect(reasonsOf(() => parseSiteConfig(site)).join('\n')).toContain(path)
    }
  })
})
