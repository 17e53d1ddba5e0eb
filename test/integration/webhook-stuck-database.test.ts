// A database that accepts the statement but never finishes it (here: a lock held by another transaction) must not
// hang deliveries: past the intake timeout HubSpot gets 503 + Retry-After and redelivers, the stuck connection is
// dropped, deliveries behind it are committed on a fresh one while the lock is still held, and the database itself
// ends the abandoned statement rather than keep a backend waiting on the lock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Database } from '../../src/db/client.ts';
import { triageJobKey } from '../../src/domain/job.ts';
import { createIntakeDatabase, createIntakeQueue } from '../../src/intake/enqueue.ts';
import type { TestDatabase } from '../helpers/db.ts';
import { type IntakeApp, jobByKey, postWebhook, specTicket, useIntakeApp, withDeadline } from '../helpers/intake.ts';
import { waitUntil } from '../helpers/pipeline.ts';

let tdb: TestDatabase;
let intakeDatabase: Database;
let intake: IntakeApp;
// 1 s instead of 4: ample for a healthy commit on a loaded CI machine (they take milliseconds), short for a test.
const TIMEOUT_MS = 1_000;
useIntakeApp(
  (used) => {
    // The pool main.ts gives intake: its statements end in the database a second after the intake's timeout.
    intakeDatabase = used.closeAfter(createIntakeDatabase(used.tdb.url, TIMEOUT_MS));
    return { queue: createIntakeQueue(intakeDatabase.pool, { timeoutMs: TIMEOUT_MS }) };
  },
  (used) => ({ tdb, intake } = used),
);

/** Intake statements that PostgreSQL is running while they wait for a lock. */
async function intakeStatementsWaitingOnLocks(): Promise<number> {
  const { rows } = await tdb.pool.query<{ n: number }>(
    `select count(*)::int as n from pg_stat_activity
      where datname = current_database() and application_name = 'hubspot-triage-intake'
        and state = 'active' and wait_event_type = 'Lock'`,
  );
  return rows[0]!.n;
}

const deliver = (ticketId: string, what: string) =>
  withDeadline(postWebhook(intake.url, specTicket(ticketId)), 10_000, `the answer to ${what}`);

async function deliverAccepted(ticketId: string, what: string): Promise<void> {
  const answer = await deliver(ticketId, what);
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.body.status, 'accepted');
}

test('a commit that does not finish in time is refused with 503, and intake goes on without the stuck connection', async () => {
  // Another transaction inserts the same ticket and keeps it uncommitted: our insert must wait for it.
  const holder = await tdb.pool.connect();
  let holding = true;
  try {
    await holder.query('begin');
    await holder.query(
      "insert into processed_tickets (ticket_id, portal_id, status, pending_job) values ('701', '62515', 'queued', '{}')",
    );

    const answer = deliver('701', 'the stuck delivery');
    // Its statement waits on the lock in the database (seen well before the intake gives up on it).
    await waitUntil(
      'the stuck statement waiting on the lock',
      async () => (await intakeStatementsWaitingOnLocks()) === 1,
      {
        timeoutMs: 10_000,
        intervalMs: 10,
      },
    );
    const refused = await answer;
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.body.error, 'service_unavailable');
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 0, `Retry-After ${refused.headers.get('retry-after')}`);

    // The lock is still held; the next delivery must not queue behind the stuck statement.
    await deliverAccepted('702', 'the next delivery');
    assert.ok(await jobByKey(tdb.pool, triageJobKey('62515', '702')), 'the 200 was sent after its job was committed');

    // The database ends the abandoned statement (statement_timeout) while the lock is still held. Without it the
    // statement would wait as long as the lock does, and every later timeout would leave another backend waiting.
    await waitUntil(
      'the abandoned statement ended by the database',
      async () => (await intakeStatementsWaitingOnLocks()) === 0,
      {
        timeoutMs: 10_000,
      },
    );

    await holder.query('rollback');
    holding = false;
  } finally {
    if (holding) await holder.query('rollback').catch(() => {});
    holder.release();
  }

  // HubSpot redelivers the refused ticket: accepted now, and the job the redelivery inserts is the ticket's.
  await deliverAccepted('701', 'the redelivery');
  const job = await jobByKey(tdb.pool, triageJobKey('62515', '701'));
  assert.equal(job?.payload.ticket_id, '701');
  assert.equal(job?.task_identifier, 'triage-ticket');
});
