// Whether graphile-worker's schema is installed and current, read without changing anything (`triage doctor`).
// The migrations this graphile-worker version ships are counted from its own bundled list, so an upgrade that
// brings new ones shows them as pending until the service (or `triage migrate`) applies them.
import { migrations } from 'graphile-worker/dist/generated/sql.js';
import type pg from 'pg';

/** How many of graphile-worker's migrations this database lacks (all of them when its schema is absent). */
export async function pendingQueueMigrations(pool: pg.Pool): Promise<number> {
  const known = Object.keys(migrations).length;
  const { rows } = await pool.query<{ table: string | null }>(
    "select to_regclass('graphile_worker.migrations')::text as table",
  );
  if (!rows[0]?.table) return known;
  const applied = await pool.query<{ count: number }>('select count(*)::int as count from graphile_worker.migrations');
  return Math.max(0, known - (applied.rows[0]?.count ?? 0));
}
