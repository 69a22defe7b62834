import { describe, expect, it } from 'vitest'
import en from './en.js'
import es from './es.js'
import { formatTime } from './format.js'
import { errorMessageKey } from './index.js'

function keyPaths(messages: object, prefix = ''): string[] {
  return Object.entries(messages).flatMap(([key, value]) =>
    typeof value === 'object' && value !== null ? keyPaths(value as object, `${prefix}${key}.`) : [`${prefix}${key}`],
  )
}

describe('i18n', () => {
  it('es and en have exactly the same keys', () => {
    expect(keyPaths(en).sort()).toEqual(keyPaths(es).sort())
  })

  it('every message is a non-empty string', () => {
    for (const messages of [es, en]) {
      for (const path of keyPaths(messages)) {
        const value = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], messages)
        expect(typeof value === 'string' && value.length > 0, path).toBe(true)
      }
    }
  })

  it('maps unknown error codes to the generic message', () => {
    expect(errorMessageKey('AUTH_INVALID_CREDENTIALS')).toBe('errors.AUTH_INVALID_CREDENTIALS')
    expect(errorMessageKey('SOMETHING_NEW')).toBe('errors.UNKNOWN')
  })

  it("shows times on the site's clock, not the browser's", () => {
    const t = Date.UTC(2025, 0, 15, 15, 5) // 12:05 in Buenos Aires (UTC-3)
    expect(formatTime(t, 'es-AR', 'America/Argentina/Buenos_Aires')).toBe('12:05')
    expect(formatTime(t, 'es-AR', 'America/Bogota')).toBe('10:05')
    expect(formatTime(t + 6 * 3_600_000, 'es-AR', 'America/Argentina/Buenos_Aires')).toBe('18:05')
  })
})
