import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
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
