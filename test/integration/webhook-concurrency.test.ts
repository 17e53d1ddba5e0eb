// Concurrent deliveries of the same ticket (HubSpot retries and duplicates overlap): every one is answered 200 and
// exactly one job exists. Also batches naming the same tickets in different orders, which lock rows in different
// orders inside one transaction each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestDatabase } from '../helpers/db.ts';
import { type IntakeApp, listJobs, postWebhook, specTicket, useIntakeApp, withDeadline } from '../helpers/intake.ts';

let tdb: TestDatabase;
let intake: IntakeApp;
useIntakeApp({}, (used) => ({ tdb, intake } = used), { max: 10 });

test('100 concurrent deliveries of one ticket: all answered 200 accepted, exactly one job', async () => {
  const body = specTicket('8000');
  const responses = await withDeadline(
    Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        postWebhook(intake.url, body, { headers: { 'x-request-id': `concurrent-${i}` } }),
      ),
    ),
    30_000,
    '100 concurrent deliveries',
  );
  for (const [i, response] of responses.entries()) {
    assert.equal(response.status, 200, `delivery ${i}: ${response.text}`);
    assert.equal(response.body.status, 'accepted');
    assert.equal(response.body.ticket_id, '8000');
    assert.equal(response.body.request_id, `concurrent-${i}`);
  }
  const jobs = (await listJobs(tdb.pool)).filter((job) => job.payload.ticket_id === '8000');
  assert.equal(jobs.length, 1);
  assert.equal(jobs[0]!.key, 'ticket:62515:8000');
  // The job belongs to one of the deliveries, and that delivery was not told "already queued".
  const owner = Number(String(jobs[0]!.payload.request_id).replace('concurrent-', ''));
  assert.ok(Number.isInteger(owner) && owner >= 0 && owner < 100);
  assert.notEqual(responses[owner]!.body.already_queued, true);
  const flagged = responses.filter((response) => response.body.already_queued === true).length;
  assert.ok(flagged >= 1, 'later deliveries see the queued job');
});

test('concurrent Webhooks API batches naming the same tickets in different orders: all 200, one job per ticket', async () => {
  const event = (id: number) => ({
    eventId: id,
    subscriptionId: 1,
    portalId: 62515,
    appId: 1,
    occurredAt: Date.now(),
    subscriptionType: 'ticket.creation',
    attemptNumber: 0,
    objectId: id,
    changeSource: 'CRM',
  });
  // A lock-order race does not strike every time: three rounds, each with its own tickets.
  for (let round = 0; round < 3; round++) {
    const ids = Array.from({ length: 10 }, (_, i) => 8100 + round * 100 + i);
    // Forward and reversed orders alternate, the classic recipe for lock-order deadlocks.
    const batches = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? ids : [...ids].reverse()).map(event));
    const responses = await withDeadline(
      Promise.all(batches.map((batch) => postWebhook(intake.url, batch))),
      60_000,
      '20 concurrent batches',
    );
    for (const [i, response] of responses.entries()) {
      assert.equal(response.status, 200, `round ${round}, batch ${i}: ${response.text}`);
      assert.equal(response.body.status, 'accepted');
    }
    const jobs = (await listJobs(tdb.pool)).filter((job) => ids.map(String).includes(job.payload.ticket_id));
    assert.deepEqual(jobs.map((job) => job.payload.ticket_id).sort(), ids.map(String).sort());
  }
});
