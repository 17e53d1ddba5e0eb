// A fresh database per test file, cloned from the template that scripts/test.ts migrated for this run (or created
// and migrated here when a file is run on its own with TEST_SERVER_URL or DATABASE_URL set).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase, type Database } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';

export interface TestDatabase extends Database {
  url: string;
  name: string;
  /** Closes the pool and drops the database; fails naming it when a connection is still open (see dropDatabase). */
  drop(): Promise<void>;
}

export function serverUrl(): string {
  const url = process.env.TEST_SERVER_URL ?? process.env.DATABASE_URL;
  if (!url) throw new Error('Run tests with `npm test` (or set TEST_SERVER_URL / DATABASE_URL to a PostgreSQL server)');
  return url;
}

export function databaseUrl(name: string): string {
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export async function adminQuery(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** How long connections of processes the test killed may take to go (the server notices a closed socket at once). */
const DROP_WAIT_MS = 5_000;

/**
 * Drops a test database, refusing while anything is still connected to it: a connection open at this point is a
 * pool, client or process the test left open, so the file fails naming the database and who holds it.
 */
export async function dropDatabase(name: string, waitMs = DROP_WAIT_MS): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const holders = await connectionsTo(client, name);
      if (holders.length === 0) break;
      if (Date.now() >= deadline) {
        throw new Error(
          `test database ${name} still has ${holders.length} open connection(s) when dropped (${holders.join(', ')}): ` +
            'a pool, client or process was left open',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await client.query(`drop database if exists "${name}"`);
  } finally {
    await client.end();
  }
}

async function connectionsTo(client: pg.Client, name: string): Promise<string[]> {
  const { rows } = await client.query<{ application_name: string; pid: number }>(
    `select application_name, pid from pg_stat_activity
      where datname = $1 and backend_type = 'client backend' and pid <> pg_backend_pid()`,
    [name],
  );
  return rows.map((row) => `${row.application_name || 'no application name'} pid ${row.pid}`);
}

/** Creates an empty database (no migrations) named for this run; used for migration tests. */
export async function createEmptyDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `triage_test_${process.env.TEST_RUN_ID ?? 'adhoc'}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`create database "${name}"`);
  return { url: databaseUrl(name), name, drop: () => dropDatabase(name) };
}

export async function createTestDatabase(options: { max?: number } = {}): Promise<TestDatabase> {
  const template = process.env.TEST_TEMPLATE_DB;
  const name = `triage_test_${process.env.TEST_RUN_ID ?? 'adhoc'}_${randomBytes(4).toString('hex')}`;
  await adminQuery(template ? `create database "${name}" template "${template}"` : `create database "${name}"`);
  const url = databaseUrl(name);
  const database = createDatabase(url, { max: options.max ?? 10, applicationName: 'triage-test' });
  if (!template) await migrateDatabase(database.pool);
  return {
    ...database,
    url,
    name,
    async drop() {
      await database.close();
      await dropDatabase(name);
    },
  };
}
