import { describe, expect, it } from 'vitest'
import { base32Decode, base32Encode, otpauthUri, totpAt, verifyTotp } from './totp.js'

// RFC 6238 appendix B, SHA-1, secret "12345678901234567890", last 6 digits of the 8-digit values.
const RFC_SECRET = base32Encode(Buffer.from('12345678901234567890'))
const VECTORS: [number, string][] = [
  [59, '287082'],
  [1111111109, '081804'],
  [1111111111, '050471'],
  [1234567890, '005924'],
  [2000000000, '279037'],
]

describe('TOTP', () => {
  it('matches the RFC 6238 test vectors', () => {
    for (const [t, code] of VECTORS) expect(totpAt(RFC_SECRET, Math.floor(t / 30))).toBe(code)
  })

  it('round-trips base32', () => {
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 253, 254, 255, 17])
    expect(base32Decode(base32Encode(bytes))).toEqual(bytes)
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI')
  })

  it('accepts one step of drift, each step once, and nothing else', () => {
    const now = 1_800_000_000_000
    const step = Math.floor(now / 30_000)
    expect(verifyTotp(RFC_SECRET, totpAt(RFC_SECRET, step), now, null)).toBe(step)
    expect(verifyTotp(RFC_SECRET, totpAt(RFC_SECRET, step - 1), now, null)).toBe(step - 1)
    expect(verifyTotp(RFC_SECRET, totpAt(RFC_SECRET, step + 1), now, null)).toBe(step + 1)
    expect(verifyTotp(RFC_SECRET, totpAt(RFC_SECRET, step - 2), now, null)).toBeNull()
    // Replay of the step already used.
    expect(verifyTotp(RFC_SECRET, totpAt(RFC_SECRET, step), now, step)).toBeNull()
    expect(verifyTotp(RFC_SECRET, '12345', now, null)).toBeNull()
    expect(verifyTotp(RFC_SECRET, 'abcdef', now, null)).toBeNull()
  })

  it('builds the URI authenticator apps scan', () => {
    expect(otpauthUri('ABC', 'ana@tienda.com')).toBe('otpauth://totp/Tendero%3Aana%40tienda.com?secret=ABC&issuer=Tendero&algorithm=SHA1&digits=6&period=30')
  })
})
