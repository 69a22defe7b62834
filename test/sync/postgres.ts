/**
 * The store-and-forward tests need a real PostgreSQL: the cloud is SIGKILLed mid-batch,
 * which PGlite does not survive. They run when PostgreSQL is asked for, as the shared
 * database suite does (TEST_DB_DRIVERS lists postgres, or TEST_DATABASE_URL is set), so
 * the README's `npm test` leaves them to the PostgreSQL pass of `.ci/run`. Asked for but
 * unreachable, they skip with the reason on a developer machine and fail under CI=true.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'

export const SERVER_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test'

export type PostgresGate = { run: true } | { run: false; reason: string }

async function reachable(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query('select 1')
    return undefined
  } catch (err) {
    return (err as Error).message || String(err)
  } finally {
    await client.end().catch(() => {})
  }
}

const shownUrl = (url: string) => url.replace(/\/\/[^/@]*@/, '//***@')

/** Whether this run should start the processes, or why not; throws when CI must not skip. */
export async function postgresGate(env: NodeJS.ProcessEnv = process.env): Promise<PostgresGate> {
  const drivers = (env.TEST_DB_DRIVERS ?? '').split(',').map((d) => d.trim())
  if (!drivers.includes('postgres') && !env.TEST_DATABASE_URL)
    return { run: false, reason: 'PostgreSQL not requested: run with TEST_DB_DRIVERS=postgres (and TEST_DATABASE_URL if not the default)' }
  const problem = await reachable(SERVER_URL)
  if (!problem) return { run: true }
  const reason = `PostgreSQL is not reachable at ${shownUrl(SERVER_URL)}: ${problem}`
  // A CI run that asked for PostgreSQL must not go green by skipping the crash tests.
  if (env.CI === 'true') throw new Error(`${reason} (CI=true: the store-and-forward tests may not be skipped)`)
  return { run: false, reason }
}

export interface SyncDatabase {
  name: string
  url: string
  /** A pool on the test database for the checks; ended by drop(). */
  pool: pg.Pool
  drop(): Promise<void>
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER_URL })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

/** A fresh, empty database `tendero_sync_<random>` on the server, dropped (forcefully) after. */
export async function createSyncDatabase(): Promise<SyncDatabase> {
  const name = `tendero_sync_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`
  await admin(`create database ${name}`)
  const url = new URL(SERVER_URL)
  url.pathname = `/${name}`
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 })
  // pool.end() resolves before its connections have closed on the server, so the forced
  // drop below can still terminate one; an idle connection's error would otherwise be an
  // uncaught exception. A query on a broken pool still fails loudly.
  pool.on('error', () => {})
  return {
    name,
    url: url.toString(),
    pool,
    async drop() {
      await pool.end().catch(() => {})
      await admin(`drop database if exists ${name} with (force)`)
    },
  }
}
