import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createTicketStore } from '../../src/db/ticket-store.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { cleanEnv, PROJECT_ROOT } from '../helpers/process.ts';

const execFileAsync = promisify(execFile);

async function triage(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ['bin/triage.js', ...args], {
      cwd: PROJECT_ROOT,
      env: cleanEnv({ LOG_LEVEL: 'warn', ...env }),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

let tdb: TestDatabase;
before(async () => {
  tdb = await createTestDatabase();
});
after(() => tdb.drop());

describe('triage CLI', () => {
  test('--help lists the commands; each command has its own help', async () => {
    const help = await triage(['--help']);
    assert.equal(help.code, 0);
    for (const command of ['serve', 'worker', 'migrate', 'cleanup', 'stats'])
      assert.match(help.stdout, new RegExp(command));
    const stats = await triage(['stats', '--help']);
    assert.equal(stats.code, 0);
    assert.match(stats.stdout, /Usage: triage stats \[--hours N\] \[--json\]/);
  });

  test('an unknown command or option is a usage error (exit 2)', async () => {
    const unknown = await triage(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown command: frobnicate/);
    const option = await triage(['stats', '--bogus']);
    assert.equal(option.code, 2);
    assert.match(option.stderr, /bogus/);
  });

  test('an invalid production configuration exits 1 naming every missing variable', async () => {
    const result = await triage(['migrate'], { NODE_ENV: 'production' });
    assert.equal(result.code, 1);
    for (const name of [
      'DATABASE_URL',
      'HUBSPOT_WEBHOOK_TOKEN',
      'GROQ_API_KEY',
      'DISCORD_WEBHOOK_URL',
      'ADMIN_TOKEN',
    ]) {
      assert.match(result.stderr, new RegExp(name));
    }
  });

  test('migrate, stats and cleanup work against a database', async () => {
    const env = { DATABASE_URL: tdb.url };
    assert.equal((await triage(['migrate'], env)).code, 0);

    const store = createTicketStore(tdb.db);
    await store.claimTicket({ ticketId: 'c1', portalId: '7' }, 'w', 60_000);
    await store.markTicketProcessed({ ticketId: 'c1', portalId: '7', provider: 'groq', state: 'posted', owner: 'w' });
    await store.claimTicket({ ticketId: 'c2', portalId: '7' }, 'w', 60_000);
    await store.markTicketProcessed({
      ticketId: 'c2',
      portalId: '7',
      provider: 'groq',
      state: 'posted_as_failure',
      owner: 'w',
    });
    await tdb.pool.query(
      "insert into processed_tickets (ticket_id, status, processed_at) values ('ancient', 'posted', now() - interval '30 days')",
    );

    const stats = await triage(['stats', '--json'], env);
    assert.equal(stats.code, 0, stats.stderr);
    const parsed = JSON.parse(stats.stdout);
    assert.equal(parsed.total, 2);
    assert.deepEqual(parsed.states, { queued: 0, triaging: 0, posted: 1, posted_as_failure: 1, not_posted: 0 });
    assert.equal(parsed.success_rate, 0.5, 'a TRIAGE FAILED message is not a success');
    assert.deepEqual(parsed.posted_by_provider, { groq: 1 });

    const text = await triage(['stats', '--hours', '48'], env);
    assert.match(text.stdout, /posted: +1\n +posted_as_failure: +1\n +not_posted: +0\n +in progress: +0 /);
    assert.match(text.stdout, /success rate: +50\.0%/);

    const help = await triage(['stats', '--help'], env);
    assert.match(help.stdout, /posted_as_failure +a TRIAGE FAILED message was posted/);
    assert.match(help.stdout, /success rate = posted \/ \(posted \+ posted_as_failure \+ not_posted\)/);

    const cleanup = await triage(['cleanup', '--days', '7'], env);
    assert.equal(cleanup.code, 0, cleanup.stderr);
    assert.deepEqual(JSON.parse(cleanup.stdout), { retention_days: 7, deleted: { tickets: 1, runs: 0, feedback: 0 } });
  });

  test('replay says what it will do, queues a not_posted ticket, refuses unknown and posted ones', async () => {
    const env = { DATABASE_URL: tdb.url };
    assert.equal((await triage(['replay'], env)).code, 2);

    const store = createTicketStore(tdb.db);
    await store.claimTicket({ ticketId: 'rp1', portalId: null }, 'w', 60_000);
    await store.markTicketProcessed({
      ticketId: 'rp1',
      portalId: null,
      provider: null,
      state: 'not_posted',
      owner: 'w',
    });
    const queued = await triage(['replay', 'rp1'], env);
    assert.equal(queued.code, 0, queued.stderr);
    assert.deepEqual(JSON.parse(queued.stdout), {
      ticket_id: 'rp1',
      portal_id: null,
      status: 'queued',
      from: 'hubspot',
      previous: 'not_posted',
    });
    assert.match(queued.stderr, /Queueing ticket rp1 \(no portal\) to be fetched from HubSpot; it was not_posted\./);

    const refused = await triage(['replay', 'c1', '--portal', '7'], env);
    assert.equal(refused.code, 1);
    assert.equal(JSON.parse(refused.stdout).status, 'already_posted');
    assert.match(refused.stderr, /is already posted; nothing queued/);

    // A ticket that never existed is not queued (it would post a TRIAGE FAILED message), unless --fetch says so.
    const unknown = await triage(['replay', '99999'], env);
    assert.equal(unknown.code, 1);
    assert.equal(JSON.parse(unknown.stdout).status, 'unknown');
    assert.match(unknown.stderr, /never seen here; nothing queued\. Give --fetch/);
    const fetched = await triage(['replay', '99999', '--fetch', '--portal', '62515'], env);
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.equal(JSON.parse(fetched.stdout).portal_id, '62515');
  });
});
