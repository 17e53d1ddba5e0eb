// A database that accepts the statement but never finishes it (here: a lock held by another transaction) must not
// hang deliveries: past the intake timeout HubSpot gets 503 + Retry-After and redelivers, the stuck connection is
// dropped, and deliveries behind it are committed on a fresh one while the lock is still held.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createIntakeQueue } from '../../src/intake/enqueue.ts';
import { triageJobKey } from '../../src/queue/tasks.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { type IntakeApp, jobByKey, postWebhook, specTicket, startIntakeApp, withDeadline } from '../helpers/intake.ts';

let tdb: TestDatabase;
let intake: IntakeApp;
before(async () => {
  tdb = await createTestDatabase();
  // 1 s instead of 4: ample for a healthy commit on a loaded CI machine (they take milliseconds), short for a test.
  intake = await startIntakeApp(tdb, { queue: createIntakeQueue(tdb.pool, { timeoutMs: 1_000 }) });
});
after(async () => {
  await intake?.close();
  await tdb?.drop();
});

const deliver = (ticketId: string, what: string) =>
  withDeadline(postWebhook(intake.url, specTicket(ticketId)), 10_000, `the answer to ${what}`);

async function deliverAccepted(ticketId: string, what: string): Promise<void> {
  const answer = await deliver(ticketId, what);
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.body.status, 'accepted');
}

test('a commit that does not finish in time is refused with 503, and intake goes on without the stuck connection', async () => {
  const stuckKey = triageJobKey('62515', '701');
  // Another transaction inserts the same job key and keeps it uncommitted: our insert must wait for it.
  const holder = await tdb.pool.connect();
  let holding = true;
  try {
    await holder.query('begin');
    await holder.query(
      `insert into graphile_worker._private_jobs (task_id, payload, key)
       values ((select id from graphile_worker._private_tasks where identifier = 'triage-ticket'), '{}', $1)`,
      [stuckKey],
    );

    const refused = await deliver('701', 'the stuck delivery');
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.body.error, 'service_unavailable');
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 0, `Retry-After ${refused.headers.get('retry-after')}`);

    // The lock is still held; the next delivery must not queue behind the stuck statement.
    await deliverAccepted('702', 'the next delivery');
    assert.ok(await jobByKey(tdb.pool, triageJobKey('62515', '702')), 'the 200 was sent after its job was committed');

    await holder.query('rollback');
    holding = false;
  } finally {
    if (holding) await holder.query('rollback').catch(() => {});
    holder.release();
  }

  // HubSpot redelivers the refused ticket: accepted now, and its job is the ticket's, whether the abandoned statement
  // (which goes on once the lock is gone) or the redelivery inserted it.
  await deliverAccepted('701', 'the redelivery');
  const job = await jobByKey(tdb.pool, stuckKey);
  assert.equal(job?.payload.ticket_id, '701');
  assert.equal(job?.task_identifier, 'triage-ticket');
});
