import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import type { FridgeReport } from '../../api/reports.js'
import { i18n, setLocale } from '../../i18n/index.js'
import FridgeReportCard from './FridgeReportCard.vue'
import { addDays, bandShape, dayEvents, reportLang, todayIn, verdictCounts, yesterdayIn } from './report.js'

const ZONE = 'America/Argentina/Buenos_Aires'
// 2026-11-21 01:30 in Buenos Aires (UTC-3) is 04:30 UTC.
const EARLY = Date.UTC(2026, 10, 21, 4, 30)
const at = (hh: number, mm = 0) => Date.UTC(2026, 10, 21, hh + 3, mm)

function fridge(over: Partial<FridgeReport> = {}): FridgeReport {
  return {
    deviceId: 'camara-1',
    name: 'Cámara 1',
    kind: 'cold_room',
    metric: 'temperature_c',
    band: { minC: 0, maxC: 5, origin: 'default' },
    verdict: 'excursion',
    readings: 8000,
    expected: 8640,
    coveragePct: 92.6,
    medianIntervalMs: 10_000,
    gapThresholdMs: 300_000,
    minC: 1.2,
    avgC: 3.4,
    maxC: 8.9,
    inBandPct: 97.5,
    missingMs: 3_600_000,
    missingPct: 4.2,
    excursions: [{ start: at(14, 0), end: at(14, 25), durationMs: 25 * 60_000, direction: 'high', peakC: 8.9, closedBy: 'reading', alarmCovered: true, alarmIds: ['a1'] }],
    gaps: [
      { start: at(3, 0), end: at(4, 0), durationMs: 3_600_000, source: 'silent', kind: 'no_readings' },
      { start: at(20, 0), end: at(20, 10), durationMs: 600_000, source: 'gateway', kind: 'downsampled' },
    ],
    ...over,
  }
}

describe('report days and words', () => {
  it("takes today and yesterday on the shop's clock, not the browser's", () => {
    expect(todayIn(ZONE, EARLY)).toBe('2026-11-21')
    expect(todayIn('UTC', Date.UTC(2026, 10, 21, 1, 0))).toBe('2026-11-21')
    // 01:00 UTC is still the 20th in Buenos Aires: yesterday there is the 19th.
    expect(yesterdayIn(ZONE, Date.UTC(2026, 10, 21, 1, 0))).toBe('2026-11-19')
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28')
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
  })

  it('names the band by the limits it has and asks for the UI language', () => {
    expect(bandShape({ minC: 0, maxC: 5 })).toEqual({ kind: 'range', min: 0, max: 5 })
    expect(bandShape({ minC: null, maxC: -18 })).toEqual({ kind: 'atMost', max: -18 })
    expect(bandShape({ minC: 2, maxC: null })).toEqual({ kind: 'atLeast', min: 2 })
    expect(reportLang('es-AR')).toBe('es')
    expect(reportLang('en')).toBe('en')
  })

  it('lists every excursion and gap by start and counts verdicts', () => {
    const events = dayEvents(fridge())
    expect(events.map((e) => e.type)).toEqual(['gap', 'excursion', 'gap'])
    expect(verdictCounts([fridge(), fridge({ verdict: 'ok' }), fridge({ verdict: 'incomplete' }), fridge()])).toEqual({ ok: 1, excursion: 2, incomplete: 1 })
  })
})

describe('FridgeReportCard', () => {
  afterEach(() => setLocale('es-AR'))

  const mountCard = (f: FridgeReport) => mount(FridgeReportCard, { props: { fridge: f, timeZone: ZONE, date: '2026-11-21' }, global: { plugins: [i18n] } })

  it('shows the verdict, the band and its origin, the figures, and each excursion and gap with start, end and duration', () => {
    const wrapper = mountCard(fridge())
    expect(wrapper.get('[data-testid=report-verdict]').text()).toBe('No cumple')
    expect(wrapper.get('[data-testid=report-band]').text()).toContain('0,0 a 5,0 °C')
    expect(wrapper.get('[data-testid=report-band]').text()).toContain('por defecto')
    const text = wrapper.text()
    expect(text).toContain('92,6 %')
    expect(text).toContain('8000 lecturas de 8640 esperadas')
    expect(text).toContain('1,2 °C / 3,4 °C / 8,9 °C')
    const excursions = wrapper.findAll('[data-testid=report-excursion]')
    expect(excursions).toHaveLength(1)
    expect(excursions[0]!.text()).toContain('14:00 – 14:25')
    expect(excursions[0]!.text()).toContain('25 min')
    expect(excursions[0]!.text()).toContain('pico 8,9 °C')
    expect(excursions[0]!.text()).toContain('con alarma')
    const gaps = wrapper.findAll('[data-testid=report-gap]')
    expect(gaps.map((g) => g.attributes('data-kind'))).toEqual(['no_readings', 'downsampled'])
    expect(gaps[0]!.text()).toContain('03:00 – 04:00')
    expect(gaps[0]!.text()).toContain('1 h')
    expect(gaps[1]!.text()).toContain('Resumido por minuto')
  })

  it('says so when a day has no excursions or gaps, and an empty day is incomplete with no figures', () => {
    const wrapper = mountCard(
      fridge({ verdict: 'incomplete', readings: 0, expected: null, coveragePct: 0, minC: null, avgC: null, maxC: null, inBandPct: null, excursions: [], gaps: [], band: { minC: null, maxC: -18, origin: 'device' } }),
    )
    expect(wrapper.get('[data-testid=report-verdict]').text()).toBe('Incompleto')
    expect(wrapper.find('[data-testid=report-no-excursions]').exists()).toBe(true)
    expect(wrapper.find('[data-testid=report-no-gaps]').exists()).toBe(true)
    expect(wrapper.get('[data-testid=report-band]').text()).toContain('-18,0 °C o menos')
    expect(wrapper.get('[data-testid=report-band]').text()).toContain('configurado en el equipo')
    expect(wrapper.text()).toContain('— / — / —')
  })

  it('speaks English and dates a gap that runs past midnight', async () => {
    setLocale('en')
    const nextDay = Date.UTC(2026, 10, 22, 3 + 0, 30)
    const wrapper = mountCard(fridge({ verdict: 'ok', excursions: [], gaps: [{ start: at(23, 50), end: nextDay, durationMs: nextDay - at(23, 50), source: 'silent', kind: 'no_readings' }] }))
    expect(wrapper.get('[data-testid=report-verdict]').text()).toBe('Compliant')
    const gap = wrapper.get('[data-testid=report-gap]').text()
    expect(gap).toMatch(/Nov 22/)
    expect(gap).toContain('40 min')
  })
})
