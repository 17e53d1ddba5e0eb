// A deploy (SIGTERM) while the LLM is still answering: graphile-worker waits for the job, then aborts its signal after
// 5 s. The aborted triage must not be posted as a "TRIAGE FAILED" message; the job goes back to the queue and the
// next process triages and notifies the ticket normally, once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ollamaChat } from '../fakes/ollama.ts';
import { validOutput } from '../fixtures/triage.ts';
import {
  payloadOf,
  postDelivery,
  requestsFor,
  specDelivery,
  ticketRow,
  usePipeline,
  waitForEmptyQueue,
  waitForMessages,
  waitForTicket,
  withDeadline,
} from '../helpers/pipeline.ts';

const pipeline = usePipeline();

const baseEnv = () => ({
  LOCAL_LLM_TIMEOUT_MS: '60000',
});

/** The queue row of a ticket's job, if any. */
async function jobOf(id: string) {
  const { rows } = await pipeline.tdb.pool.query<{
    locked_by: string | null;
    attempts: number;
    last_error: string | null;
  }>('select locked_by, attempts, last_error from graphile_worker.jobs where key like $1', [`%:${id}`]);
  return rows[0];
}

test('SIGTERM during a slow LLM call → no failure message; the next process notifies the ticket once', async () => {
  // A short lease: a job left locked by the stopped process (see the next test) is freed by the sweeper quickly.
  const env = { ...baseEnv(), TRIAGE_LEASE_MS: '2000' };
  const id = 'SHUT-1';
  pipeline.ollama.enqueue('hang');
  const first = await pipeline.start(env);
  assert.equal((await postDelivery(first.url, specDelivery(id))).status, 200);
  await withDeadline(pipeline.ollama.waitForRequests(1), 15_000, 'the LLM request');

  first.proc.child.kill('SIGTERM');
  const exit = await first.proc.waitForExit(40_000);
  assert.deepEqual(exit, { code: 0, signal: null }, first.proc.stderr());

  assert.deepEqual(
    requestsFor(pipeline.discord, id).map((r) => payloadOf(r).content),
    [],
    'an aborted triage is not a triage failure to report',
  );
  const row = await ticketRow(pipeline.tdb.pool, id);
  assert.equal(row?.status, 'triaging', 'the ticket is not finished');
  assert.equal(row?.claimed_by, null, 'the claim was given back');
  assert.ok(await jobOf(id), 'the job is still in the queue');

  pipeline.ollama.setDefault(ollamaChat(validOutput()));
  const second = await pipeline.start(env);
  const [message] = await waitForMessages(pipeline.discord, id, 1, 30_000);
  const done = await waitForTicket(pipeline.tdb.pool, id, 'posted');
  await waitForEmptyQueue(pipeline.tdb.pool);
  assert.equal(payloadOf(message!).content, undefined, 'a normal triage message');
  assert.match(payloadOf(message!).embeds?.[0]?.title ?? '', /^\[HIGH\] Ticket #SHUT-1: /);
  assert.equal(done.success, true);
  assert.equal(requestsFor(pipeline.discord, id).length, 1);
  second.kill();
});

test('a job that finishes during a graceful shutdown is released in the queue, not left locked', async () => {
  // graphile-worker (unbatched) completes/fails jobs without awaiting the write, and main.ts closes the pool right
  // after the runner stops, so the write can be lost: the job then stays locked by a pool that no longer exists
  // until another process's lease sweeper frees it (TRIAGE_LEASE_MS later, 60 s by default).
  const id = 'SHUT-2';
  pipeline.ollama.enqueue({ ...(ollamaChat(validOutput()) as object), delayMs: 1000 });
  const service = await pipeline.start(baseEnv());
  assert.equal((await postDelivery(service.url, specDelivery(id))).status, 200);
  await withDeadline(pipeline.ollama.waitForRequests(pipeline.ollama.requests.length + 1), 15_000, 'the LLM request');
  service.proc.child.kill('SIGTERM');
  assert.deepEqual(await service.proc.waitForExit(40_000), { code: 0, signal: null });

  // The drain let the job finish: the ticket was notified once.
  assert.equal(requestsFor(pipeline.discord, id).length, 1);
  assert.equal((await ticketRow(pipeline.tdb.pool, id))?.status, 'posted');
  const job = await jobOf(id);
  assert.equal(job, undefined, `the completed job is gone from the queue, found ${JSON.stringify(job)}`);
});
