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

function makeTask() {
  const store = createTicketStore(tdb.db);
  return {
    store,
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
      notifier: createDiscordClient({ webhookUrl: discord.webhook.url, serverRetryDelaysMs: [] }),
      hubspot: createHubSpotClient({ accessToken: null }),
      logger,
      metrics: createMetrics({ defaultMetrics: false }),
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
  assert.deepEqual(rows, [{ claimed_by: 'another-worker', status: 'processing' }]);
});

test('an already notified ticket is skipped without a message', async () => {
  const { store, task } = makeTask();
  await store.markTicketProcessed({ ticketId: 'done-1', portalId: null, provider: 'local', success: true });
  const before = discord.requests.length;
  await task(payload('done-1'), helpers(1));
  assert.equal(discord.requests.length, before);
});

test('Discord down: retried (claim released) before the last attempt; the last attempt ends the ticket failed', async () => {
  const { task } = makeTask();
  discord.script({ kind: 'server_error', status: 503 }, { kind: 'server_error', status: 503 });
  await assert.rejects(async () => task(payload('down-1'), helpers(1)), RetryLater);
  const released = await tdb.pool.query(
    "select status, claimed_by, last_error from processed_tickets where ticket_id = 'down-1'",
  );
  assert.equal(released.rows[0].status, 'processing');
  assert.equal(released.rows[0].claimed_by, null);
  assert.match(released.rows[0].last_error, /^discord_unavailable/);

  discord.script({ kind: 'server_error', status: 503 }, { kind: 'server_error', status: 503 });
  await task(payload('down-1'), helpers(8, 8)); // completes: nothing is left to retry
  const { rows } = await tdb.pool.query(
    "select status, success, last_error from processed_tickets where ticket_id = 'down-1'",
  );
  assert.equal(rows[0].status, 'failed');
  assert.equal(rows[0].success, false);
  const runs = await tdb.pool.query(
    "select status, error_class from triage_runs where ticket_id = 'down-1' order by attempt",
  );
  assert.deepEqual(runs.rows, [
    { status: 'error', error_class: 'discord_unavailable' },
    { status: 'error', error_class: 'discord_unavailable' },
  ]);
});
