import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { EmbeddedDatabaseLockedError, startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { cleanEnv, spawnService } from '../helpers/process.ts';

const logger = createLogger({ level: 'silent' });
const dataDir = mkdtempSync(join(tmpdir(), 'triage-embedded-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

async function query(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

test('the embedded database commits durably, refuses a data directory in use, and is reused with its data on the next start', async () => {
  const first = await startEmbeddedPostgres({ dataDir, logger });
  try {
    await query(first.url, "create table kept (v text); insert into kept values ('still here')");
    // New WAL segments are not zero-filled (no stall at each one), and commits stay durable.
    const settings = await query(
      first.url,
      "select name, setting from pg_settings where name in ('wal_init_zero', 'fsync', 'synchronous_commit') order by name",
    );
    assert.deepEqual(settings, [
      { name: 'fsync', setting: 'on' },
      { name: 'synchronous_commit', setting: 'on' },
      { name: 'wal_init_zero', setting: 'off' },
    ]);
    await assert.rejects(startEmbeddedPostgres({ dataDir, logger }), (error: unknown) => {
      assert.ok(error instanceof EmbeddedDatabaseLockedError);
      assert.match(error.message, /in use by another running instance/);
      assert.match(error.message, /DATA_DIR/);
      return true;
    });
    // The refused attempt did not disturb the running server.
    assert.deepEqual(await query(first.url, 'select v from kept'), [{ v: 'still here' }]);
  } finally {
    await first.stop();
  }

  const second = await startEmbeddedPostgres({ dataDir, logger });
  try {
    assert.deepEqual(await query(second.url, 'select v from kept'), [{ v: 'still here' }]);
  } finally {
    await second.stop();
  }
});

test('a server orphaned by a SIGKILLed owner is stopped and the directory taken over', async () => {
  const orphanDir = mkdtempSync(join(tmpdir(), 'triage-orphan-'));
  const script = `
    import { startEmbeddedPostgres } from './src/db/embedded.ts';
    import { createLogger } from './src/observability/logger.ts';
    const db = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(orphanDir)}, logger: createLogger({ level: 'silent' }) });
    console.log('READY ' + db.url);
    setInterval(() => {}, 1000);`;
  const owner = spawnService(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], cleanEnv({}));
  try {
    const url = (await owner.waitForLine((line) => line.startsWith('READY '), 60_000)).slice(6);
    await query(url, 'create table survived (v int); insert into survived values (1)');
    owner.child.kill('SIGKILL');
    await owner.waitForExit();

    const next = await startEmbeddedPostgres({ dataDir: orphanDir, logger });
    try {
      assert.deepEqual(await query(next.url, 'select v from survived'), [{ v: 1 }]);
    } finally {
      await next.stop();
    }
  } finally {
    owner.killGroup();
    rmSync(orphanDir, { recursive: true, force: true });
  }
});
