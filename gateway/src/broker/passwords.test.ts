import { describe, expect, it } from 'vitest'
import { hashPassword, parsePasswordHash, verificationStats, verifyPassword } from './passwords.js'

describe('device passwords', () => {
  it('hashes in the scrypt$N$r$p$salt$hash format and verifies', async () => {
    const hash = await hashPassword('camara-1-demo')
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/)
    expect(await verifyPassword('camara-1-demo', hash)).toBe(true)
    expect(await verifyPassword('camara-1-dem0', hash)).toBe(false)
    expect(await verifyPassword('', hash)).toBe(false)
  })

  it('matches no password when there is no hash', async () => {
    const before = verificationStats().runs
    expect(await verifyPassword('', undefined)).toBe(false)
    expect(await verifyPassword('cualquiera', undefined)).toBe(false)
    // It still spends a real scrypt run, so the missing hash does not show in the timing.
    expect(verificationStats().runs).toBeGreaterThanOrEqual(before + 2)
  })

  it('salts every hash', async () => {
    expect(await hashPassword('x')).not.toBe(await hashPassword('x'))
  })

  it('rejects malformed hashes with a coded error', () => {
    expect(() => parsePasswordHash('plain')).toThrow(expect.objectContaining({ code: 'PASSWORD_ERR_FORMAT' }))
    expect(() => parsePasswordHash('scrypt$1000$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==')).toThrow(/power of two/)
  })

  it('proves a reconnecting device from the cache, never a wrong password', async () => {
    const hash = await hashPassword('reconecta')
    expect(await verifyPassword('reconecta', hash)).toBe(true)
    const before = verificationStats().runs
    expect(await verifyPassword('reconecta', hash)).toBe(true)
    expect(verificationStats().runs).toBe(before)
    expect(await verifyPassword('reconecta!', hash)).toBe(false)
    expect(verificationStats().runs).toBe(before + 1)
  })

  it('runs at most two scrypt verifications at once', async () => {
    const hashes = await Promise.all(Array.from({ length: 6 }, (_, i) => hashPassword(`pw-${i}`)))
    const results = await Promise.all(hashes.map((h, i) => verifyPassword(`pw-${i}`, h)))
    expect(results).toEqual([true, true, true, true, true, true])
    expect(verificationStats().peak).toBeLessThanOrEqual(2)
  })
})
