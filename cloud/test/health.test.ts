import { describe, expect, it } from 'vitest'
import { buildTestApp } from './support/app.js'

describe('health', () => {
  it('answers 503 with db "down" when the database fails, instead of crashing', async () => {
    const t = await buildTestApp('pglite', { seedDemo: false })
    try {
      await t.app.db.destroy()
      const res = await t.app.inject({ url: '/api/health' })
      expect(res.statusCode).toBe(503)
      expect(res.json()).toEqual({ status: 'degraded', db: 'down', version: '0.1.0' })
    } finally {
      await t.close().catch(() => {})
    }
  })
})
