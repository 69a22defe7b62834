import type { Db } from '../../plugins/db/database.js'
import type { UserRow } from '../../plugins/db/tables.js'

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst()
}

export async function findUserById(db: Db, userId: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst()
}

export async function findUserWithOrg(db: Db, orgId: string, userId: string) {
  return db
    .selectFrom('users')
    .innerJoin('organizations', 'organizations.id', 'users.org_id')
    .selectAll('users')
    .select(['organizations.name as org_name', 'organizations.kind as org_kind'])
    .where('users.id', '=', userId)
    .where('users.org_id', '=', orgId)
    .where('users.disabled_at', 'is', null)
    .executeTakeFirst()
}
