import type { Kysely } from 'kysely'

// Migrations are frozen history: they use Kysely<any>, not today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

// Reserved for issue 6; filled in by the module that owns it.
export async function up(_db: AnyDb): Promise<void> {}

export async function down(_db: AnyDb): Promise<void> {}
