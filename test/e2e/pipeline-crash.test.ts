// A worker SIGKILLed while the LLM is answering: its job stays locked in graphile-worker (which would wait 4 hours),
// the lease sweeper of a restarted service frees it once the dead worker's claim lapses, and the ticket is notified
// exactly once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord.ts';
import { type FakeOllama, ollamaChat, startFakeOllama } from '../fakes/ollama.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import {
  logRecords,
  postDelivery,
  type RunningService,
  requestsFor,
  runsFor,
  specDelivery,
  startService,
  ticketRow,
  waitForEmptyQueue,
  waitForMessages,
  waitForTicket,
  waitUntil,
  withDeadline,
} from '../helpers/pipeline.ts';
import { validOutput } from '../unit/triage/fixtures.ts';

const LEASE_MS = 2000;
let tdb: TestDatabase;
let ollama: FakeOllama;
let discord: FakeDiscord;
const services: RunningService[] = [];

before(async () => {
  [tdb, ollama, discord] = await Promise.all([createTestDatabase(), startFakeOllama(), startFakeDiscord()]);
});

after(async () => {
  for (const service of services) service.kill();
  await Promise.all([ollama?.close(), discord?.close()]);
  await tdb?.drop();
});

test('SIGKILL during the LLM call → restarted service retakes the job after the lease → one message', async () => {
  const env = {
    LOCAL_LLM_URL: ollama.url,
    DISCORD_WEBHOOK_URL: discord.webhook.url,
    TRIAGE_LEASE_MS: String(LEASE_MS),
    // The model must not time out while the first worker is alive; the kill ends that request.
    LOCAL_LLM_TIMEOUT_MS: '60000',
  };
  const id = 'CRASH-1';
  ollama.enqueue('hang');
  const first = await startService(tdb.url, env);
  services.push(first);

  assert.equal((await postDelivery(first.url, specDelivery(id))).status, 200);
  await withDeadline(ollama.waitForRequests(1), 15_000, 'the LLM request');
  const claimed = await ticketRow(tdb.pool, id);
  assert.equal(claimed?.status, 'processing');
  assert.ok(claimed?.claimed_by, 'the first worker holds the claim');

  first.kill();
  const exit = await first.proc.waitForExit(10_000);
  assert.equal(exit.signal, 'SIGKILL');
  // The dead worker's job is still locked: graphile-worker alone would not run it again for hours.
  const { rows: locked } = await tdb.pool.query<{ locked_by: string | null; attempts: number }>(
    "select locked_by, attempts from graphile_worker.jobs where task_identifier = 'triage-ticket'",
  );
  assert.equal(locked.length, 1);
  assert.ok(locked[0]?.locked_by, 'the job is still locked by the dead worker');
  assert.equal(requestsFor(discord, id).length, 0, 'nothing was posted before the kill');

  ollama.setDefault(ollamaChat(validOutput()));
  const restarted = Date.now();
  const second = await startService(tdb.url, env);
  services.push(second);

  const [message] = await waitForMessages(discord, id, 1, 30_000);
  const row = await waitForTicket(tdb.pool, id, 'notified');
  await waitForEmptyQueue(tdb.pool);
  assert.equal(message?.status, 200);
  assert.equal(row.attempts, 2, 'claimed once by each worker');
  assert.equal(ollama.requests.length, 2, 'the hung call and the retry');
  assert.ok(
    logRecords(second, 'unlocked jobs of workers that stopped renewing their claims').length >= 1,
    'the lease sweeper freed the job',
  );
  const runs = await runsFor(tdb.pool, id);
  assert.deepEqual(
    runs.map((r) => [r.status, r.attempt]),
    [['notified', 2]],
    'one run: the killed attempt left none',
  );
  // Freed well before graphile-worker's own 4-hour stale-lock timeout: within a few leases of the restart.
  assert.ok(Date.now() - restarted < 8 * LEASE_MS + 10_000);

  // Nothing else is coming: the queue is empty and the claim is finished.
  await waitUntil('no claim left', async () => (await ticketRow(tdb.pool, id))?.claimed_by === null);
  assert.equal(requestsFor(discord, id).length, 1, 'notified exactly once');
});
