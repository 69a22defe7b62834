import { sql, type Kysely } from 'kysely'

// Migrations are frozen history: they use Kysely<any>, not today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

/**
 * Tenants and identity (issue 6): organization kinds, user roles and TOTP, refresh token
 * families, API keys, login lockouts, grants from a shop to a mall operator, the
 * append-only audit log and idempotency keys.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .alterTable('organizations')
    // platform: Tendero itself; operator: a mall operator; shop: an independent shop or a mall's tenant.
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('shop').check(sql`kind in ('platform', 'operator', 'shop')`))
    .execute()

  await db.schema
    .alterTable('users')
    .addColumn('role', 'text', (c) =>
      c.notNull().defaultTo('org_admin').check(sql`role in ('platform_admin', 'org_admin', 'operator', 'technician', 'owner', 'viewer')`),
    )
    // Base32 TOTP secret once enrolment starts; logins ask for a code only when enabled.
    .addColumn('totp_secret', 'text')
    .addColumn('totp_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    // The last TOTP time step accepted: a code is good once.
    .addColumn('totp_last_step', 'bigint')
    .addColumn('disabled_at', 'timestamptz')
    .execute()

  // Refresh tokens rotate on every use; a family is one login. Presenting a token that was
  // already rotated means it leaked: the whole family is revoked.
  await db.schema
    .createTable('refresh_tokens')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('family_id', 'uuid', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('refresh_tokens_family_idx').on('refresh_tokens').column('family_id').execute()

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    // The first characters, shown in lists so a key can be recognised; the rest is only hashed.
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('org_admin', 'operator', 'technician', 'owner', 'viewer')`))
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('api_keys_org_idx').on('api_keys').column('org_id').execute()

  // Failed logins per (email, client address): a lockout earned from one address does not
  // lock the account's owner out from theirs, and it always ends.
  await db.schema
    .createTable('login_failures')
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lockouts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', 'timestamptz')
    .addColumn('last_failure_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('login_failures_pk', ['email', 'ip'])
    .execute()

  // A shop (grantor) lets a mall operator (grantee) see some of its data: all its sites,
  // or one. Scopes are read permissions (modules/identity/permissions.ts GRANT_SCOPES).
  await db.schema
    .createTable('org_grants')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('grantor_org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('grantee_org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('site_id', 'uuid', (c) => c.references('sites.id').onDelete('cascade'))
    .addColumn('scopes', sql`text[]`, (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('org_grants_grantee_idx').on('org_grants').column('grantee_org_id').execute()

  // Who did what, when, before and after. No foreign keys: the trail outlives what it names.
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('org_id', 'uuid')
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('before', 'jsonb')
    .addColumn('after', 'jsonb')
    .addColumn('request_id', 'text')
    .addColumn('ip', 'text')
    .execute()
  await db.schema.createIndex('audit_log_org_at_idx').on('audit_log').columns(['org_id', 'at']).execute()
  // Append-only in the database itself, not only by convention in the code.
  await sql`
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only';
    END
    $$`.execute(db)
  await sql`
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`.execute(db)

  // A POST that creates money or a command, retried with the same Idempotency-Key, gets
  // the first answer back instead of doing it twice.
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('response', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['org_id', 'key', 'route'])
    .execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('idempotency_keys').execute()
  await sql`DROP TRIGGER audit_log_append_only ON audit_log`.execute(db)
  await sql`DROP FUNCTION audit_log_append_only()`.execute(db)
  await db.schema.dropTable('audit_log').execute()
  await db.schema.dropTable('org_grants').execute()
  await db.schema.dropTable('login_failures').execute()
  await db.schema.dropTable('api_keys').execute()
  await db.schema.dropTable('refresh_tokens').execute()
  await db.schema
    .alterTable('users')
    .dropColumn('role')
    .dropColumn('totp_secret')
    .dropColumn('totp_enabled')
    .dropColumn('totp_last_step')
    .dropColumn('disabled_at')
    .execute()
  await db.schema.alterTable('organizations').dropColumn('kind').execute()
}
