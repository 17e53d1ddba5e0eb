// PostgreSQL going away under a running service: deliveries are refused with 503 + Retry-After (HubSpot redelivers),
// /health says degraded, and once the same server is back on the same port the service accepts again by itself,
// with nothing acknowledged before the outage lost. A dedicated embedded server, so stopping it disturbs no one.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { loadConfig } from '../../src/config.ts';
import { type EmbeddedDatabase, findFreePort, startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { triageJobKey } from '../../src/domain/job.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { type Service, startService } from '../../src/service.ts';
import { postWebhook, specTicket, TOKEN, withDeadline } from '../helpers/intake.ts';

const logger = createLogger({ level: 'silent' });

async function jobKeys(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ ticket_id: string; portal_id: string | null }>(
      `select ticket_id, portal_id from processed_tickets where status = 'queued'`,
    );
    return rows.map((row) => triageJobKey(row.portal_id, row.ticket_id)).sort();
  } finally {
    await client.end();
  }
}

interface Health {
  status: string;
  dependencies: { database: { status: string } };
  warnings: string[];
}

test('database down: 503 with Retry-After and degraded health; back up: accepted again without a restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'triage-outage-'));
  const port = await findFreePort();
  let database: EmbeddedDatabase | null = await startEmbeddedPostgres({ dataDir, logger, port });
  let service: Service | null = null;
  const deadline = <T>(promise: Promise<T>, what: string) => withDeadline(promise, 20_000, what);
  try {
    const config = loadConfig({
      DATABASE_URL: database.url,
      PORT: '0',
      WORKER_CONCURRENCY: '0',
      HUBSPOT_WEBHOOK_TOKEN: TOKEN,
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
    });
    // startService migrates the fresh database itself.
    service = await startService(config, logger, { role: 'serve' });
    const url = service.url!;
    const health = async () => (await (await fetch(`${url}/health`)).json()) as Health;

    const before = await deadline(postWebhook(url, specTicket('1')), 'delivery before the outage');
    assert.equal(before.status, 200, before.text);
    assert.equal((await health()).status, 'healthy');

    await database.stop();
    database = null;

    const refused = await deadline(postWebhook(url, specTicket('2')), 'delivery during the outage');
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.body.error, 'service_unavailable');
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 0, `Retry-After ${refused.headers.get('retry-after')}`);
    // Repeated redeliveries keep being refused (no stale state), quickly.
    const started = performance.now();
    for (let i = 0; i < 3; i++) assert.equal((await postWebhook(url, specTicket('2'))).status, 503);
    assert.ok(performance.now() - started < 10_000, 'refusals do not wait out long timeouts');

    const down = await deadline(health(), '/health during the outage');
    assert.equal(down.status, 'degraded');
    assert.equal(down.dependencies.database.status, 'down');
    assert.ok(down.warnings.some((warning) => /database/i.test(warning)));
    assert.equal((await fetch(`${url}/health/ready`)).status, 503);
    assert.equal((await fetch(`${url}/health/live`)).status, 200, 'the process itself is fine');

    database = await startEmbeddedPostgres({ dataDir, logger, port });

    // The very first delivery after the restart is accepted: no stale pooled connection is handed out.
    const after = await deadline(postWebhook(url, specTicket('2')), 'delivery after the outage');
    assert.equal(after.status, 200, after.text);
    assert.deepEqual(
      { status: after.body.status, ticket_id: after.body.ticket_id, already_queued: after.body.already_queued },
      { status: 'accepted', ticket_id: '2', already_queued: undefined },
    );
    const up = await deadline(health(), '/health after the outage');
    assert.equal(up.status, 'healthy');
    assert.equal(up.dependencies.database.status, 'up');
    assert.equal((await fetch(`${url}/health/ready`)).status, 200);

    // What was acknowledged before the outage survived it; what was refused during it was queued only afterwards.
    assert.deepEqual(await jobKeys(database.url), ['ticket:62515:1', 'ticket:62515:2']);
  } finally {
    await service?.stop();
    await database?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
