// The PostgreSQL pool and the Drizzle handle over it. Created by the composition root (main.ts, tests) and closed
// by whoever created it; nothing here runs at import time.
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema.ts';

export type Db = NodePgDatabase<typeof schema>;

export interface Database {
  pool: pg.Pool;
  db: Db;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  max?: number;
  /** Reported in pg_stat_activity, so operators can tell our connections apart. */
  applicationName?: string;
  /** How long a query may wait for a free connection before failing (then the caller answers 503). */
  connectionTimeoutMs?: number;
  /** Server-side limit on every statement (PostgreSQL's statement_timeout); unset: none. */
  statementTimeoutMs?: number;
}

export function createDatabase(connectionString: string, options: DatabaseOptions = {}): Database {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'hubspot-triage',
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs ?? false,
  });
  // An idle client losing its connection (database restart) emits here; without a listener it would crash the
  // process. The next query gets a fresh connection, so there is nothing else to do.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = drizzle(pool, { schema });
  let closed = false;
  return {
    pool,
    db,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
