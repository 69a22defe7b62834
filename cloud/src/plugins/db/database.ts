import { mkdirSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist'
import { Kysely, Migrator, PostgresDialect, type Dialect } from 'kysely'
import pg from 'pg'
import type { CloudConfig } from '../../config.js'
import { migrationProvider } from '../../migrations/index.js'
import { PGliteDialect } from './pglite-dialect.js'
import type { Database } from './tables.js'

export type Db = Kysely<Database>

const INT8_OID = 20

/**
 * Opens Kysely on PostgreSQL (a `pg` pool) or on embedded PGlite. Both parse int8 as a
 * JS number (PGlite does by default; node-postgres returns strings), so repositories
 * see the same types on either driver.
 */
export async function openDatabase(
  database: CloudConfig['database'],
  opts: { onIdleError?: (error: Error) => void } = {},
): Promise<Db> {
  return new Kysely<Database>({ dialect: await createDialect(database, opts.onIdleError) })
}

async function createDialect(database: CloudConfig['database'], onIdleError?: (error: Error) => void): Promise<Dialect> {
  if (database.driver === 'postgres') {
    const pool = new pg.Pool({
      connectionString: database.url,
      max: 10,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    })
    // An idle client whose server connection dies (PostgreSQL restart, admin kill) emits
    // 'error' on the pool; unhandled, that would crash the process. The pool already drops
    // the client, so reporting it is all there is to do; the next query reconnects.
    pool.on('error', (error) => onIdleError?.(error))
    return new PostgresDialect({ pool })
  }
  if (!database.dataDir.startsWith('memory://')) mkdirSync(database.dataDir, { recursive: true })
  // btree_gist: the exclusion constraints that keep a space in one lease at a time and a
  // professional in one booking at a time (migrations 0018, 0020), as on PostgreSQL.
  return new PGliteDialect(await PGlite.create(database.dataDir, { extensions: { btree_gist } }))
}

/** Applies every pending migration; a no-op when the schema is current. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error instanceof Error ? error : new Error(String(error))
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

