import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { buildTestApp } from './support/app.js'
import { testDrivers } from './support/drivers.js'

// PostgreSQL only: PGlite runs in-process, so it has no server connection to lose.
const drivers = testDrivers().filter((d) => d === 'postgres')

describe.skipIf(drivers.length === 0)('PostgreSQL connections killed under the app', () => {
  it('keeps serving: idle connections that die are dropped and the next query reconnects', async () => {
    const t = await buildTestApp('postgres', { seedDemo: false })
    try {
      expect((await t.app.inject({ url: '/api/health' })).statusCode).toBe(200)
      const url = new URL(process.env.TEST_DATABASE_URL!)
      const admin = new pg.Client({ connectionString: url.toString() })
      await admin.connect()
      const database = (await t.app.db.selectNoFrom((eb) => eb.fn<string>('current_database', []).as('name')).executeTakeFirstOrThrow()).name
      const killed = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [database])
      await admin.end()
      expect(killed.rowCount).toBeGreaterThan(0)
      await new Promise((r) => setTimeout(r, 200))
      expect((await t.app.inject({ url: '/api/health' })).json()).toMatchObject({ status: 'ok', db: 'ok' })
    } finally {
      await t.close()
    }
  })
})
