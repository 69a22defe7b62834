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

  it('answers the versioned path /api/v1 the same as /api', async () => {
    const t = await buildTestApp('pglite', { seedDemo: false })
    try {
      for (const url of ['/api/v1/health', '/api/health']) expect((await t.app.inject({ url })).json()).toEqual({ status: 'ok', db: 'ok', version: '0.1.0' })
      const denied = await t.app.inject({ url: '/api/v1/sites' })
      expect(denied.statusCode).toBe(401)
      expect((await t.app.inject({ url: '/api/v2/health' })).statusCode).toBe(404)
    } finally {
      await t.close()
    }
  })
})
