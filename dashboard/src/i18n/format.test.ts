import { describe, expect, it } from 'vitest'
import { formatBytes, formatCount, formatDays, formatDuration, formatRelative } from './format.js'

const NOW = Date.UTC(2025, 0, 15, 15, 0, 0)
const ago = (ms: number) => NOW - ms

describe('formatRelative', () => {
  it('reads the last few seconds, and a clock slightly ahead, as now', () => {
    expect(formatRelative(ago(0), 'es-AR', NOW)).toBe('ahora')
    expect(formatRelative(ago(9_999), 'es-AR', NOW)).toBe('ahora')
    expect(formatRelative(NOW + 3_000, 'es-AR', NOW)).toBe('ahora')
    expect(formatRelative(ago(5_000), 'en', NOW)).toBe('now')
  })

  it('picks the largest whole unit, rounding down', () => {
    expect(formatRelative(ago(42_000), 'es-AR', NOW)).toMatch(/^hace 42 s/)
    expect(formatRelative(ago(3 * 60_000 + 59_000), 'es-AR', NOW)).toBe('hace 3 min')
    expect(formatRelative(ago(2 * 3_600_000 + 1), 'es-AR', NOW)).toBe('hace 2 h')
    expect(formatRelative(ago(3 * 86_400_000), 'es-AR', NOW)).toBe('hace 3 días')
    expect(formatRelative(ago(3 * 60_000), 'en', NOW)).toMatch(/^3 min\.? ago$/)
  })
})

describe('formatDuration', () => {
  it('shows the two largest units', () => {
    expect(formatDuration(0, 'es-AR')).toBe('0 s')
    expect(formatDuration(59.9, 'es-AR')).toBe('59 s')
    expect(formatDuration(60, 'es-AR')).toBe('1 min')
    expect(formatDuration(200, 'es-AR')).toBe('3 min 20 s')
    expect(formatDuration(2 * 3600 + 5 * 60 + 7, 'es-AR')).toBe('2 h 5 min')
    expect(formatDuration(3 * 86_400 + 4 * 3600, 'en')).toBe('3 d 4 h')
    expect(formatDuration(2 * 86_400, 'en')).toBe('2 d')
  })

  it('never shows a negative duration', () => {
    expect(formatDuration(-5, 'es-AR')).toBe('0 s')
  })
})

describe('formatBytes, formatDays and formatCount', () => {
  it('formats disk sizes in binary multiples with the locale decimal separator', () => {
    expect(formatBytes(512, 'es-AR')).toBe('512 B')
    expect(formatBytes(1536, 'es-AR')).toBe('1,5 kB')
    expect(formatBytes(12.34 * 1024 * 1024, 'es-AR')).toBe('12 MB')
    expect(formatBytes(512 * 1024 * 1024, 'en')).toBe('512 MB')
    expect(formatBytes(1.5 * 1024 ** 3, 'en')).toBe('1.5 GB')
  })

  it('lets the locale pick the plural of days', () => {
    expect(formatDays(1, 'es-AR')).toBe('1 día')
    expect(formatDays(4.54, 'es-AR')).toBe('4,5 días')
    expect(formatDays(1, 'en')).toBe('1 day')
    expect(formatDays(37.6, 'en')).toBe('38 days')
  })

  it('groups thousands the local way', () => {
    expect(formatCount(12345, 'es-AR')).toBe('12.345')
    expect(formatCount(12345, 'en')).toBe('12,345')
  })
})
