import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRunStore } from '../../src/db/run-store.ts';
import { createTicketStore } from '../../src/db/ticket-store.ts';
import { triageJobKey } from '../../src/domain/job.ts';
import type { NormalizedTicket } from '../../src/domain/ticket.ts';
import { planReplay, replayTicket } from '../../src/pipeline/replay.ts';
import { TRIAGE_MAX_ATTEMPTS } from '../../src/queue/tasks.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { jobByKey, moveStaged } from '../helpers/intake.ts';

let tdb: TestDatabase;
let deps: Parameters<typeof replayTicket>[0];
let store: ReturnType<typeof createTicketStore>;
before(async () => {
  tdb = await createTestDatabase();
  store = createTicketStore(tdb.db);
  deps = { tickets: store, runs: createRunStore(tdb.db) };
});
after(() => tdb.drop());

const fixedNow = () => new Date('2026-11-25T12:00:00.000Z');
const staged = (ticketId: string, portalId: string | null) => jobByKey(tdb.pool, triageJobKey(portalId, ticketId));

async function failTicket(ticketId: string, portalId: string | null) {
  await store.claimTicket({ ticketId, portalId }, 'w', 60_000);
  await store.markTicketProcessed({ ticketId, portalId, provider: null, state: 'not_posted', owner: 'w', error: 'x' });
}

test('a job whose retries ran out is replaced by a fresh one (add_jobs through the mover)', async () => {
  await failTicket('r1', '5');
  await tdb.pool.query(
    "select graphile_worker.add_job('triage-ticket', '{\"v\":1}'::json, max_attempts => 1, job_key => $1, run_at => now() + interval '1 hour')",
    [triageJobKey('5', 'r1')],
  );
  await tdb.pool.query(
    'select graphile_worker.reschedule_jobs(array(select id from graphile_worker.jobs where key = $1), attempts => 1)',
    [triageJobKey('5', 'r1')],
  );

  const outcome = await replayTicket(deps, { ticketId: 'r1' });
  assert.deepEqual(outcome, { status: 'queued', portalId: '5', from: 'hubspot', previous: 'not_posted' });
  assert.equal(await moveStaged(tdb.pool), 1);
  const { rows } = await tdb.pool.query(
    'select attempts, max_attempts, run_at from graphile_worker.jobs where key = $1',
    [triageJobKey('5', 'r1')],
  );
  assert.equal(rows.length, 1);
  assert.equal(rows[0].attempts, 0);
  assert.equal(rows[0].max_attempts, TRIAGE_MAX_ATTEMPTS);
  assert.ok(rows[0].run_at.getTime() <= Date.now() + 1000);
});

test('the ticket the last run saw is queued again with a new request id', async () => {
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
  await createRunStore(tdb.db).recordRun({
    ticketId: 'r2',
    requestId: 'old-request',
    attempt: 1,
    status: 'not_posted',
    timings: {} as never,
    ticket,
  });

  const outcome = await replayTicket(deps, { ticketId: 'r2' }, { now: fixedNow });
  assert.equal(outcome.status === 'queued' && outcome.from, 'last_run');
  const job = await staged('r2', null);
  assert.equal(job?.payload.ticket?.subject, 'Export broken 📦');
  assert.equal(job?.payload.received_at, '2026-11-25T12:00:00.000Z');
  assert.notEqual(job?.payload.request_id, 'old-request');
  assert.equal(job?.payload.ticket?.request_id, job?.payload.request_id);
  assert.equal(job?.payload.event, null);
});

test('a ticket id never seen is refused, unless --fetch asks the worker to fetch it from HubSpot', async () => {
  assert.deepEqual(await replayTicket(deps, { ticketId: '99999' }), { status: 'unknown' });
  assert.equal(await staged('99999', null), undefined);
  const { rows } = await tdb.pool.query("select 1 from processed_tickets where ticket_id = '99999'");
  assert.equal(rows.length, 0, 'nothing written');

  const outcome = await replayTicket(deps, { ticketId: 'r3', portalId: '9', fetch: true });
  assert.equal(outcome.status === 'queued' && outcome.from, 'hubspot');
  const job = await staged('r3', '9');
  assert.equal(job?.payload.ticket, null);
  assert.deepEqual(job?.payload.event, { ticket_id: 'r3', portal_id: '9', occurred_at: null, event_id: null });
});

test('the portal is found when exactly one matches; several need --portal', async () => {
  await failTicket('501', '62515');
  assert.deepEqual(await planReplay(deps, { ticketId: '501' }), {
    status: 'queue',
    portalId: '62515',
    from: 'hubspot',
    previous: 'not_posted',
  });
  await failTicket('501', '777');
  const ambiguous = await replayTicket(deps, { ticketId: '501' });
  assert.equal(ambiguous.status, 'ambiguous');
  assert.deepEqual(ambiguous.status === 'ambiguous' && [...ambiguous.portals].sort(), ['62515', '777']);
  assert.equal((await replayTicket(deps, { ticketId: '501', portalId: '777' })).status, 'queued');
  assert.equal(await staged('501', '62515'), undefined);
  assert.ok(await staged('501', '777'));
});

test('a posted ticket needs --force, which makes it claimable again', async () => {
  await store.claimTicket({ ticketId: 'r4', portalId: '1' }, 'w', 60_000);
  await store.markTicketProcessed({
    ticketId: 'r4',
    portalId: '1',
    provider: 'local',
    state: 'posted',
    owner: 'w',
    discordMessageId: '123',
  });
  assert.deepEqual(await replayTicket(deps, { ticketId: 'r4' }), {
    status: 'already_posted',
    portalId: '1',
    state: 'posted',
  });
  assert.equal(await staged('r4', '1'), undefined);

  const forced = await replayTicket(deps, { ticketId: 'r4', force: true });
  assert.equal(forced.status, 'queued');
  const claim = await store.claimTicket({ ticketId: 'r4', portalId: '1' }, 'w2', 60_000);
  assert.equal(claim.claimed, true);
});

test('a ticket a worker holds right now, or one already queued, is left alone', async () => {
  await store.claimTicket({ ticketId: 'r5', portalId: '2' }, 'worker-x', 60_000);
  assert.deepEqual(await replayTicket(deps, { ticketId: 'r5' }), { status: 'in_progress', portalId: '2' });
  await failTicket('r6', '2');
  assert.equal((await replayTicket(deps, { ticketId: 'r6' })).status, 'queued');
  assert.deepEqual(await replayTicket(deps, { ticketId: 'r6' }), { status: 'already_queued', portalId: '2' });
});

test('a ticket posted as a TRIAGE FAILED message is posted too: replay needs --force', async () => {
  await store.claimTicket({ ticketId: 'rf1', portalId: '1' }, 'w', 60_000);
  await store.markTicketProcessed({
    ticketId: 'rf1',
    portalId: '1',
    provider: 'groq',
    state: 'posted_as_failure',
    owner: 'w',
    discordMessageId: '124',
  });
  assert.deepEqual(await replayTicket(deps, { ticketId: 'rf1' }), {
    status: 'already_posted',
    portalId: '1',
    state: 'posted_as_failure',
  });
  assert.equal(await staged('rf1', '1'), undefined);
  assert.equal((await replayTicket(deps, { ticketId: 'rf1', force: true })).status, 'queued');
});
