// Applies our Drizzle migrations and graphile-worker's own schema, under one session-level advisory lock so that
// several replicas (or a `triage migrate` next to a starting server) can run it at once without conflict.
// `pendingMigrations` only reads: `triage doctor` uses it and must never change a database.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/**
 * Our Drizzle migrations not yet applied to this database (their tags, oldest first), judged as Drizzle's migrator
 * does: every journal entry newer than the newest applied one. Read-only; a database never migrated has them all.
 */
export async function pendingMigrations(pool: pg.Pool): Promise<string[]> {
  const journal = JSON.parse(await readFile(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
    entries: { tag: string; when: number }[];
  };
  const { rows } = await pool.query<{ table: string | null }>(
    "select to_regclass('drizzle.__drizzle_migrations')::text as table",
  );
  let newest = -1;
  if (rows[0]?.table) {
    const applied = await pool.query<{ newest: string | null }>(
      'select max(created_at)::text as newest from drizzle.__drizzle_migrations',
    );
    newest = Number(applied.rows[0]?.newest ?? -1);
  }
  return journal.entries.filter((entry) => entry.when > newest).map((entry) => entry.tag);
}
