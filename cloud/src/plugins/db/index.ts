import fp from 'fastify-plugin'
import type { CloudConfig } from '../../config.js'
import { migrateToLatest, openDatabase, type Db } from './database.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Db
  }
}

/** Opens the database, brings the schema up to date before any route runs, closes on app close. */
export default fp(
  async (app, opts: { database: CloudConfig['database'] }) => {
    const db = await openDatabase(opts.database, {
      onIdleError: (err) => app.log.warn({ err }, 'idle PostgreSQL connection lost; it will reconnect on the next query'),
    })
    try {
      const applied = await migrateToLatest(db)
      app.log.info({ driver: opts.database.driver, applied }, 'database ready')
    } catch (err) {
      await db.destroy()
      throw err
    }
    app.decorate('db', db)
    app.addHook('onClose', async () => {
      await db.destroy()
    })
  },
  { name: 'db' },
)

export type { Db }
