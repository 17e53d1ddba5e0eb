// doctor's database check on a real PostgreSQL: a migrated database passes; a database never migrated fails with
// the pending migrations and the fix, and is still unmigrated afterwards (doctor changes nothing); a server that
// is not there fails with the reason and the fix, and no password is printed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { createDatabase } from '../../src/db/client.ts';
import { findFreePort, startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { pendingMigrations } from '../../src/db/migrate.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { checkDatabase } from '../../src/ops/doctor-checks.ts';
import { pendingQueueMigrations } from '../../src/queue/schema-status.ts';
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from '../helpers/db.ts';

let tdb: TestDatabase;
before(async () => {
  tdb = await createTestDatabase();
});
after(() => tdb.drop());

const check = (url: string) =>
  checkDatabase({
    config: loadConfig({ DATABASE_URL: url }),
    signal: AbortSignal.timeout(5_000),
    timeoutMs: 5_000,
    tokenFile: null,
  });

test('a migrated database: ok, with the server version', async () => {
  const outcome = await check(tdb.url);
  assert.equal(outcome.status, 'ok', outcome.detail);
  assert.match(outcome.detail, /PostgreSQL \d+\.\d+ at postgres:\/\/.*: reachable, migrations up to date/);
});

test('a database never migrated: fail listing what is pending, fix `triage migrate`, and still unmigrated', async () => {
  const empty = await createEmptyDatabase();
  try {
    const outcome = await check(empty.url);
    assert.equal(outcome.status, 'fail');
    assert.match(outcome.detail, /migration\(s\) not applied \(0000_init, /);
    assert.match(outcome.detail, /job queue's schema lacks \d+ of its migrations/);
    assert.match(outcome.fix ?? '', /triage migrate/);
    const database = createDatabase(empty.url, { max: 1 });
    try {
      const { rows } = await database.pool.query<{ n: number }>(
        "select count(*)::int as n from pg_namespace where nspname in ('drizzle', 'graphile_worker')",
      );
      assert.equal(rows[0]?.n, 0, 'doctor created no schema');
      assert.ok((await pendingMigrations(database.pool)).length > 0);
      assert.ok((await pendingQueueMigrations(database.pool)) > 0);
    } finally {
      await database.close();
    }
  } finally {
    await empty.drop();
  }
});

test('one migration behind: only that one is pending', async () => {
  const { rows } = await tdb.pool.query<{ newest: string }>(
    'select max(created_at)::text as newest from drizzle.__drizzle_migrations',
  );
  await tdb.pool.query('delete from drizzle.__drizzle_migrations where created_at = $1', [rows[0]!.newest]);
  const pending = await pendingMigrations(tdb.pool);
  assert.equal(pending.length, 1);
  const outcome = await check(tdb.url);
  assert.equal(outcome.status, 'fail');
  assert.match(outcome.detail, new RegExp(`1 migration\\(s\\) not applied \\(${pending[0]}\\)`));
});

test('nothing listening: fail with the reason and the fix; the password is not printed', async () => {
  const url = `postgres://postgres:hidden-password-1@127.0.0.1:${await findFreePort()}/x`;
  const outcome = await check(url);
  assert.equal(outcome.status, 'fail');
  assert.match(
    outcome.detail,
    /Cannot use DATABASE_URL \(postgres:\/\/postgres@127\.0\.0\.1:\d+\/x\): nothing accepts/,
  );
  assert.match(outcome.fix ?? '', /Start PostgreSQL/);
  assert.ok(!JSON.stringify(outcome).includes('hidden-password-1'));
});

test('the embedded default: attaches to the running server without migrating it; stopped, it is only reported', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'triage-doctor-embedded-'));
  const embeddedCheck = () =>
    checkDatabase({
      config: loadConfig({ DATA_DIR: dataDir }),
      signal: AbortSignal.timeout(5_000),
      timeoutMs: 5_000,
      tokenFile: null,
    });
  try {
    // What `npm start` leaves running, before it has migrated anything.
    const embedded = await startEmbeddedPostgres({ dataDir, logger: createLogger({ level: 'silent' }) });
    try {
      const running = await embeddedCheck();
      assert.equal(running.status, 'fail', running.detail);
      assert.match(running.detail, /at the embedded server: reachable, but \d+ migration\(s\) not applied/);
      const database = createDatabase(embedded.url, { max: 1 });
      try {
        assert.ok((await pendingMigrations(database.pool)).length > 0, 'doctor did not migrate it');
      } finally {
        await database.close();
      }
    } finally {
      await embedded.stop();
    }
    const stopped = await embeddedCheck();
    assert.equal(stopped.status, 'warn');
    assert.match(stopped.detail, /is not running; doctor does not start one/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
