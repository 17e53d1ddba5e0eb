// The durability promise of CONTRACTS §1.4, tested on the real process: "2xx means committed". The service is
// SIGKILLed while deliveries are still in flight; every delivery that had received its 2xx must have its job, and
// after a restart on the same database the service is healthy and still holds every acknowledged job.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { listJobs, postWebhook, specTicket, TOKEN, withDeadline } from '../helpers/intake.ts';
import { cleanEnv, jsonLine, type ServiceProcess, spawnService } from '../helpers/process.ts';

const DELIVERIES = 50;
/** SIGKILL as soon as this many deliveries are acknowledged, with the rest still in flight. */
const KILL_AFTER_ACKS = 20;

let tdb: TestDatabase;
let dataDir: string;
const spawned: ServiceProcess[] = [];
before(async () => {
  tdb = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'triage-kill-'));
});
after(async () => {
  for (const service of spawned) service.killGroup();
  await tdb?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function startServe(): Promise<{ service: ServiceProcess; url: string }> {
  const env = cleanEnv({
    DATABASE_URL: tdb.url,
    PORT: '0',
    HUBSPOT_WEBHOOK_TOKEN: TOKEN,
    WORKER_CONCURRENCY: '0',
    LOG_LEVEL: 'info',
    DATA_DIR: dataDir,
  });
  const service = spawnService(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], env);
  spawned.push(service);
  const started = jsonLine(await service.waitForLine((line) => jsonLine(line)?.msg === 'service started', 60_000));
  return { service, url: String(started?.url) };
}

test('SIGKILL mid-batch loses no acknowledged delivery; a restart on the same database keeps every job', async (t) => {
  const first = await startServe();
  const acknowledged = new Set<string>();
  let killedAt = -1;
  const ids = Array.from({ length: DELIVERIES }, (_, i) => String(20_000 + i));
  const outcomes = await withDeadline(
    Promise.allSettled(
      ids.map(async (id) => {
        const response = await postWebhook(first.url, specTicket(id));
        if (response.status >= 200 && response.status < 300) {
          assert.equal(response.body.status, 'accepted');
          acknowledged.add(id);
          if (acknowledged.size === KILL_AFTER_ACKS) {
            // Synchronously, in the callback of the acknowledgement itself: nothing else has run since.
            killedAt = acknowledged.size;
            first.service.child.kill('SIGKILL');
          }
        } else {
          assert.fail(`delivery ${id} answered ${response.status}: ${response.text}`);
        }
      }),
    ),
    60_000,
    'all deliveries to settle',
  );
  const exit = await first.service.waitForExit(30_000);
  assert.equal(exit.signal, 'SIGKILL', 'the service was killed, not stopped');
  assert.equal(killedAt, KILL_AFTER_ACKS, 'the kill happened with deliveries acknowledged');

  // Anything that failed did so because the connection died, not with an HTTP error.
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') assert.doesNotMatch(String(outcome.reason), /AssertionError|answered \d+/);
  }
  const lost = outcomes.filter((outcome) => outcome.status === 'rejected').length;
  assert.equal(acknowledged.size + lost, DELIVERIES);

  const keysAfterKill = new Set((await listJobs(tdb.pool)).map((job) => job.key));
  for (const id of acknowledged) {
    assert.ok(keysAfterKill.has(`ticket:62515:${id}`), `acknowledged ticket ${id} has its job`);
  }
  t.diagnostic(`${acknowledged.size} acknowledged, ${lost} cut off by the kill, ${keysAfterKill.size} jobs committed`);
  // Unacknowledged deliveries may or may not have been committed; HubSpot redelivers them either way.
  assert.ok(keysAfterKill.size >= acknowledged.size && keysAfterKill.size <= DELIVERIES);

  const second = await startServe();
  const health = await fetch(`${second.url}/health`);
  assert.equal(health.status, 200);
  const report = (await health.json()) as { status: string; dependencies: { queue: { staged: number } } };
  assert.equal(report.status, 'healthy');
  // An intake-only process (WORKER_CONCURRENCY=0) moves nothing into graphile-worker: every ticket waits staged.
  assert.equal(report.dependencies.queue.staged, keysAfterKill.size, 'every job is still queued');

  const keysAfterRestart = new Set((await listJobs(tdb.pool)).map((job) => job.key));
  assert.deepEqual([...keysAfterRestart].sort(), [...keysAfterKill].sort());

  // HubSpot's redelivery of everything: acknowledged tickets are already queued (no second job), the rest are
  // queued now; in the end every ticket has exactly one job.
  const redelivered = await Promise.all(ids.map((id) => postWebhook(second.url, specTicket(id))));
  for (const [i, response] of redelivered.entries()) {
    const id = ids[i]!;
    assert.equal(response.status, 200, response.text);
    if (keysAfterKill.has(`ticket:62515:${id}`)) assert.equal(response.body.already_queued, true, id);
    else assert.equal(response.body.already_queued, undefined, id);
  }
  const finalJobs = await listJobs(tdb.pool);
  assert.equal(finalJobs.length, DELIVERIES);
  assert.equal(new Set(finalJobs.map((job) => job.key)).size, DELIVERIES);

  second.service.child.kill('SIGTERM');
  assert.deepEqual(await second.service.waitForExit(30_000), { code: 0, signal: null }, second.service.stderr());
});
