import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRunStore } from '../../src/db/run-store.ts';
import { createTicketStore } from '../../src/db/ticket-store.ts';
import type { TriageTicketPayload } from '../../src/domain/job.ts';
import { createHubSpotClient } from '../../src/hubspot/client.ts';
import { createDiscordClient } from '../../src/notify/discord-client.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createTriageTask, RetryLater } from '../../src/pipeline/triage-task.ts';
import { buildTriageProviders, createTriageChain } from '../../src/triage/index.ts';
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord.ts';
import { makeTicket } from '../fixtures/tickets.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

let tdb: TestDatabase;
let discord: FakeDiscord;
before(async () => {
  tdb = await createTestDatabase();
  discord = await startFakeDiscord();
});
after(async () => {
  await discord?.close();
  await tdb?.drop();
});

const logger = createLogger({ level: 'silent' });

function makeTask(fakeDiscord: FakeDiscord = discord) {
  const store = createTicketStore(tdb.db);
  const metrics = createMetrics({ defaultMetrics: false });
  return {
    store,
    metrics,
    task: createTriageTask({
      store,
      runs: createRunStore(tdb.db),
      chain: createTriageChain({
        providers: buildTriageProviders({ providers: ['rules'] }, { now: Date.now }),
        logger,
        now: () => performance.now(),
        redactForCloud: true,
      }),
      // The real client against the fake Discord, without the 1 s / 3 s back-off between 5xx retries.
      notifier: createDiscordClient({ webhookUrl: fakeDiscord.webhook.url, serverRetryDelaysMs: [] }),
      hubspot: createHubSpotClient({ accessToken: null }),
      logger,
      metrics,
      securityRoleId: null,
      leaseMs: 60_000,
    }),
  };
}

function payload(ticketId: string): TriageTicketPayload {
  const ticket = makeTicket({ ticket_id: ticketId, portal_id: null, hubspot_ticket_url: null });
  return {
    v: 1,
    request_id: `req-${ticketId}`,
    received_at: ticket.received_at,
    ticket_id: ticketId,
    portal_id: null,
    ticket,
    event: null,
  };
}

// The part of graphile-worker's JobHelpers the task reads.
function helpers(attempts: number, maxAttempts = 8) {
  return {
    job: { id: String(Math.floor(Math.random() * 1e9)), attempts, max_attempts: maxAttempts },
    abortSignal: new AbortController().signal,
  } as never;
}

test('a ticket claimed by a live worker is retried later, not run twice', async () => {
  const { store, task } = makeTask();
  await store.claimTicket({ ticketId: 'held-1', portalId: null }, 'another-worker', 60_000);
  const before = discord.requests.length;
  await assert.rejects(async () => task(payload('held-1'), helpers(1)), RetryLater);
  assert.equal(discord.requests.length, before);
  const { rows } = await tdb.pool.query("select claimed_by, status from processed_tickets where ticket_id = 'held-1'");
  assert.deepEqual(rows, [{ claimed_by: 'another-worker', status: 'triaging' }]);
});

test('an already posted ticket is skipped without a message', async () => {
  const { store, task } = makeTask();
  await store.markTicketProcessed({ ticketId: 'done-1', portalId: null, provider: 'local', state: 'posted' });
  const before = discord.requests.length;
  await task(payload('done-1'), helpers(1));
  assert.equal(discord.requests.length, before);
});

test('Discord down: retried (claim released) before the last attempt; the last attempt ends the ticket not_posted', async () => {
  const { task } = makeTask();
  discord.script({ kind: 'server_error', status: 503 }, { kind: 'server_error', status: 503 });
  await assert.rejects(async () => task(payload('down-1'), helpers(1)), RetryLater);
  const released = await tdb.pool.query(
    "select status, claimed_by, last_error from processed_tickets where ticket_id = 'down-1'",
  );
  assert.equal(released.rows[0].status, 'triaging');
  assert.equal(released.rows[0].claimed_by, null);
  assert.match(released.rows[0].last_error, /^discord_unavailable/);

  discord.script({ kind: 'server_error', status: 503 }, { kind: 'server_error', status: 503 });
  await task(payload('down-1'), helpers(8, 8)); // completes: nothing is left to retry
  const { rows } = await tdb.pool.query(
    "select status, success, last_error from processed_tickets where ticket_id = 'down-1'",
  );
  assert.equal(rows[0].status, 'not_posted');
  assert.equal(rows[0].success, false);
  const runs = await tdb.pool.query(
    "select status, error_class from triage_runs where ticket_id = 'down-1' order by attempt",
  );
  assert.deepEqual(runs.rows, [
    { status: 'not_posted', error_class: 'discord_unavailable' },
    { status: 'not_posted', error_class: 'discord_unavailable' },
  ]);
});

test('each ending has its own state, run outcome and metric label: posted, posted_as_failure, not_posted', async (t) => {
  // A Discord of its own: the shared one may still hold replies other tests scripted.
  const own = await startFakeDiscord();
  t.after(() => own.close());
  const { task, metrics } = makeTask(own);
  await task(payload('end-ok'), helpers(1));
  // An event-only ticket without HUBSPOT_ACCESS_TOKEN: a TRIAGE FAILED message is posted for a person.
  await task(
    {
      ...payload('end-fail'),
      ticket: null,
      event: { ticket_id: 'end-fail', portal_id: null, occurred_at: null, event_id: null },
    },
    helpers(1),
  );
  own.script({ kind: 'unknown_webhook' });
  await task(payload('end-refused'), helpers(1)); // a configuration error: the ticket ends without a post

  const tickets = await tdb.pool.query(
    "select ticket_id, status, success from processed_tickets where ticket_id like 'end-%' order by ticket_id",
  );
  assert.deepEqual(tickets.rows, [
    { ticket_id: 'end-fail', status: 'posted_as_failure', success: false },
    { ticket_id: 'end-ok', status: 'posted', success: true },
    { ticket_id: 'end-refused', status: 'not_posted', success: false },
  ]);
  const runs = await tdb.pool.query(
    "select ticket_id, status from triage_runs where ticket_id like 'end-%' order by ticket_id",
  );
  assert.deepEqual(
    runs.rows.map((row) => `${row.ticket_id}:${row.status}`),
    ['end-fail:posted_as_failure', 'end-ok:posted', 'end-refused:not_posted'],
  );
  const text = await metrics.registry.metrics();
  assert.match(text, /triage_tickets_processed_total\{status="posted",provider="rules"\} 1/);
  assert.match(text, /triage_tickets_processed_total\{status="posted_as_failure",provider="none"\} 1/);
  assert.match(text, /triage_tickets_processed_total\{status="not_posted",provider="none"\} 1/);
  assert.doesNotMatch(text, /status="(notified|failed)"/);
});
