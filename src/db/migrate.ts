// Applies our Drizzle migrations and graphile-worker's own schema, under one session-level advisory lock so that
// several replicas (or a `triage migrate` next to a starting server) can run it at once without conflict.
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { Logger as GraphileLogger, runMigrations } from 'graphile-worker';
import type pg from 'pg';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

// Any fixed 64-bit number works; this one is "hubspot-triage migrate" hashed once, written out so it never changes.
const MIGRATION_LOCK_KEY = '7328361012774719012';

export async function migrateDatabase(pool: pg.Pool, logger?: GraphileLogger): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    try {
      await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
      await runMigrations({ pgPool: pool, logger: logger ?? silentGraphileLogger });
    } finally {
      await client.query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

const silentGraphileLogger = new GraphileLogger(() => () => {});
