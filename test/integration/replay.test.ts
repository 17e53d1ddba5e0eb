import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRunStore } from '../../src/db/run-store.ts';
import { createTicketStore } from '../../src/db/ticket-store.ts';
import type { NormalizedTicket } from '../../src/intake/ticket.ts';
import { replayTicket } from '../../src/queue/replay.ts';
import { TRIAGE_MAX_ATTEMPTS, triageJobKey } from '../../src/queue/tasks.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

let tdb: TestDatabase;
let deps: Parameters<typeof replayTicket>[0];
before(async () => {
  tdb = await createTestDatabase();
  deps = { pool: tdb.pool, store: createTicketStore(tdb.db), runs: createRunStore(tdb.db) };
});
after(() => tdb.drop());

const fixedNow = () => new Date('2026-11-25T12:00:00.000Z');

async function jobFor(ticketId: string, portalId: string | null) {
  const { rows } = await tdb.pool.query(
    'select j.id, j.attempts, j.max_attempts, j.run_at, p.payload from graphile_worker.jobs j join graphile_worker._private_jobs p on p.id = j.id where j.key = $1',
    [triageJobKey(portalId, ticketId)],
  );
  return rows;
}

async function failTicket(ticketId: string, portalId: string | null) {
  await deps.store.claimTicket({ ticketId, portalId }, 'w', 60_000);
  await deps.store.markTicketProcessed({ ticketId, portalId, provider: null, success: false, owner: 'w', error: 'x' });
}

test('a job whose retries ran out is rescheduled with its attempts reset', async () => {
  await failTicket('r1', '5');
  await tdb.pool.query(
    "select graphile_worker.add_job('triage-ticket', '{\"v\":1}'::json, max_attempts => 1, job_key => $1, run_at => now() + interval '1 hour')",
    [triageJobKey('5', 'r1')],
  );
  await tdb.pool.query('update graphile_worker._private_jobs set attempts = 1 where key = $1', [
    triageJobKey('5', 'r1'),
  ]);

  const outcome = await replayTicket(deps, { ticketId: 'r1', portalId: '5' });
  assert.equal(outcome.status, 'rescheduled');
  const [job] = await jobFor('r1', '5');
  assert.equal(job.attempts, 0);
  assert.equal(job.max_attempts, TRIAGE_MAX_ATTEMPTS);
  assert.ok(job.run_at.getTime() <= Date.now() + 1000);
});

test('without a job, the ticket the last run saw is queued again with a new request id', async () => {
  const ticket: NormalizedTicket = {
    ticket_id: 'r2',
    subject: 'Export broken 📦',
    body: '<p>CSV export fails</p>',
    from_email: 'x@example.com',
    customer_name: 'Ada',
    customer_tier: 'pro',
    product_area: null,
    hubspot_ticket_url: null,
    portal_id: null,
    received_at: '2026-11-20T10:00:00.000Z',
    request_id: 'old-request',
  };
  await failTicket('r2', null);
  await deps.runs.recordRun({
    ticketId: 'r2',
    requestId: 'old-request',
    attempt: 1,
    status: 'error',
    timings: {} as never,
    ticket,
  });

  const outcome = await replayTicket(deps, { ticketId: 'r2', portalId: null }, { now: fixedNow });
  assert.equal(outcome.status, 'queued');
  assert.equal(outcome.status === 'queued' && outcome.from, 'last_run');
  const [job] = await jobFor('r2', null);
  assert.equal(job.payload.ticket.subject, 'Export broken 📦');
  assert.equal(job.payload.received_at, '2026-11-25T12:00:00.000Z');
  assert.notEqual(job.payload.request_id, 'old-request');
  assert.equal(job.payload.ticket.request_id, job.payload.request_id);
  assert.equal(job.payload.event, null);
});

test('with nothing kept, the replay asks the worker to fetch the ticket from HubSpot', async () => {
  const outcome = await replayTicket(deps, { ticketId: 'r3', portalId: '9' });
  assert.equal(outcome.status === 'queued' && outcome.from, 'hubspot');
  const [job] = await jobFor('r3', '9');
  assert.equal(job.payload.ticket, null);
  assert.deepEqual(job.payload.event, { ticket_id: 'r3', portal_id: '9', occurred_at: null, event_id: null });
});

test('a notified ticket needs --force, which makes it claimable again', async () => {
  await deps.store.claimTicket({ ticketId: 'r4', portalId: '1' }, 'w', 60_000);
  await deps.store.markTicketProcessed({ ticketId: 'r4', portalId: '1', provider: 'local', success: true, owner: 'w' });
  assert.deepEqual(await replayTicket(deps, { ticketId: 'r4', portalId: '1' }), { status: 'already_notified' });
  assert.equal((await jobFor('r4', '1')).length, 0);

  const forced = await replayTicket(deps, { ticketId: 'r4', portalId: '1' }, { force: true });
  assert.equal(forced.status, 'queued');
  const claim = await deps.store.claimTicket({ ticketId: 'r4', portalId: '1' }, 'w2', 60_000);
  assert.equal(claim.claimed, true);
});

test('a job a worker is running right now is left alone', async () => {
  await tdb.pool.query("select graphile_worker.add_job('triage-ticket', '{}'::json, job_key => $1)", [
    triageJobKey('2', 'r5'),
  ]);
  await tdb.pool.query(
    "update graphile_worker._private_jobs set locked_at = now(), locked_by = 'worker-x' where key = $1",
    [triageJobKey('2', 'r5')],
  );
  assert.deepEqual(await replayTicket(deps, { ticketId: 'r5', portalId: '2' }), { status: 'in_progress' });
});
