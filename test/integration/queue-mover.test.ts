// The queue mover: committed tickets become graphile-worker jobs (public add_jobs) exactly once, even with several
// movers at once, and new jobs of one portal are paced to PORTAL_TICKETS_PER_MINUTE without dropping any.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createIntakeQueue } from '../../src/intake/enqueue.ts';
import { moveQueuedTickets } from '../../src/queue/mover.ts';
import { eventPayload } from '../fixtures/payloads.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

let tdb: TestDatabase;
before(async () => {
  tdb = await createTestDatabase();
});
after(() => tdb.drop());

const payload = eventPayload;

test('concurrent movers add each committed ticket once, with its payload, and clear what they moved', async () => {
  const queue = createIntakeQueue(tdb.pool);
  await queue.enqueue(Array.from({ length: 250 }, (_, i) => payload(`m${i}`, '11')));
  const moved = await Promise.all(
    Array.from({ length: 4 }, async () => {
      let total = 0;
      for (let n = -1; n !== 0; total += n)
        n = await moveQueuedTickets(tdb.pool, { perPortalPerMinute: 0, batchSize: 30 });
      return total;
    }),
  );
  assert.equal(
    moved.reduce((a, b) => a + b, 0),
    250,
  );
  const { rows } = await tdb.pool.query<{ n: number; keys: number }>(
    "select count(*)::int as n, count(distinct key)::int as keys from graphile_worker.jobs where key like 'ticket:11:m%'",
  );
  assert.deepEqual(rows[0], { n: 250, keys: 250 });
  const staged = await tdb.pool.query(
    "select 1 from processed_tickets where pending_job is not null and portal_id = '11'",
  );
  assert.equal(staged.rowCount, 0);
  await queue.flush();
});

test('per-portal pacing: the first N of a minute start now, the rest later and evenly spaced; other portals unaffected', async () => {
  const queue = createIntakeQueue(tdb.pool);
  await queue.enqueue([...Array.from({ length: 7 }, (_, i) => payload(`p${i}`, '22')), payload('other', '33')]);
  assert.equal(await moveQueuedTickets(tdb.pool, { perPortalPerMinute: 4 }), 8);
  const { rows } = await tdb.pool.query<{ key: string; delay_s: number }>(
    `select key, round(extract(epoch from run_at - now()))::int as delay_s
       from graphile_worker.jobs where key like 'ticket:22:p%' or key = 'ticket:33:other' order by run_at, key`,
  );
  const delays = rows.map((r) => r.delay_s);
  assert.equal(rows.length, 8, 'every ticket queued, none dropped');
  assert.deepEqual(
    delays.filter((d) => d <= 0).length,
    5,
    `four of portal 22 and the one of portal 33 start now: ${delays}`,
  );
  // 60 s / 4 = 15 s apart after the first four.
  assert.deepEqual(
    delays.filter((d) => d > 0),
    [15, 30, 45],
  );
  await queue.flush();
});
