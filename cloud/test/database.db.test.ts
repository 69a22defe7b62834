import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateToLatest, openDatabase, type Db } from '../src/plugins/db/database.js'
import { seedDemo, DEMO } from '../src/seed.js'
import { migrationProvider } from '../src/migrations/index.js'
import { createTestDatabase, testDrivers, type TestDatabase } from './support/drivers.js'

describe.each(testDrivers())('database on %s', (driver) => {
  let testDb: TestDatabase
  let db: Db

  beforeAll(async () => {
    testDb = await createTestDatabase(driver)
    db = await openDatabase(testDb.database)
  })

  afterAll(async () => {
    await db?.destroy()
    await testDb?.drop()
  })

  it('applies every migration on an empty database, then none on rerun', async () => {
    // Every migration listed in migrations/index.ts, in name order.
    expect(await migrateToLatest(db)).toEqual(Object.keys(await migrationProvider.getMigrations()).sort())
    expect(await migrateToLatest(db)).toEqual([])
    const tables = await db.introspection.getTables()
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['organizations', 'sites', 'users', 'gateways', 'devices', 'events',
        'quarantined_events', 'telemetry', 'device_state', 'alarms']),
    )
  })

  it('seeds the demo shop idempotently', async () => {
    await seedDemo(db, { gatewayKey: 'first-key-123' })
    await seedDemo(db, { gatewayKey: 'second-key-456' })
    const counts = await Promise.all(
      (['organizations', 'sites', 'gateways', 'devices', 'users'] as const).map(async (table) => {
        const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
        return Number(row.n)
      }),
    )
    expect(counts).toEqual([1, 1, 1, 1, 1])
    const site = await db.selectFrom('sites').selectAll().executeTakeFirstOrThrow()
    expect(site).toMatchObject({ id: DEMO.site.id, org_id: DEMO.organization.id, timezone: DEMO.site.timezone })
    const gateway = await db.selectFrom('gateways').selectAll().executeTakeFirstOrThrow()
    // Stored as a sha256 hash of the current key, never the key itself.
    expect(gateway.key_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(gateway.key_hash).not.toContain('second-key')
    expect(gateway.ack_seq).toBe(0)
    const user = await db.selectFrom('users').selectAll().executeTakeFirstOrThrow()
    expect(user.password_hash).toMatch(/^\$argon2id\$/)
  })

  it('rolls a failed transaction back and keeps serving queries', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('organizations').values({ name: 'rolled back' }).execute()
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    const rows = await db.selectFrom('organizations').select('name').where('name', '=', 'rolled back').execute()
    expect(rows).toEqual([])
  })

  it('runs concurrent transactions without mixing them', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `concurrent-${i}`)
    await Promise.all(
      names.map((name) =>
        db.transaction().execute(async (trx) => {
          await trx.insertInto('organizations').values({ name }).execute()
          await sql`select pg_sleep(0.005)`.execute(trx)
        }),
      ),
    )
    const rows = await db.selectFrom('organizations').select('name').where('name', 'like', 'concurrent-%').execute()
    expect(rows).toHaveLength(8)
  })
})
