import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { createDatabase } from '../../src/db/client.ts';
import { MIGRATIONS_FOLDER, migrateDatabase } from '../../src/db/migrate.ts';
import { createEmptyDatabase } from '../helpers/db.ts';

const run = promisify(execFile);

test('the checked-in migrations match the Drizzle schema (regenerating adds nothing)', async () => {
  const out = mkdtempSync(join(tmpdir(), 'triage-drizzle-'));
  const projectRoot = join(MIGRATIONS_FOLDER, '..');
  try {
    cpSync(MIGRATIONS_FOLDER, out, { recursive: true });
    const before = readdirSync(out).sort();
    const { stdout } = await run(
      process.execPath,
      [
        'node_modules/drizzle-kit/bin.cjs',
        'generate',
        '--dialect=postgresql',
        '--schema=./src/db/schema.ts',
        // drizzle-kit prefixes the path with './', so it must be relative to the working directory.
        `--out=${relative(projectRoot, out)}`,
      ],
      { cwd: projectRoot },
    );
    assert.deepEqual(readdirSync(out).sort(), before, `schema and drizzle/ differ; run npm run db:generate\n${stdout}`);
    assert.match(stdout, /No schema changes/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('migrations applied twice concurrently (two replicas starting) both succeed', async () => {
  const empty = await createEmptyDatabase();
  const a = createDatabase(empty.url, { max: 3 });
  const b = createDatabase(empty.url, { max: 3 });
  try {
    const results = await Promise.allSettled([migrateDatabase(a.pool), migrateDatabase(b.pool)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled'],
    );
    const { rows } = await a.pool.query(
      "select count(*)::int as n from information_schema.tables where table_name in ('processed_tickets', 'triage_runs')",
    );
    assert.equal(rows[0].n, 2);
    const applied = await a.pool.query('select count(*)::int as n from drizzle.__drizzle_migrations');
    assert.equal(applied.rows[0].n, readdirSync(MIGRATIONS_FOLDER).filter((f) => f.endsWith('.sql')).length);
    await migrateDatabase(a.pool); // and a third time, later, is a no-op
  } finally {
    await a.close();
    await b.close();
    await empty.drop();
  }
});

/** A copy of drizzle/ that stops after migration `lastTag`: the database as a previous version left it. */
function migrationsUpTo(lastTag: string): string {
  const folder = mkdtempSync(join(tmpdir(), 'triage-drizzle-old-'));
  cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { idx: number; tag: string }[] };
  const last = journal.entries.findIndex((entry) => entry.tag === lastTag);
  assert.ok(last >= 0, `no migration ${lastTag}`);
  journal.entries = journal.entries.slice(0, last + 1);
  writeFileSync(journalPath, JSON.stringify(journal));
  return folder;
}

test('0005 renames every old state on a populated database to the new vocabulary', async () => {
  const empty = await createEmptyDatabase();
  const database = createDatabase(empty.url, { max: 2 });
  const oldMigrations = migrationsUpTo('0004_slimmer_ticket_indexes');
  try {
    await migrate(drizzle(database.pool), { migrationsFolder: oldMigrations });
    // Rows in every state the previous version wrote, tickets and runs alike.
    await database.pool.query(`
      insert into processed_tickets (ticket_id, status, success) values
        ('q', 'queued', null), ('p', 'processing', null), ('ok', 'notified', true),
        ('tf', 'notified', false), ('f', 'failed', false), ('f-null', 'failed', null)`);
    await database.pool.query(`
      insert into triage_runs (ticket_id, request_id, attempt, status, timings) values
        ('ok', 'r1', 1, 'notified', '{}'), ('tf', 'r2', 1, 'failed', '{}'), ('f', 'r3', 1, 'error', '{}')`);

    await migrateDatabase(database.pool);

    const tickets = await database.pool.query<{ ticket_id: string; status: string }>(
      'select ticket_id, status from processed_tickets order by ticket_id',
    );
    assert.deepEqual(Object.fromEntries(tickets.rows.map((row) => [row.ticket_id, row.status])), {
      f: 'not_posted',
      'f-null': 'not_posted',
      ok: 'posted',
      p: 'triaging',
      q: 'queued',
      tf: 'posted_as_failure',
    });
    const runs = await database.pool.query<{ ticket_id: string; status: string }>(
      'select ticket_id, status from triage_runs order by ticket_id',
    );
    assert.deepEqual(Object.fromEntries(runs.rows.map((row) => [row.ticket_id, row.status])), {
      f: 'not_posted',
      ok: 'posted',
      tf: 'posted_as_failure',
    });
    // The new checks hold: an old word written by a process of the previous version is refused.
    await assert.rejects(
      database.pool.query("update processed_tickets set status = 'notified' where ticket_id = 'ok'"),
      /processed_tickets_status_check/,
    );
    await assert.rejects(
      database.pool.query("update triage_runs set status = 'error' where ticket_id = 'f'"),
      /triage_runs_status_check/,
    );
    const index = await database.pool.query<{ indexdef: string }>(
      "select indexdef from pg_indexes where indexname = 'idx_status'",
    );
    assert.match(index.rows[0]?.indexdef ?? '', /'triaging'.*'not_posted'/);
  } finally {
    rmSync(oldMigrations, { recursive: true, force: true });
    await database.close();
    await empty.drop();
  }
});

test('0008 sums the runs recorded before it into run_stats_hourly and fallback_stats_hourly', async () => {
  const empty = await createEmptyDatabase();
  const database = createDatabase(empty.url, { max: 2 });
  const oldMigrations = migrationsUpTo('0007_cost_guards_sop');
  try {
    await migrate(drizzle(database.pool), { migrationsFolder: oldMigrations });
    await database.pool.query(`
      insert into triage_runs (ticket_id, request_id, attempt, status, provider, repaired, guard_interventions,
                               fallback_reasons, prompt_tokens, completion_tokens, timings, created_at) values
        ('a', 'r1', 1, 'posted', 'groq', true, '[]', '[{"provider":"local","reason":"timeout"}]', 100, 10,
         '{"totalMs": 900}', '2026-11-30T10:15:00Z'),
        ('b', 'r2', 1, 'posted', 'groq', false, '[{"kind":"security_escalation","detail":"x"}]',
         '[{"provider":"local","reason":"timeout"}]', 200, 20, '{"totalMs": 70000}', '2026-11-30T10:45:00Z'),
        ('c', 'r3', 1, 'not_posted', null, false, '[]', '[]', null, null, '{"totalMs": 100}', '2026-11-30T11:05:00Z')`);

    await migrateDatabase(database.pool);

    const stats = await database.pool.query(
      `select to_char(hour at time zone 'UTC', 'HH24') as hour, provider, status, runs, repaired, guarded, fell_back,
              prompt_tokens::int, completion_tokens::int, latency_buckets
         from run_stats_hourly order by hour, provider`,
    );
    assert.deepEqual(stats.rows, [
      {
        hour: '10',
        provider: 'groq',
        status: 'posted',
        runs: 2,
        repaired: 1,
        guarded: 1,
        fell_back: 2,
        prompt_tokens: 300,
        completion_tokens: 30,
        // 900 ms → the 1 s bucket (3rd); 70 s → the open last bucket.
        latency_buckets: [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1],
      },
      {
        hour: '11',
        provider: '',
        status: 'not_posted',
        runs: 1,
        repaired: 0,
        guarded: 0,
        fell_back: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
        latency_buckets: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      },
    ]);
    const reasons = await database.pool.query('select provider, reason, count from fallback_stats_hourly');
    assert.deepEqual(reasons.rows, [{ provider: 'local', reason: 'timeout', count: 2 }]);
  } finally {
    rmSync(oldMigrations, { recursive: true, force: true });
    await database.close();
    await empty.drop();
  }
});

test("0009 copies each ticket's latest run's priority and subject onto its row (portals kept apart)", async () => {
  const empty = await createEmptyDatabase();
  const database = createDatabase(empty.url, { max: 2 });
  const oldMigrations = migrationsUpTo('0008_run_stats');
  try {
    await migrate(drizzle(database.pool), { migrationsFolder: oldMigrations });
    await database.pool.query(`
      insert into processed_tickets (ticket_id, portal_id, status) values
        ('t', '1', 'posted'), ('t', '2', 'posted'), ('t', null, 'not_posted'), ('q', '1', 'queued')`);
    await database.pool.query(`
      insert into triage_runs (ticket_id, portal_id, request_id, attempt, status, timings, output, ticket, created_at)
      values ('t', '1', 'a', 1, 'not_posted', '{}', '{"priority":"low"}', '{"subject":"first try"}', now() - interval '1 hour'),
             ('t', '1', 'b', 2, 'posted', '{}', '{"priority":"critical"}', '{"subject":"Server down"}', now()),
             ('t', '2', 'c', 1, 'posted', '{}', '{"priority":"medium"}', '{"subject":"Other portal"}', now()),
             ('t', null, 'd', 1, 'not_posted', '{}', null, null, now())`);

    await migrateDatabase(database.pool);

    const { rows } = await database.pool.query(
      `select ticket_id, portal_id, latest_priority, latest_subject from processed_tickets
        order by ticket_id, portal_id nulls last`,
    );
    assert.deepEqual(rows, [
      { ticket_id: 'q', portal_id: '1', latest_priority: null, latest_subject: null },
      { ticket_id: 't', portal_id: '1', latest_priority: 'critical', latest_subject: 'Server down' },
      { ticket_id: 't', portal_id: '2', latest_priority: 'medium', latest_subject: 'Other portal' },
      { ticket_id: 't', portal_id: null, latest_priority: null, latest_subject: null },
    ]);
  } finally {
    rmSync(oldMigrations, { recursive: true, force: true });
    await database.close();
    await empty.drop();
  }
});
