import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { CloudConfig } from '../../src/config.js'

/**
 * The database suite runs once per driver, MQTT.js abstractStoreTest style:
 * `describe.each(testDrivers())`. PGlite always runs; PostgreSQL runs when
 * TEST_DATABASE_URL points at a server (CI), or when TEST_DB_DRIVERS asks for it.
 */
export type TestDriver = 'pglite' | 'postgres'

export function testDrivers(env: NodeJS.ProcessEnv = process.env): TestDriver[] {
  const requested = env.TEST_DB_DRIVERS?.split(',').map((d) => d.trim()).filter(Boolean)
  const drivers = requested?.length ? requested : ['pglite', ...(env.TEST_DATABASE_URL ? ['postgres'] : [])]
  for (const driver of drivers) {
    if (driver !== 'pglite' && driver !== 'postgres') {
      throw new Error(`TEST_DB_DRIVERS: unknown driver "${driver}" (use pglite, postgres)`)
    }
    // Failing loudly: a CI job that asked for PostgreSQL must not go green by skipping it.
    if (driver === 'postgres' && !env.TEST_DATABASE_URL) {
      throw new Error('TEST_DB_DRIVERS includes postgres but TEST_DATABASE_URL is not set ' +
        '(e.g. postgres://postgres@127.0.0.1:5432/test)')
    }
  }
  return drivers as TestDriver[]
}

export interface TestDatabase {
  database: CloudConfig['database']
  drop(): Promise<void>
}

/** A fresh, empty database: in-memory PGlite, or a uniquely named database on the server. */
export async function createTestDatabase(driver: TestDriver): Promise<TestDatabase> {
  if (driver === 'pglite') return { database: { driver: 'pglite', dataDir: 'memory://' }, drop: async () => {} }

  const serverUrl = process.env.TEST_DATABASE_URL
  if (!serverUrl) throw new Error('TEST_DATABASE_URL is not set')
  const name = `tendero_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`
  await withAdmin(serverUrl, (client) => client.query(`create database ${name}`))
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    database: { driver: 'postgres', url: url.toString() },
    drop: () => withAdmin(serverUrl, (client) => client.query(`drop database if exists ${name} with (force)`)),
  }
}

async function withAdmin(url: string, fn: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await fn(client)
  } finally {
    await client.end()
  }
}
