import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createIntakeQueue } from '../../src/intake/enqueue.ts';
import { startFakeDiscord } from '../fakes/discord.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { cleanEnv, jsonLine, spawnService } from '../helpers/process.ts';

let tdb: TestDatabase;
before(async () => {
  tdb = await createTestDatabase();
});
after(() => tdb.drop());

test('`triage worker` runs only the queue: it notifies a queued ticket, serves no HTTP, and exits 0 on SIGTERM', async () => {
  const discord = await startFakeDiscord();
  await createIntakeQueue(tdb.pool).enqueue([
    {
      v: 1,
      request_id: 'worker-role-1',
      received_at: new Date().toISOString(),
      ticket_id: 'wr-1',
      portal_id: null,
      ticket: {
        ticket_id: 'wr-1',
        subject: 'How do I export invoices?',
        body: 'Where is the export button for invoices?',
        from_email: null,
        customer_name: null,
        customer_tier: null,
        product_area: null,
        hubspot_ticket_url: null,
        portal_id: null,
        received_at: new Date().toISOString(),
        request_id: 'worker-role-1',
      },
      event: null,
    },
  ]);
  const worker = spawnService(
    process.execPath,
    ['--import', 'tsx', 'src/main.ts', 'worker'],
    cleanEnv({
      DATABASE_URL: tdb.url,
      TRIAGE_PROVIDERS: 'rules',
      DISCORD_WEBHOOK_URL: discord.webhook.url,
      LOG_LEVEL: 'info',
    }),
  );
  try {
    await worker.waitForLine((line) => jsonLine(line)?.msg === 'worker started');
    const [request] = await discord.waitForRequests(1);
    assert.match(String((request!.json as { embeds: { title: string }[] }).embeds[0]!.title), /Ticket #wr-1/);
    await worker.waitForLine((line) => jsonLine(line)?.msg === 'pipeline.posted');
    assert.ok(!worker.lines.some((line) => jsonLine(line)?.msg === 'service started'), 'no HTTP server in a worker');

    worker.child.kill('SIGTERM');
    assert.deepEqual(await worker.waitForExit(30_000), { code: 0, signal: null });
    const { rows } = await tdb.pool.query("select status, provider from processed_tickets where ticket_id = 'wr-1'");
    assert.deepEqual(rows, [{ status: 'posted', provider: 'rules' }]);
    assert.equal(discord.requests.length, 1);
  } finally {
    worker.killGroup();
    await discord.close();
  }
});
