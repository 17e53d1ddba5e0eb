// Exactly one Discord message per ticket under concurrent and duplicated deliveries: 200 deliveries of 20 tickets
// to one service, then the same deliveries sent to two `serve` processes sharing one database.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ollamaChat } from '../fakes/ollama.ts';
import { validOutput } from '../fixtures/triage.ts';
import {
  logRecords,
  pendingJobs,
  postDelivery,
  requestsFor,
  specDelivery,
  ticketIdOf,
  usePipeline,
  waitForEmptyQueue,
  waitUntil,
} from '../helpers/pipeline.ts';

// A little model latency so that jobs overlap and several workers (and processes) are busy at once.
const pipeline = usePipeline(({ ollama }) =>
  ollama.setDefault({ ...(ollamaChat(validOutput()) as object), delayMs: 150 }),
);

function serviceEnv(concurrency: number) {
  return { WORKER_CONCURRENCY: String(concurrency) };
}

/** Counts notified tickets in the database among `ids`. */
async function notifiedCount(ids: string[]): Promise<number> {
  const { rows } = await pipeline.tdb.pool.query<{ n: number }>(
    "select count(*)::int as n from processed_tickets where status = 'posted' and ticket_id = any($1)",
    [ids],
  );
  return rows[0]?.n ?? 0;
}

/** Waits for one message per id and an empty queue, then asserts nothing more arrived and each id was posted once. */
async function assertOneMessageEach(ids: string[]): Promise<void> {
  const inScope = () => pipeline.discord.requests.filter((r) => ids.includes(ticketIdOf(r) ?? ''));
  await waitUntil(`${ids.length} Discord messages`, () => inScope().length >= ids.length, { timeoutMs: 60_000 });
  await waitForEmptyQueue(pipeline.tdb.pool, 60_000);
  await waitUntil('every ticket notified', async () => (await notifiedCount(ids)) === ids.length);
  // The queue is empty and every claim is finished: nothing is left that could post a second message.
  assert.equal(inScope().length, ids.length, 'no extra message');
  for (const id of ids) assert.equal(requestsFor(pipeline.discord, id).length, 1, `ticket ${id} posted once`);
  assert.ok(
    inScope().every((r) => r.status === 200),
    'every message accepted',
  );
}

describe('exactly one message per ticket', () => {
  test('200 concurrent deliveries of 20 tickets (10 each) → 20 messages', async () => {
    const service = await pipeline.start(serviceEnv(4));
    const ids = Array.from({ length: 20 }, (_, i) => `CC-${100 + i}`);
    const deliveries = ids.flatMap((id) => Array.from({ length: 10 }, () => specDelivery(id)));
    const answers = await Promise.all(deliveries.map((body) => postDelivery(service.url, body)));

    assert.deepEqual(
      answers.filter((a) => a.status !== 200),
      [],
      'every delivery acknowledged',
    );
    for (const answer of answers) assert.ok(['accepted', 'duplicate'].includes(String(answer.body.status)));
    // The deliveries went through intake's own pool (createIntakeDatabase), whose connections stay open while idle.
    const intakeConnections = await pipeline.tdb.pool.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'hubspot-triage-intake'",
    );
    assert.ok(intakeConnections.rows[0]!.n >= 1, 'intake connections open');
    await assertOneMessageEach(ids);
    assert.equal(pipeline.ollama.requests.length, 20, 'one LLM call per ticket: no ticket was triaged twice');
    assert.equal(logRecords(service, 'pipeline.posted').length, 20);
    assert.equal(await pendingJobs(pipeline.tdb.pool), 0);
  });

  test('two serve processes on one database, every delivery sent to both → one message per ticket', async () => {
    const first = pipeline.services[0]!;
    const second = await pipeline.start(serviceEnv(2));
    const ids = Array.from({ length: 16 }, (_, i) => `MP-${200 + i}`);
    const before = pipeline.ollama.requests.length;
    // Each ticket twice to each process, interleaved, all at once.
    const sends = ids.flatMap((id) =>
      [first, second, second, first].map((service) => postDelivery(service.url, specDelivery(id))),
    );
    const answers = await Promise.all(sends);
    assert.ok(answers.every((a) => a.status === 200));
    await assertOneMessageEach(ids);
    assert.equal(pipeline.ollama.requests.length - before, ids.length, 'one LLM call per ticket across both processes');

    const byProcess = [first, second].map(
      (service) => logRecords(service, 'pipeline.posted').filter((r) => String(r.ticket_id).startsWith('MP-')).length,
    );
    assert.equal(byProcess[0]! + byProcess[1]!, ids.length, `notified per process: ${byProcess.join(' + ')}`);
    assert.ok(
      byProcess.every((n) => n > 0),
      `both processes did work: ${byProcess.join(' + ')}`,
    );
  });
});
