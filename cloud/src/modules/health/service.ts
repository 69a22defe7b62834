import type { Db } from '../../plugins/db/database.js'
import { ping } from './repository.js'
import type { Health } from './schema.js'

/** A failing database makes the app degraded, not crashed: the probe answers either way. */
export async function checkHealth(db: Db, version: string): Promise<Health> {
  try {
    await ping(db)
    return { status: 'ok', db: 'ok', version }
  } catch {
    return { status: 'degraded', db: 'down', version }
  }
}
