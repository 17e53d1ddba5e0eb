// A worker SIGKILLed while the LLM is answering: its job stays locked in graphile-worker (which would wait 4 hours),
// the lease sweeper of a restarted service frees it once the dead worker's claim lapses, and the ticket is notified
// exactly once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ollamaChat } from '../fakes/ollama.ts';
import { validOutput } from '../fixtures/triage.ts';
import {
  logRecords,
  postDelivery,
  requestsFor,
  runsFor,
  specDelivery,
  ticketRow,
  usePipeline,
  waitForEmptyQueue,
  waitForMessages,
  waitForTicket,
  waitUntil,
  withDeadline,
} from '../helpers/pipeline.ts';

const LEASE_MS = 2000;
const pipeline = usePipeline();

test('SIGKILL during the LLM call → restarted service retakes the job after the lease → one message', async () => {
  const env = {
    TRIAGE_LEASE_MS: String(LEASE_MS),
    // The model must not time out while the first worker is alive; the kill ends that request.
    LOCAL_LLM_TIMEOUT_MS: '60000',
  };
  const id = 'CRASH-1';
  pipeline.ollama.enqueue('hang');
  const first = await pipeline.start(env);

  assert.equal((await postDelivery(first.url, specDelivery(id))).status, 200);
  await withDeadline(pipeline.ollama.waitForRequests(1), 15_000, 'the LLM request');
  const claimed = await ticketRow(pipeline.tdb.pool, id);
  assert.equal(claimed?.status, 'triaging');
  assert.ok(claimed?.claimed_by, 'the first worker holds the claim');

  first.kill();
  const exit = await first.proc.waitForExit(10_000);
  assert.equal(exit.signal, 'SIGKILL');
  // The dead worker's job is still locked: graphile-worker alone would not run it again for hours.
  const { rows: locked } = await pipeline.tdb.pool.query<{ locked_by: string | null; attempts: number }>(
    "select locked_by, attempts from graphile_worker.jobs where task_identifier = 'triage-ticket'",
  );
  assert.equal(locked.length, 1);
  assert.ok(locked[0]?.locked_by, 'the job is still locked by the dead worker');
  assert.equal(requestsFor(pipeline.discord, id).length, 0, 'nothing was posted before the kill');

  pipeline.ollama.setDefault(ollamaChat(validOutput()));
  const restarted = Date.now();
  const second = await pipeline.start(env);

  const [message] = await waitForMessages(pipeline.discord, id, 1, 30_000);
  const row = await waitForTicket(pipeline.tdb.pool, id, 'posted');
  await waitForEmptyQueue(pipeline.tdb.pool);
  assert.equal(message?.status, 200);
  assert.equal(row.attempts, 2, 'claimed once by each worker');
  assert.equal(pipeline.ollama.requests.length, 2, 'the hung call and the retry');
  assert.ok(
    logRecords(second, 'unlocked jobs of workers that stopped renewing their claims').length >= 1,
    'the lease sweeper freed the job',
  );
  const runs = await runsFor(pipeline.tdb.pool, id);
  assert.deepEqual(
    runs.map((r) => [r.status, r.attempt]),
    [['posted', 2]],
    'one run: the killed attempt left none',
  );
  // Freed well before graphile-worker's own 4-hour stale-lock timeout: within a few leases of the restart.
  assert.ok(Date.now() - restarted < 8 * LEASE_MS + 10_000);

  // Nothing else is coming: the queue is empty and the claim is finished.
  await waitUntil('no claim left', async () => (await ticketRow(pipeline.tdb.pool, id))?.claimed_by === null);
  assert.equal(requestsFor(pipeline.discord, id).length, 1, 'notified exactly once');
});
