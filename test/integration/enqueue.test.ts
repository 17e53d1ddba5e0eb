import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { createTicketStore } from '../../src/db/ticket-store.ts';
import { createIntakeQueue } from '../../src/intake/enqueue.ts';
import { INBOX_CHANNEL } from '../../src/queue/tasks.ts';
import { eventPayload } from '../fixtures/payloads.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { moveStaged } from '../helpers/intake.ts';

let tdb: TestDatabase;
before(async () => {
  tdb = await createTestDatabase();
});
after(() => tdb.drop());

const payload = eventPayload;

/**
 * Listens for the queue mover's wake-ups on a connection of its own and records their job counts; `announced(n)` waits
 * until n jobs were announced in all (5 s at most).
 */
async function listenForWakeUps() {
  const listener = await tdb.pool.connect();
  await listener.query(`listen ${INBOX_CHANNEL}`);
  const counts: number[] = [];
  let onCount: () => void = () => {};
  const onNotification = (message: pg.Notification) => {
    if (message.channel !== INBOX_CHANNEL) return;
    counts.push((JSON.parse(message.payload ?? '{}') as { count: number }).count);
    onCount();
  };
  listener.on('notification', onNotification);
  const total = () => counts.reduce((sum, n) => sum + n, 0);
  const announced = (n: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${total()} of ${n} jobs announced within 5 s`)), 5_000);
      onCount = () => {
        if (total() >= n) {
          clearTimeout(timer);
          resolve();
        }
      };
      onCount();
    });
  async function stop(): Promise<void> {
    await listener.query('unlisten *');
    listener.off('notification', onNotification);
    listener.release();
  }
  return { counts, total, announced, stop };
}

test('concurrent deliveries share commits and still get exact per-delivery outcomes', async () => {
  const store = createTicketStore(tdb.db);
  await store.claimTicket({ ticketId: 'done', portalId: '3' }, 'w', 60_000);
  await store.markTicketProcessed({ ticketId: 'done', portalId: '3', provider: 'local', state: 'posted', owner: 'w' });
  // One transaction at a time, so everything sent while the first commits is grouped into the next one.
  const queue = createIntakeQueue(tdb.pool, { maxInFlight: 1, maxBatch: 50 });
  await queue.enqueue([payload('queued-before')]);

  const deliveries = [
    [payload('a'), payload('b')],
    [payload('done')],
    [payload('queued-before')],
    [payload('a')],
    [payload('c', null), payload('done'), payload('c', null)],
    ...Array.from({ length: 20 }, (_, i) => [payload(`n${i}`)]),
  ];
  const results = await Promise.all(deliveries.map((d) => queue.enqueue(d)));

  assert.deepEqual(
    results[0]!.map((o) => o.status === 'accepted' && o.alreadyQueued),
    [false, false],
  );
  assert.equal(results[1]![0]!.status, 'duplicate');
  assert.deepEqual(results[2], [{ ticketId: 'queued-before', status: 'accepted', alreadyQueued: true }]);
  assert.deepEqual(results[3], [{ ticketId: 'a', status: 'accepted', alreadyQueued: true }]);
  assert.deepEqual(
    results[4]!.map((o) => (o.status === 'accepted' ? o.alreadyQueued : o.status)),
    [false, 'duplicate', true],
  );
  for (const result of results.slice(5))
    assert.equal(result[0]!.status === 'accepted' && !result[0]!.alreadyQueued, true);

  // What intake committed becomes one graphile-worker job per ticket once a worker process moves it.
  assert.equal(await moveStaged(tdb.pool), 24);
  const jobs = await tdb.pool.query<{ key: string }>('select key from graphile_worker.jobs order by key');
  assert.deepEqual(
    jobs.rows.map((r) => r.key),
    [
      'ticket:-:c',
      'ticket:3:a',
      'ticket:3:b',
      ...Array.from({ length: 20 }, (_, i) => `ticket:3:n${i}`).sort(),
      'ticket:3:queued-before',
    ].sort(),
  );
  const dup = await tdb.pool.query("select duplicates from processed_tickets where ticket_id = 'done'");
  assert.equal(dup.rows[0].duplicates, 2);
  // Its last wake-up out before the next test listens.
  await queue.flush();
});

test('one delivery that cannot be stored does not fail the deliveries it was grouped with', async () => {
  const queue = createIntakeQueue(tdb.pool, { maxInFlight: 1, maxBatch: 50 });
  const poison = payload('bad\u0000id'); // PostgreSQL refuses a NUL byte in text: the whole shared statement fails
  const first = queue.enqueue([payload('warm')]);
  const grouped = [queue.enqueue([payload('ok-1')]), queue.enqueue([poison]), queue.enqueue([payload('ok-2')])];
  await first;
  const settled = await Promise.allSettled(grouped);
  assert.deepEqual(
    settled.map((s) => s.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  const jobs = await tdb.pool.query<{ ticket_id: string }>(
    "select ticket_id from processed_tickets where ticket_id in ('ok-1', 'ok-2') and status = 'queued' order by 1",
  );
  assert.deepEqual(
    jobs.rows.map((r) => r.ticket_id),
    ['ok-1', 'ok-2'],
  );
  await queue.flush();
});

test('the queue mover is woken by a notification once the tickets are committed', async () => {
  const wakeUps = await listenForWakeUps();
  try {
    const queue = createIntakeQueue(tdb.pool);
    await queue.enqueue([payload('wake-1'), payload('wake-2')]);
    const jobs = await tdb.pool.query(
      "select count(*)::int as n from processed_tickets where ticket_id like 'wake-%' and pending_job is not null",
    );
    assert.equal(jobs.rows[0].n, 2);
    await wakeUps.announced(2);
    assert.deepEqual(wakeUps.counts, [2]);
  } finally {
    await wakeUps.stop();
  }
});

test('jobs committed while a wake-up is on its way are announced by the next one, each job counted once', async () => {
  const { counts, total, announced, stop } = await listenForWakeUps();
  try {
    // Small batches, one statement at a time: many commits land while the first NOTIFY is still being sent.
    const queue = createIntakeQueue(tdb.pool, { maxInFlight: 1, maxBatch: 3 });
    const deliveries = Array.from({ length: 30 }, (_, i) => [payload(`burst-${i}`)]);
    await Promise.all([...deliveries, [payload('burst-0')]].map((d) => queue.enqueue(d)));
    await announced(30);
    // One NOTIFY at a time, each sent after the previous one committed: once this last job is announced, no earlier
    // wake-up can still be on its way.
    await queue.enqueue([payload('burst-last')]);
    await announced(31);

    assert.equal(total(), 31, 'every new job announced exactly once; the re-delivery of burst-0 adds none');
    assert.ok(
      counts.every((n) => n > 0),
      'no empty wake-ups',
    );
    assert.ok(counts.length <= 12, `at most one NOTIFY per statement (11 statements), got ${counts.length}`);
  } finally {
    await stop();
  }
});

test('flush() sends the wake-up that the spacing holds back, before the intake pool is closed', async () => {
  const wakeUps = await listenForWakeUps();
  const intakePool = new pg.Pool({ connectionString: tdb.url, max: 2 });
  try {
    // A spacing far longer than the test: the second delivery's wake-up can only go out through flush().
    const queue = createIntakeQueue(intakePool, { notifyIntervalMs: 3_600_000 });
    await queue.enqueue([payload('held-1')]);
    await queue.enqueue([payload('held-2'), payload('held-3')]);
    await queue.flush();
    await intakePool.end();
    await wakeUps.announced(3);
    assert.deepEqual(wakeUps.counts, [1, 2]);
  } finally {
    if (!intakePool.ending) await intakePool.end();
    await wakeUps.stop();
  }
});

test('callers that come back after their answer join the next statement instead of trailing a small one', async () => {
  // Ten callers in a closed loop, as HTTP clients are: each sends its next delivery a turn of the event loop after
  // its answer. Every statement is one transaction, and a transaction's jobs share one created_at (now()), so the
  // distinct created_at values count the statements.
  const queue = createIntakeQueue(tdb.pool, { maxInFlight: 1, maxBatch: 100 });
  const clients = 10;
  const rounds = 6;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let round = 0; round < rounds; round++) {
        const [outcome] = await queue.enqueue([payload(`loop-${client}-${round}`)]);
        assert.equal(outcome!.status === 'accepted' && !outcome!.alreadyQueued, true);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }),
  );
  const { rows } = await tdb.pool.query<{ statements: number; jobs: number }>(
    "select count(distinct created_at)::int as statements, count(*)::int as jobs from processed_tickets where ticket_id like 'loop-%'",
  );
  assert.equal(rows[0]!.jobs, clients * rounds);
  // The first caller goes alone and the other nine follow together; from then on all ten travel together, one
  // statement a round. Sending whoever is waiting the moment a result arrives splits each round in two instead.
  assert.ok(rows[0]!.statements <= rounds + 2, `${rows[0]!.statements} statements for ${rounds} rounds of ${clients}`);
  await queue.flush();
});

test('a ticket whose job used up its attempts is queued again by a redelivery, and only then', async () => {
  const queue = createIntakeQueue(tdb.pool);
  const store = createTicketStore(tdb.db);
  await queue.enqueue([payload('spent')]);
  await moveStaged(tdb.pool);
  // Its job ran out of attempts (graphile-worker keeps such a job) and the worker ended the ticket `failed`.
  await tdb.pool.query(
    "select graphile_worker.reschedule_jobs(array(select id from graphile_worker.jobs where key = 'ticket:3:spent'), attempts => 8)",
  );
  await store.claimTicket({ ticketId: 'spent', portalId: '3' }, 'w', 60_000);
  await store.markTicketProcessed({
    ticketId: 'spent',
    portalId: '3',
    provider: null,
    state: 'not_posted',
    owner: 'w',
  });

  const [again] = await queue.enqueue([payload('spent')]);
  assert.deepEqual(again, { ticketId: 'spent', status: 'accepted', alreadyQueued: false });
  const [third] = await queue.enqueue([payload('spent')]);
  assert.deepEqual(third, { ticketId: 'spent', status: 'accepted', alreadyQueued: true });
  assert.equal(await moveStaged(tdb.pool), 1);
  const { rows } = await tdb.pool.query(
    "select attempts, max_attempts from graphile_worker.jobs where key = 'ticket:3:spent'",
  );
  assert.deepEqual(rows, [{ attempts: 0, max_attempts: 8 }], 'add_jobs replaced the spent job with a fresh one');
  await queue.flush();
});
